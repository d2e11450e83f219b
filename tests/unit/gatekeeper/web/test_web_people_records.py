"""The Manager's records pages for issue 16: class-list preview and confirm, editing and archiving people,
guardians and channels, consent badges, and the face picker saying who lacks consent where."""
from __future__ import annotations

import html
import io
import re

from sqlalchemy import func, select

from consent_db.models import Account, AuditEvent, Guardian, GuardianLink, Person
from gatekeeper.web.current import DEVICE_COOKIE
from gatekeeper.database import transaction
from tests.unit.gatekeeper.web.test_web_staff_and_queue import grant, item_id, published_files  # noqa: F401
from tests.web_world import PASSWORD, post

CLASS_LIST = ("First name,Surname,DOB,Room,Guardian name,Guardian email,Guardian PR\n"
              "Mia,Moss,14/03/2022,Acorns,Meg Moss,meg@family.test,yes\n"
              "Ada,Lovelace,,Oaks,,,\n")


def upload(app, manager, text: str):
    return post(app, manager, "/manager/people/import", {"file": (io.BytesIO(text.encode()), "class.csv")},
                content_type="multipart/form-data")


def confirm(app, manager, page: str, text: str | None = None):
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page)[1]
    csv_text = text if text is not None else re.search(r'<textarea name="csv"[^>]*>\n(.*?)</textarea>', page, re.S)[1]
    return post(app, manager, "/manager/people/import/confirm", {"csv": html.unescape(csv_text),
                                                                 "fingerprint": fingerprint})


def counts(app) -> tuple[int, int, int, int]:
    with transaction(app) as db:
        return tuple(db.scalar(select(func.count()).select_from(model))
                     for model in (Person, Guardian, GuardianLink, AuditEvent))


def test_a_class_list_is_previewed_then_imported_and_a_second_time_changes_nothing(app, world, manager):
    before = counts(app)
    preview = upload(app, manager, CLASS_LIST)
    page = preview.data.decode()
    assert preview.status_code == 200 and counts(app) == before, "the preview stores nothing"
    assert "<strong>1</strong> new, <strong>1</strong> changed" in page
    assert "adds Meg Moss &lt;meg@family.test&gt; with parental responsibility" in page
    assert "room: blank → Oaks" in page and "14/03/2022" in page
    done = confirm(app, manager, page)
    assert done.status_code == 302
    assert "Class list imported: 1 new, 1 changed, 0 unchanged." in manager.get(done.location).data.decode()
    with transaction(app) as db:
        mia = db.scalars(select(Person).where(Person.first_name == "Mia")).one()
        assert mia.room == "Acorns" and [link.guardian.email for link in mia.guardian_links] == ["meg@family.test"]
    after = counts(app)
    again = upload(app, manager, CLASS_LIST).data.decode()
    assert "there is nothing to import" in again and 'name="fingerprint"' not in again
    assert counts(app) == after


def test_a_possible_duplicate_is_shown_before_anything_is_stored(app, world, manager):
    page = upload(app, manager, "first_name,surname,born\nAda,Lovelace,2021-01-01\n").data.decode()
    assert "Possibly already on record" in page and f"person {world.child_id}" in page


def test_a_bad_class_list_names_the_rows_and_stores_nothing(app, world, manager):
    before = counts(app)
    bad = upload(app, manager, "first_name,surname,born\nZed,Zee,03/14/2022\nYan,Yu,14/03/22\n")
    page = bad.data.decode()
    assert bad.status_code == 400
    assert "row 2: date of birth &#39;03/14/2022&#39; looks like month first" in page
    assert "row 3: date of birth &#39;14/03/22&#39; is ambiguous" in page
    assert counts(app) == before


def test_confirming_after_the_records_changed_shows_the_new_preview_and_stores_nothing(app, world, manager):
    page = upload(app, manager, CLASS_LIST).data.decode()
    post(app, manager, "/manager/people", {"kind": "child", "first_name": "Mia", "surname": "Moss", "born": "2022-03-14"})
    before = counts(app)
    stale = confirm(app, manager, page)
    assert stale.status_code == 409 and "The records changed since the preview was made" in stale.data.decode()
    assert counts(app) == before


def test_a_confirmation_without_its_file_or_with_a_bad_one_stores_nothing(app, world, manager):
    before = counts(app)
    assert post(app, manager, "/manager/people/import/confirm", {"fingerprint": "ab"}).status_code == 400
    bad = post(app, manager, "/manager/people/import/confirm", {"csv": "first_name\nx\n", "fingerprint": "ab"})
    assert bad.status_code == 400 and "the column &#39;surname&#39; is missing" in bad.data.decode()
    too_big = post(app, manager, "/manager/people/import/confirm", {"csv": "a" * 600_000, "fingerprint": "ab"})
    assert too_big.status_code == 400
    assert counts(app) == before


