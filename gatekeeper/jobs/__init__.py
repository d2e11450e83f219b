"""Background jobs (analysis, publishing, takedown, sweeps) on huey: in-process by default, Redis at scale."""
