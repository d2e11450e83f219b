"""Captions: a child's surname is refused, a first name warns, other words pass."""
from __future__ import annotations

import pytest

from gatekeeper.gate.captions import CaptionRefused, Name, check_caption

CHILDREN = [Name("Zoë", "O'Brien"), Name("Sam", "Patel")]


@pytest.mark.parametrize("caption", [
    "Painting with the O'Brien twins",
    "painting with zoe obrien o’brien",
    "PATEL family day",
    "the Patel's new baby",
])
def test_a_surname_refuses_the_caption(caption):
    with pytest.raises(CaptionRefused, match="surname"):
        check_caption(caption, CHILDREN)


@pytest.mark.parametrize("caption", ["Zoe loved the sandpit", "Sam's painting"])
def test_a_first_name_warns_but_passes(caption):
    warnings = check_caption(caption, CHILDREN)
    assert len(warnings) == 1 and "first name" in warnings[0]


def test_a_letter_inside_an_apostrophe_name_is_not_a_mention():
    assert check_caption("O'Neill visited", [Name("O", "Zed")]) == []


@pytest.mark.parametrize("caption", ["Sampling the soup", "Patella is a knee bone", "Our garden in spring", ""])
def test_words_that_only_contain_a_name_pass(caption):
    assert check_caption(caption, CHILDREN) == []
