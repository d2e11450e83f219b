"""The life of a media item: which state may follow which, in one table."""
from __future__ import annotations

from consent_db.models import ItemState, MediaItem
from gatekeeper.gate.errors import IllegalTransition

S = ItemState
ALLOWED: dict[ItemState, frozenset[ItemState]] = {
    S.RECEIVED: frozenset({S.ANALYSING, S.REJECTED}),
    S.ANALYSING: frozenset({S.READY, S.HELD, S.REJECTED}),
    # Re-evaluation after a consent change or a Manager's mark moves between ready and held.
    S.READY: frozenset({S.READY, S.HELD, S.ANALYSING, S.REJECTED}),
    S.HELD: frozenset({S.READY, S.HELD, S.ANALYSING, S.REJECTED}),
    S.REJECTED: frozenset({S.PURGED}),
    S.PURGED: frozenset(),
}

PLAIN_WORDS = {
    S.RECEIVED: "received",
    S.ANALYSING: "analysing",
    S.READY: "waiting for the Manager",
    S.HELD: "held: needs the Manager's decision",
    S.REJECTED: "rejected",
    S.PURGED: "deleted",
}


def move(item: MediaItem, to: ItemState) -> None:
    """Set the item's state; raises IllegalTransition when its life does not allow the step."""
    if to not in ALLOWED[item.state]:
        raise IllegalTransition(f"an item that is {PLAIN_WORDS[item.state]} cannot become {PLAIN_WORDS[to]}")
    item.state = to


def is_open(item: MediaItem) -> bool:
    """Whether the Manager can still act on the item (not rejected or purged)."""
    return item.state not in (S.REJECTED, S.PURGED)
