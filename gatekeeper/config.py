"""Configuration: built-in defaults, then the instance config file, then GATEKEEPER_* variables."""
from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Mapping

ENV_PREFIX = "GATEKEEPER_"
INSTANCE_ENV = "GATEKEEPER_INSTANCE"
# Variables with the prefix that are not settings: the backup passphrase never enters the app's config.
NOT_SETTINGS = frozenset({INSTANCE_ENV, "GATEKEEPER_BACKUP_PASSPHRASE"})
DEFAULT_INSTANCE = "instance"
CONFIG_FILE = "config.toml"
# static/ sits beside the packages in the source tree; an installed copy (the Docker image) sets
# GATEKEEPER_STATIC_DIR to wherever it put the folder.
SOURCE_STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


class ConfigError(Exception):
    """The configuration cannot be used; the message says which setting and why."""


def _defaults(instance: Path) -> dict[str, Any]:
    return {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'gatekeeper.db'}",
        "QUARANTINE_DIR": str(instance / "quarantine"),
        # Empty: the folder QUARANTINE_DIR. Or another folder, or s3://bucket/prefix (a private bucket).
        "QUARANTINE_URL": "",
        "QUARANTINE_S3_ENDPOINT_URL": "",
        "QUARANTINE_S3_REGION": "",
        "CHANNELS_DIR": str(instance / "channels"),
        "JOBS_URL": f"sqlite:///{instance / 'jobs.db'}",
        # Empty: the id `init` stored in the instance folder (instance-id). It names the job queue, so
        # instances sharing one Redis never take each other's jobs.
        "INSTANCE_ID": "",
        # Empty: the instance id. Set only to move an instance's jobs onto a queue of another name.
        "JOBS_QUEUE": "",
        # `gatekeeper worker` says it is alive this often; /readyz fails when no worker has for WORKER_STALE_SECONDS.
        "WORKER_HEARTBEAT_SECONDS": 15,
        "WORKER_STALE_SECONDS": 90,
        # scrypt cost of backup archives (n = 2**this; 17: 128 MiB and about half a second per guess).
        "BACKUP_SCRYPT_LOG2_N": 17,
        "STATIC_DIR": str(SOURCE_STATIC_DIR),
        "HOST": "127.0.0.1",
        "PORT": 8000,
        # `serve --https` (or true here): HTTPS for the setting's network with the instance's own certificate on
        # HTTPS_HOST:HTTPS_PORT, and on HTTPS_HOST:PORT a plain-HTTP listener that sends browsers to HTTPS.
        "HTTPS": False,
        "HTTPS_HOST": "0.0.0.0",
        "HTTPS_PORT": 8443,
        # Form posts are small; only the upload route raises this.
        "MAX_CONTENT_LENGTH": 1 * 1024 * 1024,
        "MAX_UPLOAD_BYTES": 2 * 1024 * 1024 * 1024,
        # The upload page sends files in chunks of this size (each sealed as it arrives), so no request
        # body is ever larger; the built-in server keeps such a body in memory, never in a temp file.
        "UPLOAD_CHUNK_BYTES": 4 * 1024 * 1024,
        # Without JavaScript the form posts the chosen files in one body: at most this much in all.
        "UPLOAD_FORM_MAX_BYTES": 4 * 1024 * 1024,
        # Unfinished chunked uploads per account, and how long one may sit untouched before removal.
        "UPLOAD_MAX_OPEN": 20,
        "UPLOAD_ABANDONED_HOURS": 24,
        "DETECTOR": "yunet",
        "RECOGNISER": "sface",
        "RETENTION_UNPUBLISHED_DAYS": 30,
        "RETENTION_PUBLISHED_QUARANTINE_DAYS": 30,
        "CONSENT_ENDS_ON_LEAVING": True,
        # The full re-check of every live publication, a safety net behind the outbox (which acts on each
        # change and at each expiry or leaving date): every this many minutes.
        "SAFETY_SWEEP_MINUTES": 60,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_NAME": "gk_session",
        # A signed-in browser session ends after this many hours (server-side; sign-out ends it at once).
        "SESSION_HOURS": 12,
        # Argon2id cost; tests lower it, production keeps argon2-cffi's recommended values.
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST": 65536,
        # Sign-in throttling: attempts allowed per window for one email from one address (and two-factor
        # codes per account), for unknown emails per address and everywhere (pairing codes per address);
        # then a lock of one window, doubling with each lock in a row. A known account is never locked
        # for everyone.
        "THROTTLE_ACCOUNT_FAILURES": 5,
        "THROTTLE_ADDRESS_FAILURES": 20,
        "THROTTLE_UNKNOWN_FAILURES": 500,
        "THROTTLE_WINDOW_MINUTES": 15,
        # Where those attempts are counted: empty for the database, or a redis:// URL that every process
        # of the deployment shares (counted there by one atomic script per attempt).
        "THROTTLE_URL": "",
        # How many reverse proxies in front set X-Forwarded-For/-Proto/-Host (0: trust no such header).
        "TRUSTED_PROXY_HOPS": 0,
        # Staff and Manager sessions end after this long without a request.
        "IDLE_MINUTES": 30,
        # A password-reset link works once, for this long.
        "PASSWORD_RESET_MINUTES": 60,
        # Reset emails to one address per hour, from however many places they are asked for.
        "PASSWORD_RESET_EMAILS_PER_HOUR": 5,
        # The built-in server (gatekeeper serve): open connections, seconds a silent client is kept.
        "SERVER_CONNECTION_LIMIT": 100,
        "SERVER_CHANNEL_TIMEOUT": 30,
        "SERVER_THREADS": 8,
        # Invitation links to set a password work once and expire.
        "INVITATION_DAYS": 7,
        # The address people reach the service at, for links (invitations, password resets); empty: no
        # link is shown or sent (the Host header of a request is never trusted for them).
        "PUBLIC_URL": "",
        # Empty: no email is sent and the Manager hands the invitation link over.
        "SMTP_HOST": "",
        "SMTP_PORT": 587,
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_FROM": "",
        "SMTP_STARTTLS": True,
        # Largest reference photo for face-matching enrolment.
        "MAX_REFERENCE_PHOTO_BYTES": 20 * 1024 * 1024,
    }


