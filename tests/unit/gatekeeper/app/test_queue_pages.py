"""The queue pages through every item in a stable order, with counts per state and filters by state,
uploader, day and channel; staff only ever see their own uploads."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher

from consent_db import accounts, records
from consent_db.audit import CLI
from consent_db.models import ItemState
from gatekeeper.app import media
from gatekeeper.app.policy import PolicyError
from gatekeeper.app.principal import Principal, Role, operator
from gatekeeper.gate.queue import QueueQuery
from tests.queue_rows import add_items

from .conftest import T0

S = ItemState


@pytest.fixture
def filled(sessions, setting_id):
    """130 held items on T0, 3 ready, 2 published on the website (one by staff, a day later), 1 purged."""
    with sessions.begin() as session:
        website = records.add_channel(session, setting_id=setting_id, slug="website", name="Website",
                                      description="d", actor=CLI).id
        sam = records.add_person(session, records.check_person(kind="staff", first_name="Sam", surname="S"),
                                 setting_id=setting_id, actor=CLI).id
        staff = accounts.create_account(session, setting_id=setting_id, email="s@x.test", password="correct horse battery",
                                        role="staff", person_id=sam, hasher=PasswordHasher(time_cost=1, memory_cost=1024)).id
        held = add_items(session, setting_id, [S.HELD] * 130, at=T0)
        ready = add_items(session, setting_id, [S.READY] * 3, at=T0)
        published = add_items(session, setting_id, [S.READY], at=T0, published_on=website)
        published += add_items(session, setting_id, [S.READY], at=T0 + timedelta(days=1), published_on=website,
                               uploader=staff)
        purged = add_items(session, setting_id, [S.PURGED], at=T0)
    return {"website": website, "staff": staff, "held": held, "ready": ready, "published": published,
            "purged": purged}


def every_page(ctx, principal, query=QueueQuery(), per_page=50):
    page, seen = 1, []
    while True:
        result = media.queue_page(ctx, principal, query, page=page, per_page=per_page)
        seen.append([e.public_id for e in result.entries])
        if not result.has_next:
            return result, seen
        page += 1


def test_every_item_is_on_exactly_one_page_newest_first(ctx, setting_id, filled):
    result, pages = every_page(ctx, operator(setting_id))
    flat = [pid for page in pages for pid in page]
    expected = filled["held"] + filled["ready"] + filled["published"]
    assert [len(p) for p in pages] == [50, 50, 35] and result.pages == 3 and result.total == 135
    assert flat == list(reversed(expected)), "newest first, nothing twice, nothing missing (and no 200 cap)"
    assert filled["purged"][0] not in flat


def test_counts_per_state_do_not_depend_on_the_state_shown(ctx, setting_id, filled):
    for view in (None, "held", "published"):
        counts = media.queue_page(ctx, operator(setting_id), QueueQuery(view=view)).counts
        assert counts == {"held": 130, "ready": 3, "published": 2, "analysing": 0, "rejected": 0, "purged": 1}


@pytest.mark.parametrize("query, key", [
    (QueueQuery(view="ready"), "ready"),
    (QueueQuery(view="published"), "published"),
    (QueueQuery(view="purged", include_purged=True), "purged"),
])
def test_a_state_filter_selects_only_that_state(ctx, setting_id, filled, query, key):
    _, pages = every_page(ctx, operator(setting_id), query)
    assert sorted(pid for page in pages for pid in page) == sorted(filled[key])


def test_uploader_day_and_channel_filters(ctx, setting_id, filled):
    by_staff = media.queue_page(ctx, operator(setting_id), QueueQuery(uploader_account_id=filled["staff"]))
    assert [e.public_id for e in by_staff.entries] == filled["published"][1:]
    assert by_staff.counts["published"] == 1 and by_staff.counts["held"] == 0
    next_day = media.queue_page(ctx, operator(setting_id), QueueQuery(day=(T0 + timedelta(days=1)).date()))
    assert [e.public_id for e in next_day.entries] == filled["published"][1:]
    on_website = media.queue_page(ctx, operator(setting_id), QueueQuery(channel_id=filled["website"]))
    assert sorted(e.public_id for e in on_website.entries) == sorted(filled["published"])
    assert on_website.entries[0].published_on == ("Website",)


def test_staff_see_only_their_own_uploads_whatever_they_ask(ctx, setting_id, filled):
    staff = Principal(Role.STAFF, setting_id, account_id=filled["staff"], device_id=1)
    result = media.queue_page(ctx, staff, QueueQuery(uploader_account_id=None))
    assert [e.public_id for e in result.entries] == filled["published"][1:] and result.total == 1


def test_a_parent_cannot_read_the_queue(ctx, setting_id, filled):
    with pytest.raises(PolicyError):
        media.queue_page(ctx, Principal(Role.PARENT, setting_id, guardian_id=1))


@pytest.mark.parametrize("page, per_page", [(0, 50), (1, 0), (1, 501)])
def test_a_page_out_of_range_is_refused(ctx, setting_id, page, per_page):
    with pytest.raises(ValueError):
        media.queue_page(ctx, operator(setting_id), page=page, per_page=per_page)


def test_a_page_past_the_end_is_empty_not_an_error(ctx, setting_id, filled):
    result = media.queue_page(ctx, operator(setting_id), page=99)
    assert result.entries == () and result.total == 135 and not result.has_next and result.has_prev


def test_an_unknown_view_is_refused():
    with pytest.raises(ValueError):
        QueueQuery(view="everything")


def test_a_day_is_the_settings_day_not_a_utc_one(ctx, setting_id):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time): the Manager's 1 July.
    late = datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)
    with ctx.sessions.begin() as session:
        [after_midnight] = add_items(session, setting_id, [S.HELD], at=late)
        [before_midnight] = add_items(session, setting_id, [S.HELD], at=late - timedelta(hours=1))

    def on(day):
        return [e.public_id for e in media.queue_page(ctx, operator(setting_id), QueueQuery(day=day)).entries]

    assert on(date(2026, 7, 1)) == [after_midnight]
    assert on(date(2026, 6, 30)) == [before_midnight]


def test_a_day_with_a_clock_change_holds_all_of_its_hours(ctx, setting_id):
    # 25 October 2026 has 25 hours in London: 00:00 BST is 23:00 UTC the day before; 24:00 GMT is 00:00 UTC.
    with ctx.sessions.begin() as session:
        first = add_items(session, setting_id, [S.HELD], at=datetime(2026, 10, 24, 23, 0, tzinfo=timezone.utc))
        last = add_items(session, setting_id, [S.HELD], at=datetime(2026, 10, 25, 23, 59, tzinfo=timezone.utc))
        add_items(session, setting_id, [S.HELD], at=datetime(2026, 10, 26, 0, 0, tzinfo=timezone.utc))
    shown = media.queue_page(ctx, operator(setting_id), QueueQuery(day=date(2026, 10, 25))).entries
    assert sorted(e.public_id for e in shown) == sorted(first + last)
