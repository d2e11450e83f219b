"""Facts the gate records for notifications, each written as an outbox row in the gate's own transaction,
so a notification follows only a committed change and is handled (and emailed) once by the worker."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import ClassVar

from sqlalchemy.orm import Session

from consent_db import outbox


@dataclass(frozen=True)
class ItemWaiting:
    """A new upload was analysed for the first time and waits for the Manager."""

    kind: ClassVar[str] = "item_waiting"
    setting_id: int
    public_id: str


@dataclass(frozen=True)
class ItemPublished:
    """One publication of an item reached its channel."""

    kind: ClassVar[str] = "item_published"
    setting_id: int
    publication_id: int


@dataclass(frozen=True)
class ItemTakenDown:
    """One published copy was taken down from its channel."""

    kind: ClassVar[str] = "item_taken_down"
    setting_id: int
    publication_id: int


GateNotice = ItemWaiting | ItemPublished | ItemTakenDown


def write(session: Session, notice: GateNotice, *, at: datetime) -> None:
    """Write the notice's outbox row in the caller's transaction."""
    outbox.add(session, setting_id=notice.setting_id, kind=notice.kind, payload=asdict(notice), at=at)