def test_the_people_list_shows_consent_badges_per_channel(app, world, manager):
    grant(app, world, world.website_id)
    page = manager.get("/manager/people?kind=child").data.decode()
    row = page[page.index("Ada Lovelace"):page.index("Bo Other")]
    assert "Our website: yes" in row and "Newsletter: no consent" in row


def test_the_face_picker_says_who_has_no_consent_for_which_channel(app, world, manager, item_id):
    grant(app, world, world.website_id)
    page = manager.get(f"/manager/queue/{item_id}").data.decode()
    assert "Ada Lovelace (child) — no consent for Newsletter</option>" in page
    assert "Bo Other (child) — no consent for Our website, Newsletter</option>" in page


def test_a_persons_details_are_edited_and_bad_ones_refused(app, world, manager):
    url = f"/manager/people/{world.child_id}/edit"
    ok = post(app, manager, url, {"first_name": "Ada", "surname": "King", "born": "2021-03-04", "room": "Oaks"})
    assert ok.status_code == 302 and "Ada King" in manager.get(ok.location).data.decode()
    bad = post(app, manager, url, {"first_name": "Ada", "surname": "King", "born": "2021-03-04",
                                   "starts": "2020-01-01"})
    assert bad.status_code == 400 and "before the date of birth" in bad.data.decode()
    assert post(app, manager, "/manager/people/9999/edit", {"first_name": "A", "surname": "B"}).status_code == 404
    with transaction(app) as db:
        assert db.get(Person, world.child_id).start_date is None


def test_archiving_a_child_takes_their_photos_down_hides_them_and_keeps_the_record(app, world, manager, item_id):
    grant(app, world, world.website_id)
    post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": 0, "person_id": world.child_id})
    post(app, manager, f"/manager/queue/{item_id}/approve", {"channel_id": world.website_id})
    assert len(published_files(app)) == 1
    done = post(app, manager, f"/manager/people/{world.child_id}/archive")
    assert done.status_code == 302 and published_files(app) == []
    assert "Ada Lovelace is archived" in manager.get(done.location).data.decode()
    assert "Ada Lovelace" not in manager.get("/manager/people").data.decode()
    assert "Ada Lovelace" in manager.get("/manager/people?show=archived").data.decode()
    person_page = manager.get(f"/manager/people/{world.child_id}").data.decode()
    assert "Archived on" in person_page and "Change details" not in person_page
    assert post(app, manager, f"/manager/people/{world.child_id}/archive").status_code == 409
    assert post(app, manager, f"/manager/people/{world.child_id}/edit",
                {"first_name": "A", "surname": "B"}).status_code == 400
    restored = post(app, manager, f"/manager/people/{world.child_id}/restore")
    assert restored.status_code == 302 and "is shown again" in manager.get(restored.location).data.decode()
    assert post(app, manager, f"/manager/people/{world.child_id}/restore").status_code == 409
    assert "Ada Lovelace" in manager.get("/manager/people").data.decode()
    assert manager.get("/manager/people?show=nonsense").status_code == 400
    assert post(app, manager, "/manager/people/9999/archive").status_code == 404


def test_archiving_a_staff_member_who_left_disables_their_account_and_ends_their_session(app, world, manager,
                                                                                         staff):
    page = manager.get(f"/manager/people/{world.staff_person_id}").data
    assert b"Their staff account is disabled" in page
    assert post(app, manager, f"/manager/people/{world.staff_person_id}/archive").status_code == 302
    assert staff.get("/staff/upload").location.startswith("/signin")
    again = app.test_client()
    again.set_cookie(DEVICE_COOKIE, world.device_token)
    refused = post(app, again, "/signin", {"email": world.staff_email, "password": PASSWORD})
    assert refused.status_code == 401
    with transaction(app) as db:
        assert db.get(Account, world.staff_id).disabled
        assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.tag == "account:disabled")) == 1
    # Restoring the person does not let the account back in by itself; the Manager is told where to.
    restored = post(app, manager, f"/manager/people/{world.staff_person_id}/restore")
    assert "enable their staff account on Accounts" in manager.get(restored.location).data.decode()
    assert post(app, again, "/signin", {"email": world.staff_email, "password": PASSWORD}).status_code == 401


