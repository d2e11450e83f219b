"""Re-wrapping the quarantine under a new data key, and the errors of key rotation.

The whole rotation (quarantine, templates, two-factor secrets, then the switch) is
gatekeeper.app.key_rotation."""
from __future__ import annotations

from dataclasses import dataclass, field

from gatekeeper.storage.base import QuarantineError, QuarantineStore
from gatekeeper.storage.envelope import EnvelopeError, Keyring


class RotationError(Exception):
    """The key was not switched; the message says why and whether a re-run will resume."""


class RotationIncomplete(RotationError):
    """Some data could not be re-sealed under the new key; the old key stays in use."""


@dataclass
class RewrapReport:
    rewrapped: int = 0
    already: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def rewrap(store: QuarantineStore, old_key: bytes, new_key: bytes) -> RewrapReport:
    """Re-wrap every object under old_key to new_key, skipping those already done; failures are collected.

    Raises QuarantineError when the store cannot be listed at all.
    """
    report, old = RewrapReport(), Keyring(old_key)
    for item_key in list(store.keys()):
        try:
            changed = store.rewrap_item(item_key, old, new_key)
        except (EnvelopeError, QuarantineError) as exc:
            report.failed[item_key] = f"{exc.__class__.__name__}: {exc}"
            continue
        if changed:
            report.rewrapped += 1
        else:
            report.already += 1
    return report
