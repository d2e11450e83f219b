"""`gatekeeper doctor`: what is configured, and whether each part works."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from consent_db import accounts, audit, migrate, records
from gatekeeper.database import session_factory


@dataclass(frozen=True)
class Finding:
    """One check's outcome: ok, and a sentence saying what was found or what is wrong."""

    name: str
    ok: bool
    detail: str


def check_database(app: Flask) -> Finding:
    try:
        with session_factory(app)() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return Finding("database", False, f"cannot connect: {exc.__class__.__name__}: {exc}".splitlines()[0])
    return Finding("database", True, _redact_url(app.config["DATABASE_URL"]))


def check_migrations(app: Flask) -> Finding:
    engine = session_factory(app).kw["bind"]
    try:
        current = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        return Finding("migrations", False, f"cannot read the schema version: {exc.__class__.__name__}")
    head = migrate.head_revision()
    if current != head:
        return Finding("migrations", False, f"schema at {current or 'nothing'}, code expects {head}: run 'gatekeeper init'")
    return Finding("migrations", True, f"schema at {head}")


def check_records(app: Flask) -> Finding:
    try:
        with session_factory(app)() as session:
            setting = records.default_setting(session)
            managers = accounts.manager_count(session, setting.id, enabled_only=True)
            tail = audit.check_tail(session)
    except records.NoSetting as exc:
        return Finding("records", False, str(exc))
    except SQLAlchemyError as exc:
        return Finding("records", False, f"cannot read the records: {exc.__class__.__name__}")
    if not managers:
        return Finding("records", False, f"setting '{setting.name}' has no enabled Manager account")
    if not tail.ok:
        return Finding("records", False, f"audit log: {tail.problem}: run 'gatekeeper audit verify'")
    return Finding("records", True, f"setting '{setting.name}', {managers} Manager account(s), audit log head intact")


def _writable_folder(name: str, setting: str) -> Callable[[Flask], Finding]:
    def check(app: Flask) -> Finding:
        folder = Path(app.config[setting])
        if not folder.is_dir():
            return Finding(name, False, f"{folder} does not exist: run 'gatekeeper init'")
        try:
            with tempfile.NamedTemporaryFile(dir=folder):
                pass
        except OSError as exc:
            return Finding(name, False, f"{folder} is not writable: {exc.strerror}")
        return Finding(name, True, str(folder))

    return check


def _redact_url(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


CHECKS: tuple[Callable[[Flask], Finding], ...] = (
    check_database,
    check_migrations,
    check_records,
    _writable_folder("quarantine", "QUARANTINE_DIR"),
    _writable_folder("channels", "CHANNELS_DIR"),
)


def run_checks(app: Flask, checks=CHECKS) -> list[Finding]:
    """Run every check; a check that crashes is reported as failed, never hidden."""
    findings = []
    for check in checks:
        try:
            findings.append(check(app))
        except Exception as exc:  # noqa: BLE001 - doctor must report, not crash
            findings.append(Finding(getattr(check, "__name__", "check"), False, f"crashed: {exc!r}"))
    return findings


def ensure_folders(app: Flask) -> None:
    """Create the instance's local folders (quarantine, channels) with private permissions."""
    for setting in ("QUARANTINE_DIR", "CHANNELS_DIR"):
        path = Path(app.config[setting])
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)