def test_a_guardian_is_edited_loses_parental_responsibility_and_is_archived(app, world, manager):
    url = f"/manager/people/{world.child_id}/guardians/{world.guardian_id}"
    ok = post(app, manager, url, {"name": "Anne King", "email": "anne@family.test"})
    assert ok.status_code == 302
    with transaction(app) as db:
        assert db.get(Guardian, world.guardian_id).name == "Anne King"
        assert db.get(GuardianLink, (world.guardian_id, world.child_id)).parental_responsibility is False
    taken = post(app, manager, url, {"name": "Anne King", "email": "olly@other.test", "parental_responsibility": "yes"})
    assert taken.status_code == 400 and "already the email of guardian" in taken.data.decode()
    with transaction(app) as db:
        assert db.get(GuardianLink, (world.guardian_id, world.child_id)).parental_responsibility is False, \
            "nothing of a refused edit is kept"
    assert post(app, manager, f"/manager/people/{world.child_id}/guardians/999",
                {"name": "A", "email": "a@b.org"}).status_code == 404
    assert post(app, manager, url + "/archive").status_code == 302
    assert post(app, manager, url + "/archive").status_code == 409
    assert "Anne King — anne@family.test · no parental responsibility · archived" in \
        manager.get(f"/manager/people/{world.child_id}").data.decode()


def test_a_guardian_archived_by_mistake_is_restored_and_can_be_edited_again(app, world, manager):
    url = f"/manager/people/{world.child_id}/guardians/{world.guardian_id}"
    assert post(app, manager, url + "/restore").status_code == 409, "not archived yet"
    post(app, manager, url + "/archive")
    page = manager.get(f"/manager/people/{world.child_id}").data.decode()
    assert f'action="{url}/restore"' in page
    restored = post(app, manager, url + "/restore")
    assert restored.status_code == 302
    with transaction(app) as db:
        assert db.get(Guardian, world.guardian_id).archived_at is None
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.tag == "guardian:restored")).all()
        assert event.subject == f"guardian:{world.guardian_id}"
    assert post(app, manager, url, {"name": "Anne Lovelace", "email": "anne@family.test",
                                    "parental_responsibility": "yes"}).status_code == 302
    assert "Anne Lovelace was restored from the archive." in manager.get("/manager/audit?kind=guardian").data.decode()
    assert post(app, manager, f"/manager/people/{world.child_id}/guardians/999/restore").status_code == 404


def test_a_channel_is_renamed_then_archived_which_takes_down_what_is_published_there(app, world, manager, item_id):
    grant(app, world, world.website_id)
    post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": 0, "person_id": world.child_id})
    post(app, manager, f"/manager/queue/{item_id}/approve", {"channel_id": world.website_id})
    assert len(published_files(app)) == 1
    renamed = post(app, manager, f"/manager/channels/{world.website_id}/edit",
                   {"name": "The website", "description": "Photos on our public website."})
    assert renamed.status_code == 302 and "The website" in manager.get("/manager/channels").data.decode()
    empty = post(app, manager, f"/manager/channels/{world.website_id}/edit", {"name": "W", "description": " "})
    assert empty.status_code == 400 and "plain-English description" in empty.data.decode()
    archived = post(app, manager, f"/manager/channels/{world.website_id}/archive")
    assert archived.status_code == 302 and published_files(app) == []
    assert "is archived" in manager.get(archived.location).data.decode()
    assert "The website" not in manager.get("/manager/channels").data.decode()
    assert "The website" in manager.get("/manager/channels?show=archived").data.decode()
    again = post(app, manager, f"/manager/queue/{item_id}/approve", {"channel_id": world.website_id})
    assert again.status_code == 400 and len(published_files(app)) == 0, "nothing is published on an archived channel"
    assert post(app, manager, f"/manager/channels/{world.website_id}/archive").status_code == 409
    assert post(app, manager, "/manager/channels/999/archive").status_code == 404
    assert post(app, manager, "/manager/channels/999/edit", {"name": "A", "description": "B"}).status_code == 404
    assert manager.get("/manager/channels?show=nonsense").status_code == 400


