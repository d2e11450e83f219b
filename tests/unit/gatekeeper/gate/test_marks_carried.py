"""The Manager's marks survive a new analysis only on a face that is clearly the same one."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gatekeeper.faces.analysis import Box
from gatekeeper.gate.marks import Mark, Place, carry, overlap

AT = datetime(2026, 3, 14, 9, 30, tzinfo=timezone.utc)


def mark(place: Place, person: int | None = 7, not_a_person: bool = False) -> Mark:
    return Mark(place, person, not_a_person, 1, AT)


def photo(x, y, w=50, h=50, profile="photo2048") -> Place:
    return Place(profile, Box(x, y, w, h))


def test_boxes_that_coincide_overlap_whole_and_apart_not_at_all():
    assert overlap(Box(0, 0, 10, 10), Box(0, 0, 10, 10)) == 1.0
    assert overlap(Box(0, 0, 10, 10), Box(20, 20, 10, 10)) == 0.0
    assert overlap(Box(0, 0, 10, 10), Box(5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert overlap(Box(0, 0, 0, 0), Box(0, 0, 0, 0)) == 0.0


def test_the_other_faces_keep_their_marks_when_one_is_gone():
    kept = carry([mark(photo(20, 30), person=7), mark(photo(150, 30), person=8)], [photo(151, 31)])
    assert {at: m.person_id for at, m in kept.items()} == {0: 8}


def test_a_not_a_person_mark_is_carried_too():
    [only] = carry([mark(photo(20, 30), person=None, not_a_person=True)], [photo(20, 30)]).values()
    assert only.not_a_person and only.person_id is None and only.marked_at == AT


@pytest.mark.parametrize("new_face", [
    pytest.param(photo(45, 30), id="a box that moved by half its width"),
    pytest.param(photo(20, 30, profile="photo1200"), id="the same box in another copy"),
    pytest.param(Place("video720", Box(20, 30, 50, 50), frame_time=2.0), id="a video face at another moment"),
])
def test_a_face_that_is_not_clearly_the_same_gets_no_mark(new_face):
    assert carry([mark(photo(20, 30))], [new_face]) == {}


def test_two_new_faces_on_one_old_box_get_nothing_rather_than_a_guess():
    assert carry([mark(photo(20, 30))], [photo(20, 30), photo(30, 30)]) == {}


def test_one_new_face_between_two_old_marks_gets_nothing_rather_than_a_guess():
    assert carry([mark(photo(20, 30), person=7), mark(photo(32, 30), person=8)], [photo(26, 30)]) == {}


def test_a_video_face_at_the_same_moment_keeps_its_mark():
    old = Place("video720", Box(20, 30, 50, 50), frame_time=1.5)
    assert list(carry([mark(old)], [Place("video720", Box(21, 30, 50, 50), frame_time=1.5)])) == [0]