def instance_path(explicit: str | os.PathLike | None = None) -> Path:
    """The instance folder: the explicit one, else $GATEKEEPER_INSTANCE, else ./instance."""
    chosen = explicit or os.environ.get(INSTANCE_ENV) or DEFAULT_INSTANCE
    return Path(chosen).expanduser().resolve()


def _coerce(raw: str, like: Any) -> Any:
    """Read an environment string as the type of the default it replaces."""
    if isinstance(like, bool):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"expected true or false, got {raw!r}")
    if isinstance(like, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"expected a whole number, got {raw!r}") from None
    if isinstance(like, (dict, list)):
        try:
            return json.loads(raw)
        except ValueError:
            raise ConfigError(f"expected JSON, got {raw!r}") from None
    return raw


def _from_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return {key.upper(): value for key, value in data.items()}


def _from_environ(environ: Mapping[str, str], defaults: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in NOT_SETTINGS:
            continue
        key = name[len(ENV_PREFIX):]
        try:
            found[key] = _coerce(raw, defaults.get(key, ""))
        except ConfigError as exc:
            raise ConfigError(f"{name}: {exc}") from None
    return found


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def set_in_file(instance: str | os.PathLike, key: str, value: Any) -> Path:
    """Set one top-level key in INSTANCE/config.toml, keeping every other line; raises ConfigError.

    The file is checked before and after, and replaced atomically: a mistake leaves the old file.
    """
    path = instance_path(instance) / CONFIG_FILE
    _from_file(path)
    name = key.lower()
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    line = f"{name} = {_toml_value(value)}"
    pattern = re.compile(rf"^\s*{re.escape(name)}\s*=")
    first_table = next((i for i, text in enumerate(lines) if text.lstrip().startswith("[")), len(lines))
    found = [i for i, text in enumerate(lines[:first_table]) if pattern.match(text)]
    if found:
        lines[found[0]] = line
        for extra in reversed(found[1:]):
            del lines[extra]
    else:
        # Before any [table]: below one, the key would belong to that table.
        lines.insert(first_table, line)
    text = "\n".join(lines) + "\n"
    try:
        if tomllib.loads(text).get(name) != value:
            raise ConfigError(f"{path}: could not set {name} (a multi-line value?); edit the file by hand")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: setting {name} would break the file ({exc}); edit it by hand") from None
    temp = path.with_name(f".{CONFIG_FILE}.{os.getpid()}")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
    return path


def load(
    instance: str | os.PathLike | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Merge defaults, the instance file, the environment and overrides; raises ConfigError."""
    folder = instance_path(instance)
    settings = _defaults(folder)
    settings.update(_from_file(folder / CONFIG_FILE))
    settings.update(_from_environ(os.environ if environ is None else environ, settings))
    settings.update(overrides or {})
    settings["INSTANCE_PATH"] = str(folder)
    return settings
