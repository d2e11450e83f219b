"""The instance folder: where the database, secrets, quarantine and local channels live."""
from __future__ import annotations

import base64
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

SECRETS_FILE = "secrets.json"
PENDING_FIELD = "pending_data_key"


class InstanceError(Exception):
    """The instance folder is missing, unreadable or not initialised."""


@dataclass(frozen=True)
class InstanceSecrets:
    """Keys made once by `gatekeeper init`; losing data_key loses the quarantine and templates."""

    secret_key: str
    data_key: bytes
    # Set only while `gatekeeper rotate-key` has not finished: objects may already be under it.
    pending_data_key: bytes | None = None


def _write_private(path: Path, text: str) -> None:
    # Created 0600 from the start so the keys are never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def create_secrets(folder: Path) -> bool:
    """Make the folder (private) and its secrets if they do not exist yet; True when they were made."""
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    path = folder / SECRETS_FILE
    if path.exists():
        return False
    payload = {
        "secret_key": secrets.token_urlsafe(48),
        "data_key": base64.b64encode(secrets.token_bytes(32)).decode("ascii"),
    }
    # Written aside, then linked into place: a link never replaces a file, and a second `init`
    # running at the same time never reads a half-written one.
    temp = folder / f".{SECRETS_FILE}.{secrets.token_hex(4)}"
    _write_private(temp, json.dumps(payload, indent=2) + "\n")
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    finally:
        temp.unlink()
    return True


def _read_payload(folder: Path) -> dict:
    path = folder / SECRETS_FILE
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InstanceError(
            f"{folder} is not initialised: run 'gatekeeper init --instance {folder}'"
        ) from None
    except ValueError:
        raise InstanceError(f"{path} is damaged: restore it from your backup") from None
    if not isinstance(payload, dict):
        raise InstanceError(f"{path} is damaged: restore it from your backup")
    return payload


def _decode_key(payload: dict, field: str, path: Path) -> bytes:
    try:
        key = base64.b64decode(payload[field], validate=True)
    except (ValueError, KeyError, TypeError):
        raise InstanceError(f"{path} is damaged: restore it from your backup") from None
    if len(key) != 32:
        raise InstanceError(f"{path} is damaged: restore it from your backup")
    return key


def load_secrets(folder: Path) -> InstanceSecrets:
    """Read the instance's keys; raises InstanceError when absent or damaged."""
    path = folder / SECRETS_FILE
    payload = _read_payload(folder)
    data_key = _decode_key(payload, "data_key", path)
    pending = _decode_key(payload, PENDING_FIELD, path) if payload.get(PENDING_FIELD) else None
    secret_key = payload.get("secret_key")
    if not secret_key or not isinstance(secret_key, str):
        raise InstanceError(f"{path} is damaged: restore it from your backup")
    return InstanceSecrets(secret_key=secret_key, data_key=data_key, pending_data_key=pending)


def _replace_private(folder: Path, payload: dict) -> None:
    """Swap secrets.json for a new version atomically: a crash leaves the old file or the new one."""
    path = folder / SECRETS_FILE
    temp = folder / f".{SECRETS_FILE}.{secrets.token_hex(4)}"
    _write_private(temp, json.dumps(payload, indent=2) + "\n")
    try:
        with temp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def begin_key_rotation(folder: Path) -> tuple[bytes, bytes, bool]:
    """(current key, new key, resumed): the new key is saved before anything is sealed under it.

    Re-running after a crash returns the same new key (resumed=True). Raises InstanceError.
    """
    path = folder / SECRETS_FILE
    payload = _read_payload(folder)
    current = _decode_key(payload, "data_key", path)
    if payload.get(PENDING_FIELD):
        return current, _decode_key(payload, PENDING_FIELD, path), True
    new = secrets.token_bytes(32)
    payload[PENDING_FIELD] = base64.b64encode(new).decode("ascii")
    _replace_private(folder, payload)
    return current, new, False


