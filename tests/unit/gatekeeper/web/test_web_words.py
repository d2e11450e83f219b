"""Sentences start with a capital and keep the names inside them as they were written."""
from __future__ import annotations

import pytest

from gatekeeper.web.words import first_upper


@pytest.mark.parametrize("text, shown", [
    ("published on Our website, Family gallery", "Published on Our website, Family gallery"),
    ("the subject names Ada: parents of other children will read it", "The subject names Ada: parents of other children will read it"),
    ("", ""),
    (None, ""),
])
def test_only_the_first_letter_is_raised(text, shown):
    assert first_upper(text) == shown


def test_the_pages_have_the_filter(app):
    rendered = app.jinja_env.from_string("{{ words | first_upper }}").render(words="waiting for the Manager")
    assert rendered == "Waiting for the Manager"
