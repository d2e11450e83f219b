"""One cleaner per format. Each declares the type it accepts, the type it writes and the
structures its output may keep; the registry in gatekeeper.media.registry maps types to them."""
from __future__ import annotations

from gatekeeper.media.base import Refused
from gatekeeper.media.containers import BrokenFile


def refuse_broken(exc: BrokenFile) -> Refused:
    return Refused(f"The file is truncated or corrupt: {exc}.")


def unique(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))