def finish_key_rotation(folder: Path, new_key: bytes) -> None:
    """Make the pending key the data key and forget the old one; raises InstanceError if it is not pending."""
    path = folder / SECRETS_FILE
    payload = _read_payload(folder)
    if not payload.get(PENDING_FIELD) or _decode_key(payload, PENDING_FIELD, path) != new_key:
        raise InstanceError(f"{path} has no key rotation in progress for this key; nothing was changed")
    payload["data_key"] = payload.pop(PENDING_FIELD)
    _replace_private(folder, payload)


INSTANCE_ID_FILE = "instance-id"
# What instances made before ids existed used as their queue name; `init` keeps it for them so
# jobs already waiting in Redis are still found.
LEGACY_INSTANCE_ID = "gatekeeper"
_INSTANCE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def check_instance_id(value: str) -> str:
    """value when it can name a queue and a key prefix; raises InstanceError otherwise."""
    if not isinstance(value, str) or not _INSTANCE_ID.match(value):
        raise InstanceError(f"instance id {value!r}: use 1-63 lowercase letters, digits, '-' or '_'")
    return value


def read_instance_id(folder: Path) -> str | None:
    """The id `init` stored for this instance, or None before the first `init` of this version."""
    try:
        return check_instance_id((folder / INSTANCE_ID_FILE).read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        raise InstanceError(f"{folder / INSTANCE_ID_FILE} is unreadable: restore it from your backup") from None


def write_instance_id(folder: Path, value: str | None = None) -> str:
    """Store value (or a new random id) as this instance's id unless one is stored; returns the stored id."""
    existing = read_instance_id(folder)
    if existing is not None:
        return existing
    chosen = check_instance_id(value or f"gk-{secrets.token_hex(5)}")
    try:
        _write_private(folder / INSTANCE_ID_FILE, chosen + "\n")
    except FileExistsError:
        return read_instance_id(folder) or chosen
    return chosen


PRIVATE_UMASK = 0o077
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
# The instance folder when a channel folder inside it must stay reachable by a web server running
# as another user: others may pass through, never list it nor read what it holds.
PASSABLE_FOLDER = 0o711
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_umask() -> None:
    """Make every file and folder this process creates from now on private to its user (0600/0700)."""
    os.umask(PRIVATE_UMASK)


def _sqlite_file(url: str) -> Path | None:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite:///:memory:":
        return None
    return Path(url[len(prefix):].split("?", 1)[0])


def private_paths(config) -> list[tuple[Path, int]]:
    """The instance's paths that must be private, with the mode each should have (existing ones only)."""
    folder = Path(config["INSTANCE_PATH"])
    channels = Path(config.get("CHANNELS_DIR") or folder / "channels")
    folder_mode = PASSABLE_FOLDER if folder in channels.parents else PRIVATE_FOLDER
    paths: list[tuple[Path, int]] = [(folder, folder_mode), (folder / SECRETS_FILE, PRIVATE_FILE)]
    for url in (config.get("DATABASE_URL", ""), config.get("JOBS_URL", "")):
        database = _sqlite_file(url)
        if database is not None:
            paths.append((database, PRIVATE_FILE))
            paths += [(Path(f"{database}{side}"), PRIVATE_FILE) for side in SQLITE_SIDE_FILES]
    if config.get("QUARANTINE_DIR") and not config.get("QUARANTINE_URL"):
        paths.append((Path(config["QUARANTINE_DIR"]), PRIVATE_FOLDER))
    return [(path, mode) for path, mode in paths if path.exists()]


def make_private(config) -> None:
    """chmod the instance folder, databases (and their WAL/SHM), jobs.db, secrets and quarantine private."""
    for path, mode in private_paths(config):
        try:
            os.chmod(path, mode)
        except PermissionError:
            pass  # not ours to change: `gatekeeper doctor` reports it


def exposed_paths(config) -> list[str]:
    """Private paths that other users can read or write ("path (mode 644)"), for `doctor`."""
    found = []
    for path, mode in private_paths(config):
        actual = path.stat().st_mode & 0o777
        if actual & 0o077 & ~mode:
            found.append(f"{path} (mode {actual:o})")
    return found
