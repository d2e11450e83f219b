"""Consent records: people, guardians, channels, consent history, templates, accounts, audit."""
