"""`gatekeeper doctor`: what is configured, and whether each part works."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from consent_db import accounts, audit, migrate, records
from consent_db.models import Channel
from gatekeeper import certificates
from gatekeeper.app import setting_details
from gatekeeper.database import session_factory
from gatekeeper.jobs.backends import JobsMisconfigured, backend_for
from gatekeeper.jobs.heartbeat import needs_worker, seconds_since_beat
from gatekeeper.jobs.runner import jobs_of
from gatekeeper.publishers import default_target, publisher_for
from gatekeeper.publishers.base import Publisher, PublisherError
from gatekeeper.storage import quarantine_from_config
from gatekeeper.storage.base import QuarantineError


@dataclass(frozen=True)
class Finding:
    """One check's outcome: ok, and a sentence saying what was found or what is wrong."""

    name: str
    ok: bool
    detail: str
    # Works, but someone should look: printed as WARN; doctor still exits 0.
    warning: bool = False


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


def check_jobs(app: Flask) -> Finding:
    url = app.config["JOBS_URL"]
    try:
        backend_for(url).check(jobs_of(app).huey)
    except JobsMisconfigured as exc:
        return Finding("jobs", False, str(exc))
    tasks = ", ".join(jobs_of(app).names()) or "none registered"
    return Finding("jobs", True, f"{_redact_url(url)}; tasks: {tasks}")


def check_worker(app: Flask) -> Finding:
    """Whether a `gatekeeper worker` is consuming this instance's queue (only where one is needed)."""
    if not needs_worker(app.config) or jobs_of(app).huey.immediate:
        return Finding("worker", True, "jobs run inside the service; no separate worker needed")
    stale = int(app.config["WORKER_STALE_SECONDS"])
    try:
        age = seconds_since_beat(jobs_of(app).huey)
    except Exception as exc:  # noqa: BLE001 - any storage error means we cannot tell
        return Finding("worker", False, f"cannot read the worker heartbeat: {exc.__class__.__name__}")
    queue = jobs_of(app).huey.name
    if age is None:
        return Finding("worker", False, f"no worker has ever consumed queue '{queue}': run 'gatekeeper worker'")
    if age > stale:
        return Finding("worker", False, f"no worker on queue '{queue}' for {age:.0f} s: is 'gatekeeper worker' running?")
    return Finding("worker", True, f"a worker on queue '{queue}' was alive {age:.0f} s ago")


def check_quarantine(app: Flask) -> Finding:
    try:
        store = quarantine_from_config(app.config)
        store.check()
    except QuarantineError as exc:
        return Finding("quarantine", False, str(exc))
    return Finding("quarantine", True, store.describe())


def check_key_rotation(app: Flask) -> Finding:
    if app.config.get("DATA_KEY_PENDING"):
        return Finding("instance key", False,
                       "a key rotation did not finish: stop the service and run 'gatekeeper rotate-key' again")
    return Finding("instance key", True, "no key rotation in progress")


def check_private_files(app: Flask) -> Finding:
    """The instance folder, databases, WAL files, jobs.db, secrets and quarantine are private (0600/0700)."""
    from gatekeeper.instance import exposed_paths

    exposed = exposed_paths(app.config)
    if exposed:
        return Finding("private files", False, "other users can read or write: " + ", ".join(exposed)
                       + ": run 'chmod 600' on files and 'chmod 700' on folders (or restart the service)")
    return Finding("private files", True, "instance folder, databases, secrets and quarantine are private")


def check_face_models(app: Flask) -> Finding:
    """The configured detector and recogniser load from their pinned, checked model files."""
    from gatekeeper.faces.models import ModelError
    from gatekeeper.faces.plugins import PluginError, build_engine

    try:
        engine = build_engine(app.config)
    except (PluginError, ModelError) as exc:
        return Finding("face models", False, f"{exc}; every item will be held until this is fixed")
    if engine.detector.name == "null":
        return Finding("face models", False, "no face detector configured: every item will be held for identification by hand")
    return Finding("face models", True, f"{engine.name}, model files match their pinned SHA-256")


def check_media(app: Flask) -> Finding:
    from gatekeeper.media import missing_capabilities

    missing = missing_capabilities()
    if missing:
        return Finding("media", False, "cannot sanitise every accepted format: missing " + ", ".join(missing))
    return Finding("media", True, "JPEG, PNG, GIF, WebP, HEIF, MP4 and MOV can be sanitised")


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


def check_static(app: Flask) -> Finding:
    folder = Path(app.config["STATIC_DIR"])
    if not (folder / "app.css").is_file():
        return Finding("static files", False,
                       f"{folder} has no app.css: set GATEKEEPER_STATIC_DIR to the project's static/ folder")
    return Finding("static files", True, str(folder))


# A publish writes one file in seconds to minutes; a partial copy older than this was left by a crash.
STALE_LEFTOVER_S = 3600


def channel_publishers(app: Flask) -> list[tuple[str, Publisher | None, str]]:
    """(channel label, its publisher or None, why not) for every channel of every setting."""
    with session_factory(app)() as session:
        rows = [(c.setting_id, c.slug, c.target) for c in session.scalars(select(Channel).order_by(Channel.id))]
    found = []
    for setting_id, slug, target in rows:
        label = f"{slug} (setting {setting_id})"
        try:
            chosen = dict(target) if target else default_target(app.config["CHANNELS_DIR"], slug)
            found.append((label, publisher_for(chosen), ""))
        except PublisherError as exc:
            found.append((label, None, str(exc)))
    return found


