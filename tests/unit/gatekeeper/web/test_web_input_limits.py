"""Every form field has a length limit and no control characters (none at all in one-line fields);
the audit page passes only its own filter keys into links."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consent_db.models import Guardian
from gatekeeper.database import transaction
from tests.web_world import post


def guardians(app) -> int:
    with transaction(app) as db:
        return db.scalar(select(func.count()).select_from(Guardian))


@pytest.mark.parametrize("name", ["Anne\x00Lovelace", "Anne\u202eecalevoL", "Anne\nLovelace", "A" * 5001])
def test_a_name_with_control_characters_or_too_long_is_refused_and_nothing_saved(app, world, manager, name):
    before = guardians(app)
    response = post(app, manager, f"/manager/people/{world.child_id}/guardians",
                    {"name": name, "email": "new@family.test", "parental_responsibility": "yes"})
    assert response.status_code == 400 and b"nothing was saved" in response.data
    assert guardians(app) == before


def test_sign_in_with_a_control_character_in_the_email_is_a_plain_400(app, world):
    response = post(app, app.test_client(), "/signin", {"email": "anne@family.test\x00", "password": "whatever it is"})
    assert response.status_code == 400 and b"control characters" in response.data


def test_a_multi_line_note_may_have_line_breaks(app, world, manager):
    from gatekeeper.web.security import text_problem

    assert text_problem("caption", "First line\r\nsecond line\tand a tab") is None
    assert text_problem("caption", "bell\x07") is not None


@pytest.mark.parametrize("query", ["_external=1&_scheme=javascript", "endpoint=auth.signin", "_anchor=x&tag=media:"])
def test_the_audit_page_ignores_query_keys_that_are_not_its_filters(app, world, manager, query):
    response = manager.get(f"/manager/audit?{query}")
    assert response.status_code == 200
    page = response.data.decode()
    assert "javascript:" not in page and "#x" not in page
    assert 'href="/manager/audit/export.csv' in page
