"""An item's life: which steps are allowed, and a clear refusal for the rest."""
from __future__ import annotations

import pytest

from consent_db.models import ItemState, MediaItem
from gatekeeper.gate.errors import IllegalTransition
from gatekeeper.gate.lifecycle import ALLOWED, is_open, move

S = ItemState


# In a fixed order: parallel workers must collect the same tests, and a frozenset of enum members
# iterates in an order that changes with each process's string hashing.
@pytest.mark.parametrize("start, end", [(s, e) for s, allowed in ALLOWED.items() for e in sorted(allowed, key=str)])
def test_allowed_steps_change_the_state(start, end):
    item = MediaItem(state=start)
    move(item, end)
    assert item.state is end


@pytest.mark.parametrize("start, end", [(s, e) for s in S for e in S if e not in ALLOWED[s]])
def test_every_other_step_is_refused_and_changes_nothing(start, end):
    item = MediaItem(state=start)
    with pytest.raises(IllegalTransition, match="cannot become"):
        move(item, end)
    assert item.state is start


def test_a_purged_item_can_never_come_back():
    assert ALLOWED[S.PURGED] == frozenset()
    assert not is_open(MediaItem(state=S.PURGED)) and not is_open(MediaItem(state=S.REJECTED))


def test_nothing_reaches_ready_without_analysis():
    assert S.READY not in ALLOWED[S.RECEIVED]