def check_channels(app: Flask) -> Finding:
    """Build each channel's publisher from its row and ask it whether it can be published to."""
    try:
        publishers = channel_publishers(app)
    except SQLAlchemyError as exc:
        return Finding("channels", False, f"cannot read the channels: {exc.__class__.__name__}")
    if not publishers:
        return Finding("channels", True, "no channels yet")
    lines, ok = [], True
    for label, publisher, problem in publishers:
        if publisher is not None:
            try:
                publisher.check()
            except PublisherError as exc:
                problem = str(exc)
        ok = ok and not problem
        lines.append(f"{label}: {problem}" if problem else f"{label}: {publisher.describe()}")
    return Finding("channels", ok, "; ".join(lines))


def check_channel_leftovers(app: Flask) -> Finding:
    """Remove partial copies that crashed publishes left (older than an hour) and say which."""
    removed, problems = [], []
    for label, publisher, _ in channel_publishers(app):
        if publisher is None:
            continue
        try:
            removed.extend(publisher.clean_leftovers(STALE_LEFTOVER_S))
        except PublisherError as exc:
            problems.append(f"{label}: {exc}")
    if problems:
        return Finding("channel leftovers", False, "; ".join(problems))
    if removed:
        return Finding("channel leftovers", True,
                       f"removed {len(removed)} partial cop{'y' if len(removed) == 1 else 'ies'} "
                       f"left by interrupted publishing: {', '.join(removed)}")
    return Finding("channel leftovers", True, "no partial copies left by interrupted publishing")


def check_public_url(app: Flask) -> Finding:
    """PUBLIC_URL is set, and its scheme fits what is served and the session cookie's Secure flag."""
    url = (app.config.get("PUBLIC_URL") or "").strip()
    if not url:
        return Finding("public URL", True, "PUBLIC_URL is not set: invitation and password-reset links (and their "
                       "QR codes) cannot be made; set it with 'gatekeeper settings --public-url "
                       "https://NAME.local:8443'", warning=True)
    try:
        setting_details.check_public_url(url)
    except setting_details.SettingError as exc:
        return Finding("public URL", False, f"PUBLIC_URL: {exc}")
    scheme = urlsplit(url).scheme
    served_https = bool(app.config.get("HTTPS"))
    if scheme == "http" and served_https:
        return Finding("public URL", False, f"PUBLIC_URL {url} is http:// but this service serves HTTPS: "
                       "set it to the https:// address ('gatekeeper settings --public-url')")
    if scheme == "http" and app.config.get("SESSION_COOKIE_SECURE") and not setting_details.is_loopback(url):
        return Finding("public URL", False, f"PUBLIC_URL {url} is http:// but the session cookie is Secure: "
                       "browsers reaching it by that address drop the cookie and every sign-in fails; serve HTTPS "
                       "('gatekeeper serve --https') and use its https:// address")
    if setting_details.is_loopback(url):
        return Finding("public URL", True, f"PUBLIC_URL {url} is this machine only: invitation links and QR codes "
                       "would open on the phone itself; use an address other devices reach", warning=True)
    if scheme == "https" and not served_https and not int(app.config.get("TRUSTED_PROXY_HOPS") or 0):
        return Finding("public URL", True, f"PUBLIC_URL {url} is https:// but this service serves plain HTTP and "
                       "no proxy is configured: run 'gatekeeper serve --https' (https = true in config.toml) or "
                       "put a TLS proxy in front (TRUSTED_PROXY_HOPS)", warning=True)
    return Finding("public URL", True, url)


def check_https_certificate(app: Flask) -> Finding:
    """With HTTPS served: the instance's certificate exists, covers PUBLIC_URL's host and is not near expiry."""
    if not app.config.get("HTTPS"):
        return Finding("https certificate", True, "HTTPS is not served by this process ('gatekeeper serve --https')")
    cert_path, _ = certificates.server_files(Path(app.config["INSTANCE_PATH"]))
    try:
        info = certificates.read_certificate(cert_path)
    except certificates.CertificateError as exc:
        return Finding("https certificate", False, f"{exc}")
    if info.not_after <= datetime.now(timezone.utc):
        return Finding("https certificate", False, f"{cert_path} expired on {info.not_after:%d %b %Y}: run "
                       "'gatekeeper certificate renew'")
    host = certificates.url_host(app.config.get("PUBLIC_URL") or "")
    if host and not info.covers(host):
        return Finding("https certificate", False, f"{cert_path} does not cover {host} (PUBLIC_URL): browsers "
                       "will warn; run 'gatekeeper certificate renew'")
    covered = ", ".join([*info.dns, *map(str, info.addresses)])
    if certificates.needs_renewal(info):
        return Finding("https certificate", True, f"expires on {info.not_after:%d %b %Y}: run 'gatekeeper "
                       "certificate renew' (serve renews it at start)", warning=True)
    return Finding("https certificate", True, f"covers {covered} until {info.not_after:%d %b %Y}")


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
    """Hide the password in any URL (database, Redis) before printing it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


CHECKS: tuple[Callable[[Flask], Finding], ...] = (
    check_database,
    check_migrations,
    check_jobs,
    check_quarantine,
    check_key_rotation,
    check_private_files,
    check_face_models,
    check_media,
    check_records,
    _writable_folder("channels folder", "CHANNELS_DIR"),
    check_channels,
    check_channel_leftovers,
    check_static,
    check_public_url,
    check_https_certificate,
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
    """Create the instance's local folders: a private quarantine, channels a web server can read."""
    # Published copies are public by design; the quarantine holds unreviewed media.
    for setting, mode in (("QUARANTINE_DIR", 0o700), ("CHANNELS_DIR", 0o755)):
        path = Path(app.config[setting])
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, mode)
