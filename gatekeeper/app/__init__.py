"""The application layer: one service per use case, each with a principal, a unit of work and events.

Web routes, CLI commands and job tasks (the adapters) call these services; the services call the
rooms (consent_db, gate, faces, media, storage, publishers). Nothing here imports the web or jobs.
"""
