"""In a real browser on a phone, a tablet and a desktop: the Manager's and parents' day of issue 16 as its
people live it: notifications, a staff member's own consent, "My uploads" updating by itself, the queue's
filters and counts, the class-list import with its preview, editing and archiving a person, and the audit log
in plain sentences, page by page and filtered.

Not marked `once`: the import, the queue counts and the audit log's paging are database queries, so the
PostgreSQL run repeats it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import test_accessibility_and_day_bugs as day_bugs
from tests.e2e.accessibility import sideways_overflow, wcag_violations
from tests.e2e.test_accessibility_and_day_bugs import VIEWPORTS, new_context, sign_in, staff_context

# The setting of the accessibility checks: a published photo, a held video and a held photo, each of one
# face, uploaded from the tablet (so the Manager has three "waiting" notifications).
scene = day_bugs.scene

NEWCOMERS = 25  # with their guardians, enough audit entries for a second page of 50
CLASS_LIST = "\n".join([
    "First name,Surname,DOB,Room,Parent 1 name,Parent 1 email,Parent 1 PR",
    # Bo is on record with no date of birth: the same person, now with a room.
    "Bo,Other,,Rainbow room,Olly Other,olly@other.test,yes",
    # Ada is on record with no date of birth: with one, she may be the same child.
    "Ada,Lovelace,14/03/2022,Rainbow room,Anne Lovelace,anne@family.test,yes",
    "Grace,Hopper,14/03/2022,Rainbow room,Mary Hopper,mary@hopper.test,yes",
    *[f"Child{n},Newcomer,0{1 + n % 9}/09/2021,Sunshine room,Carer {n},carer{n}@families.test,yes"
      for n in range(1, NEWCOMERS)],
]) + "\n"
NEW_ROWS = 2 + NEWCOMERS - 1  # Ada (a possible duplicate, added as new), Grace and the newcomers
NUMBERED_ONLY = re.compile(r"\b(account|person|guardian) \d+\b|no\. \d+")


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_the_managers_and_staffs_new_pages_work_on_each_screen(browser, live_app, scene, viewport):
    base, world = live_app.url, scene.world
    office = new_context(browser, **viewport)
    manager = office.new_page()
    sign_in(manager, base, world.manager_email, world.totp_secret)

    # Notifications: each upload the staff member made is waiting, counted in the header until seen.
    unread = manager.get_by_role("link", name=re.compile(r"^Notifications \d+ unread$"))
    expect(unread).to_be_visible()
    count = int(re.search(r"\d+", unread.inner_text()).group())
    unread.click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Notifications")
    waiting = manager.get_by_role("heading", level=2, name=re.compile(r"^A new (photo|video) is waiting"))
    expect(waiting).to_have_count(3)
    assert count == 3
    expect(manager.get_by_role("status")).to_have_text(f"{count} new since you last looked.")
    manager.reload()
    expect(manager.get_by_role("link", name="Notifications", exact=True)).to_be_visible()

    # A staff member gives their own consent for the website, on their tablet.
    tablet_context = staff_context(browser, base, world, **viewport)
    tablet = tablet_context.new_page()
    sign_in(tablet, base, world.staff_email)
    tablet.goto(f"{base}/staff/consent")
    website = tablet.locator(".card", has=tablet.get_by_role("heading", name="Our website"))
    expect(website).to_contain_text("No: you have not given consent.")
    website.get_by_role("button", name="Give my consent for Our website").click()
    expect(tablet.get_by_text("Thank you: your consent is recorded.")).to_be_visible()
    expect(website).to_contain_text("Yes: you have given consent.")
    newsletter = tablet.locator(".card", has=tablet.get_by_role("heading", name="Newsletter"))
    expect(newsletter).to_contain_text("No: you have not given consent.")

    # "My uploads" follows the held photo as the Manager rejects it, without a reload.
    tablet.clock.install()
    tablet.goto(f"{base}/staff/uploads")
    tablet.evaluate("() => { window.stillTheSamePage = true; }")
    photo_card = tablet.locator(f"[data-id='{scene.photo}']")
    status = photo_card.locator(".upload-status")
    expect(tablet.locator("#my-uploads > li")).to_have_count(3)
    expect(status).to_have_text("Waiting for the Manager to check who is in it")
    expect(tablet.locator(f"[data-id='{scene.published}'] .upload-status")).to_have_text("Published on Our website")
    manager.goto(f"{base}/manager/queue/{scene.photo}")
    manager.get_by_role("button", name="Reject and delete").click()
    expect(manager.get_by_text("Rejected: it was taken off every channel and deleted.")).to_be_visible()
    tablet.clock.run_for(10_000)
    expect(status).to_have_text("Not published: the Manager rejected it, so it was deleted")
    assert tablet.evaluate("() => window.stillTheSamePage") is True
    tablet_context.close()

    # The queue counts each state, and its filters narrow the list to what was chosen.
    manager.goto(f"{base}/manager/queue")
    counts = manager.get_by_role("navigation", name="Items by state")
    expect(counts.get_by_role("link", name="Held: needs a decision 1")).to_be_visible()
    expect(counts.get_by_role("link", name="Published 1")).to_be_visible()
    expect(counts.get_by_role("link", name="Ready to approve 0")).to_be_visible()
    manager.get_by_label("Show").select_option("held")
    manager.get_by_role("button", name="Filter").click()
    expect(manager.locator("#queue-total")).to_have_text("1 item.")
    expect(manager.locator("main .cards > li")).to_have_count(1)
    expect(manager.locator("main .cards img")).to_have_attribute("alt", re.compile(r"^Video received"))
    manager.get_by_label("Show").select_option("")
    manager.get_by_label("Published on").select_option(label="Our website")
    manager.get_by_role("button", name="Filter").click()
    expect(manager.locator("#queue-total")).to_have_text("1 item.")
    expect(manager.locator("main .cards")).to_contain_text("Published on Our website")

    # The class list: a preview of who is new, who changes and who may already be on record, then the people.
    manager.goto(f"{base}/manager/people")
    manager.get_by_label("CSV file").set_input_files(files=[{
        "name": "class-list.csv", "mimeType": "text/csv", "buffer": CLASS_LIST.encode("utf-8")}])
    manager.get_by_role("button", name="Preview the import").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Check the class list before importing")
    expect(manager.locator("#import-summary")).to_have_text(
        f"{NEW_ROWS} new, 1 changed, 0 already on record and unchanged, 1 possibly already on record. "
        "Nothing is saved until you confirm.")
    duplicates = manager.locator("section", has=manager.get_by_role("heading", name="Possibly already on record"))
    expect(duplicates.get_by_role("listitem")).to_have_count(1)
    expect(duplicates.get_by_role("listitem")).to_contain_text(f"Row 3, Ada Lovelace: Ada Lovelace, person {world.child_id}")
    new_people = manager.locator("section", has=manager.get_by_role("heading", name="New people"))
    grace = new_people.get_by_role("row", name=re.compile("Grace Hopper"))
    expect(grace).to_contain_text("14/03/2022")
    expect(grace).to_contain_text("adds Mary Hopper <mary@hopper.test> with parental responsibility")
    changes = manager.locator("section", has=manager.get_by_role("heading", name="Changes to people on record"))
    expect(changes.get_by_role("row", name=re.compile("Bo Other"))).to_contain_text("room: blank → Rainbow room")
    # The preview is the answer to a form, so the audit of every page cannot open it by address.
    assert wcag_violations(manager) == []
    assert sideways_overflow(manager) <= 0
    manager.get_by_role("button", name=f"Import {NEW_ROWS} new and 1 changed").click()
    expect(manager.get_by_text(f"Class list imported: {NEW_ROWS} new, 1 changed, 0 unchanged.")).to_be_visible()
    people = manager.get_by_role("region", name="People in the setting")
    expect(people.get_by_role("link", name="Grace Hopper")).to_be_visible()
    expect(people.get_by_role("link", name="Ada Lovelace")).to_have_count(2)
    sam = people.get_by_role("row", name=re.compile("Sam Staff"))
    expect(sam).to_contain_text("Our website: yes")
    expect(sam).to_contain_text("Newsletter: no consent")

    # Editing Grace, then archiving her: gone from the list, kept with her history.
    people.get_by_role("link", name="Grace Hopper").click()
    details = manager.locator("section", has=manager.get_by_role("heading", name="Change details"))
    expect(details.get_by_label("Room")).to_have_value("Rainbow room")
    details.get_by_label("Room").fill("Sunflower room")
    details.get_by_role("button", name="Save the details").click()
    expect(manager.get_by_text("The details are saved.")).to_be_visible()
    expect(details.get_by_label("Room")).to_have_value("Sunflower room")
    manager.get_by_role("button", name="Archive Grace Hopper").click()
    expect(manager.locator("#archived-notice")).to_contain_text("the record and its history are kept")
    manager.goto(f"{base}/manager/people")
    expect(people.get_by_role("link", name="Grace Hopper")).to_have_count(0)
    expect(people.get_by_role("link", name="Child1 Newcomer")).to_be_visible()
    manager.get_by_role("navigation", name="Current or archived").get_by_role("link", name="Archived").click()
    expect(people.get_by_role("row", name=re.compile("Grace Hopper"))).to_contain_text("archived")

    # The audit log: sentences with names, a second page, and a filter by person that keeps her history.
    manager.goto(f"{base}/manager/audit")
    total = manager.locator("#audit-total")
    expect(total).to_have_text(re.compile(r"^\d+ entries, page 1 of [2-9]\.$"))
    entries = manager.get_by_role("region", name="Audit entries")
    expect(entries.locator("tbody tr")).to_have_count(50)
    first_page = entries.locator("tbody").inner_text()
    for sentence in (f"{world.manager_email}\tGrace Hopper was archived; leaving date from blank to ",
                     "Grace Hopper's details were changed: room from Rainbow room to Sunflower room.",
                     f"A class list was imported: {NEW_ROWS} new, 1 changed.",
                     f"Carer {NEWCOMERS - 1} was linked to Child{NEWCOMERS - 1} Newcomer with parental responsibility."):
        assert sentence in first_page, (sentence, first_page[:2000])
    assert NUMBERED_ONLY.search(first_page) is None, NUMBERED_ONLY.search(first_page)
    manager.get_by_role("navigation", name="Pages").get_by_role("link", name="Older →").click()
    expect(manager.get_by_role("navigation", name="Pages")).to_contain_text("Page 2 of")
    second_page = entries.locator("tbody").inner_text()
    assert second_page.strip() and NUMBERED_ONLY.search(second_page) is None, second_page[:2000]
    manager.get_by_label("About").select_option(label="Grace Hopper (archived)")
    manager.get_by_role("button", name="Filter").click()
    expect(total).to_have_text(re.compile(r"^\d entries\.$"))
    rows = entries.locator("tbody tr")
    for at in range(rows.count()):
        # The second column: what happened (the first holds when, and who).
        expect(rows.nth(at).locator("td").nth(1)).to_contain_text("Grace Hopper")
    history = entries.locator("tbody").inner_text()
    for sentence in ("Grace Hopper was archived", "room from Rainbow room to Sunflower room",
                     "Mary Hopper was linked to Grace Hopper with parental responsibility.",
                     "Grace Hopper was added as child (import)."):
        assert sentence in history, (sentence, history)
    office.close()
