"""The instance folder: where the database, secrets, quarantine and local channels live."""
from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

SECRETS_FILE = "secrets.json"


class InstanceError(Exception):
    """The instance folder is missing, unreadable or not initialised."""


@dataclass(frozen=True)
class InstanceSecrets:
    """Keys made once by `gatekeeper init`; losing data_key loses the quarantine and templates."""

    secret_key: str
    data_key: bytes


def _write_private(path: Path, text: str) -> None:
    # Created 0600 from the start so the keys are never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def create_secrets(folder: Path) -> bool:
    """Make the folder and its secrets if they do not exist yet; True when they were made."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SECRETS_FILE
    if path.exists():
        return False
    payload = {
        "secret_key": secrets.token_urlsafe(48),
        "data_key": base64.b64encode(secrets.token_bytes(32)).decode("ascii"),
    }
    _write_private(path, json.dumps(payload, indent=2) + "\n")
    return True


def load_secrets(folder: Path) -> InstanceSecrets:
    """Read the instance's keys; raises InstanceError when absent or damaged."""
    path = folder / SECRETS_FILE
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        data_key = base64.b64decode(payload["data_key"], validate=True)
        secret_key = payload["secret_key"]
    except FileNotFoundError:
        raise InstanceError(
            f"{folder} is not initialised: run 'gatekeeper init --instance {folder}'"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise InstanceError(f"{path} is damaged: restore it from your backup") from None
    if len(data_key) != 32 or not secret_key:
        raise InstanceError(f"{path} is damaged: restore it from your backup")
    return InstanceSecrets(secret_key=secret_key, data_key=data_key)
