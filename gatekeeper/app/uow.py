"""The unit of work: one transaction per use case, and the events it raised written to the outbox in it."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from consent_db import outbox
from consent_db.timeutil import now
from gatekeeper.app.events import Event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Pending:
    event: Event
    due_at: datetime | None
    key: str | None


class UnitOfWork:
    """`with uow:` opens a transaction; leaving the block writes the events and commits, or rolls back.

    after_commit (say, "enqueue a drain job") runs once the events are safely stored; its failure is
    logged and nothing more, because the periodic drain finds the rows anyway.
    """

    def __init__(self, sessions: sessionmaker, *, clock: Callable[[], datetime] = now,
                 after_commit: Callable[[], None] | None = None):
        self._sessions = sessions
        self.clock = clock
        self.after_commit = after_commit
        self._events: list[_Pending] = []
        self.session: Session | None = None
        self.at: datetime | None = None

    def __enter__(self) -> "UnitOfWork":
        if self.session is not None:
            raise RuntimeError("a unit of work is used once")
        self._transaction = self._sessions.begin()
        self.session = self._transaction.__enter__()
        self.at = self.clock()
        return self

    def emit(self, event: Event, *, due_at: datetime | None = None, key: str | None = None) -> None:
        """Record an event; it is written when the block ends, due at once or at due_at."""
        self._events.append(_Pending(event, due_at, key))

    def cancel(self, key: str) -> None:
        """Close a schedule's pending rows (a leaving date cleared), in this transaction."""
        outbox.cancel(self.session, key, at=self.at)

    @property
    def events(self) -> list[Event]:
        return [pending.event for pending in self._events]

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                for pending in self._events:
                    outbox.add(self.session, setting_id=pending.event.setting_id, kind=pending.event.kind,
                               payload=pending.event.payload(), at=self.at, due_at=pending.due_at, key=pending.key)
            except BaseException as error:
                self._transaction.__exit__(type(error), error, error.__traceback__)
                raise
        self._transaction.__exit__(exc_type, exc, tb)
        if exc_type is None and self._events and self.after_commit is not None:
            try:
                self.after_commit()
            except Exception:  # noqa: BLE001 - the rows are stored; the periodic drain will run them
                log.warning("could not start the outbox drain at once; the periodic drain will", exc_info=True)
        return False