def test_a_channel_archived_by_mistake_is_restored_and_publishes_only_what_is_approved_again(app, world, manager,
                                                                                              item_id):
    grant(app, world, world.website_id)
    post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": 0, "person_id": world.child_id})
    post(app, manager, f"/manager/queue/{item_id}/approve", {"channel_id": world.website_id})
    url = f"/manager/channels/{world.website_id}"
    assert post(app, manager, url + "/restore").status_code == 409, "not archived yet"
    post(app, manager, url + "/archive")
    assert published_files(app) == []
    assert f'action="{url}/restore"' in manager.get("/manager/channels?show=archived").data.decode()
    restored = post(app, manager, url + "/restore")
    assert restored.status_code == 302 and "is open again" in manager.get(restored.location).data.decode()
    assert published_files(app) == [], "what was taken down stays down"
    assert "Our website" in manager.get("/manager/channels").data.decode()
    with transaction(app) as db:
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.tag == "channel:restored")).all()
        assert event.subject == f"channel:{world.website_id}"
    assert "was restored from the archive." in manager.get("/manager/audit").data.decode()
    # The parent's consent, never changed by the archive, lets it be published again once approved.
    assert post(app, manager, f"/manager/queue/{item_id}/approve", {"channel_id": world.website_id}).status_code == 302
    assert len(published_files(app)) == 1
    assert post(app, manager, "/manager/channels/999/restore").status_code == 404


def test_the_queue_pages_through_every_item_with_counts_and_a_day_filter(app, world, manager):
    from datetime import datetime, timezone

    from consent_db.models import ItemState
    from tests.queue_rows import add_items

    with transaction(app) as db:
        ids = add_items(db, world.setting_id, [ItemState.HELD] * 100, at=datetime(2026, 3, 14, 9, tzinfo=timezone.utc))
    pages = [manager.get(f"/manager/queue?state=held&page={n}").data.decode() for n in (1, 2, 3)]
    shown = [pid for pid in ids if any(pid in page for page in pages)]
    assert shown == ids, "every held item is on some page (48 a page)"
    assert all(sum(pid in page for page in pages) == 1 for pid in ids), "and on only one"
    assert "100 items, page 1 of 3" in pages[0] and 'rel="next"' in pages[0] and 'rel="prev"' in pages[2]
    next_link = re.search(r'<a rel="next" href="([^"]+)"', pages[0])[1]
    assert "state=held" in next_link and "page=2" in next_link, "the filter travels with the page links"
    assert 'Held: needs a decision <span class="badge">100</span>' in pages[0]
    assert ids[0] in manager.get("/manager/queue?day=2026-03-14&state=held&page=3").data.decode()
    assert "0 items" in manager.get("/manager/queue?day=15/03/2026").data.decode()
    for bad in ("page=0", "page=x", "day=14/03/26", "state=everything"):
        assert manager.get(f"/manager/queue?{bad}").status_code == 400, bad


def test_the_audit_log_names_people_in_sentences_with_raw_details_behind_a_disclosure(app, world, manager):
    grant(app, world, world.website_id)
    page = manager.get(f"/manager/audit?person={world.child_id}").data.decode()
    assert "Ada Lovelace was added as child (manual)." in page
    assert "Anne Lovelace was linked to Ada Lovelace with parental responsibility." in page
    assert "account 1" not in page and "<details><summary>Details" in page
    post(app, manager, f"/manager/people/{world.child_id}/edit", {"first_name": "Ada", "surname": "Lovelace",
                                                                  "room": "Oaks"})
    changed = manager.get("/manager/audit?kind=person").data.decode()
    assert "Ada Lovelace&#39;s details were changed: room from blank to Oaks." in changed
    assert "manager@acorns.test" in changed, "the Manager is named by their account, not a number"
    assert "Bo Other was added" not in manager.get(f"/manager/audit?person={world.child_id}").data.decode()
    assert manager.get("/manager/audit?person=9999").status_code == 404
    assert manager.get("/manager/audit?person=x").status_code == 400
    assert manager.get(f"/manager/audit?person={world.child_id}&item=abc").status_code == 400
    assert manager.get("/manager/audit?page=0").status_code == 400
    beyond = manager.get("/manager/audit?page=99")
    assert beyond.status_code == 200 and 'id="event-' not in beyond.data.decode()


def test_the_audit_log_shows_times_on_the_settings_clock_and_says_so_truthfully(app, world, manager):
    from datetime import datetime, timezone

    from consent_db import audit

    with transaction(app) as db:
        event = audit.record(db, audit.AuditTag.MEDIA_PURGED, actor_label="system", subject="media:abc",
                             setting_id=world.setting_id, details={"reason": "rejected"},
                             at=datetime(2026, 7, 1, 8, 30, tzinfo=timezone.utc))
        event_id = event.id
    page = manager.get("/manager/audit").data.decode()
    row = page[page.index(f'id="event-{event_id}"'):]
    assert "01/07/2026 09:30" in row[:400], "08:30 UTC is 09:30 in London in July"
    assert "UTC" not in page[page.index("<thead>"):page.index("</thead>")]
