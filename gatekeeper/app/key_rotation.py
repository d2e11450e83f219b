"""Instance key rotation: re-wrap everything sealed under DATA_KEY, then switch keys; safe to re-run after a crash."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flask import Flask

from consent_db.templates import TemplateError, reseal_templates
from consent_db.totp_secrets import TotpSecretError, reseal_secrets
from gatekeeper import instance
from gatekeeper.database import transaction
from gatekeeper.storage import quarantine_from_config
from gatekeeper.storage.envelope import key_id
from gatekeeper.storage.rotation import RotationError, RotationIncomplete, rewrap

log = logging.getLogger(__name__)


def rewrap_quarantine(app: Flask, old_key: bytes, new_key: bytes) -> str:
    """Rotation step for the configured quarantine; raises RotationIncomplete or QuarantineError."""
    store = quarantine_from_config(app.config)
    report = rewrap(store, old_key, new_key)
    if report.failed:
        shown = "; ".join(f"{key} ({why})" for key, why in list(report.failed.items())[:5])
        raise RotationIncomplete(
            f"{len(report.failed)} quarantined item(s) could not be re-wrapped: {shown}. "
            "The old key is still in use; restore or delete those items and run 'gatekeeper rotate-key' again")
    return f"quarantine: {report.rewrapped} re-wrapped, {report.already} already under the new key"


def reseal_face_templates(app: Flask, old_key: bytes, new_key: bytes) -> str:
    """Rotation step for enrolled templates and reference photos; raises RotationIncomplete."""
    try:
        with transaction(app) as session:
            resealed, already = reseal_templates(session, old_key, new_key)
    except TemplateError as exc:
        raise RotationIncomplete(f"{exc}. The old key is still in use") from None
    return f"face templates and reference photos: {resealed} re-sealed, {already} already under the new key"


def reseal_two_factor(app: Flask, old_key: bytes, new_key: bytes) -> str:
    """Rotation step for Managers' TOTP secrets; raises RotationIncomplete."""
    try:
        with transaction(app) as session:
            resealed, already = reseal_secrets(session, old_key, new_key)
    except TotpSecretError as exc:
        raise RotationIncomplete(f"{exc}. The old key is still in use") from None
    return f"two-factor secrets: {resealed} re-sealed, {already} already under the new key"


RotationHook = Callable[[Flask, bytes, bytes], str]

# Every piece of data sealed with DATA_KEY needs a step here, or switching the key makes it
# unreadable. A step takes (app, old_key, new_key), returns a one-line summary, raises
# RotationError (or its own area's error) when it cannot finish, and must be safe to run again
# on data it already moved to the new key.
KEY_ROTATION_HOOKS: tuple[RotationHook, ...] = (
    rewrap_quarantine,
    reseal_face_templates,
    reseal_two_factor,
)


@dataclass(frozen=True)
class RotationResult:
    old_key_id: str
    new_key_id: str
    resumed: bool
    steps: tuple[str, ...]


def rotate_instance_key(app: Flask, hooks: tuple[RotationHook, ...] = KEY_ROTATION_HOOKS) -> RotationResult:
    """Make a new data key, run every hook, then switch; raises RotationError, InstanceError or a hook's error.

    The new key is written to secrets.json (as pending) before anything is sealed under it, and the
    old one is dropped only after every hook succeeded, so a crash at any point loses nothing.
    """
    folder = Path(app.config["INSTANCE_PATH"])
    if instance.load_secrets(folder).data_key != app.config.get("DATA_KEY"):
        raise RotationError("DATA_KEY is set outside secrets.json; rotate-key only replaces the key in secrets.json")
    old_key, new_key, resumed = instance.begin_key_rotation(folder)
    if resumed:
        log.info("resuming an unfinished key rotation to key %s", key_id(new_key).hex())
    steps = tuple(hook(app, old_key, new_key) for hook in hooks)
    instance.finish_key_rotation(folder, new_key)
    return RotationResult(key_id(old_key).hex(), key_id(new_key).hex(), resumed, steps)
