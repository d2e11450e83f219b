"""The tracker with synthetic faces: geometry, looks and features chosen by the test."""
import numpy as np
import pytest

from gatekeeper.faces.analysis import FaceStatus
from gatekeeper.faces.gallery import THRESHOLD, Match
from gatekeeper.faces.tracking import (
    APPEARANCE_CHANGE,
    CHECK_EVERY_FRAMES,
    Detection,
    Sighting,
    Track,
    Tracker,
    overlapping_in_time,
    track_match,
)
from gatekeeper.faces.video import demote_shared_people
from tests.unit.gatekeeper.faces.face_fakes import at_distance, face_row, unit

ALICE_SEEN = Match(FaceStatus.IDENTIFIED, "matches #1", person_id=1, distance=0.2, margin=0.5)
BOB_SEEN = Match(FaceStatus.IDENTIFIED, "matches #2", person_id=2, distance=0.25, margin=0.5)
UNKNOWN = Match(FaceStatus.UNKNOWN, "matches no enrolled person", distance=0.8)
UNSURE = Match(FaceStatus.UNCERTAIN, "too close to call", distance=0.3, margin=0.01)
TOO_SMALL = Match(FaceStatus.UNCERTAIN, "face too small to recognise reliably (20 px; needs 24 px)")
LOOK = unit(50)  # a look: signatures are unit vectors, compared like features


def look_at(change: float) -> np.ndarray:
    """A look that differs from LOOK by exactly `change`."""
    return at_distance(LOOK, change, seed=7)


class Face:
    """A face the test places: where, how it looks, what its features and match are; counts checks."""

    def __init__(self, x, features=None, match=UNKNOWN, look=None, size=60):
        self.x, self.features, self.match, self.size = x, features, match, size
        self.look = LOOK if look is None else look
        self.checks = 0

    def detection(self):
        def check():
            self.checks += 1
            return self.features, self.match
        return Detection(face_row(self.x, 100, self.size, self.size), self.look, check)


def run(frames, rate=25.0):
    """frames: a list of lists of Face; returns the finished tracks."""
    tracker = Tracker()
    for index, faces in enumerate(frames):
        tracker.add_frame(index, index / rate, [f.detection() for f in faces])
    return tracker.finish()


ALICE = unit(1)


def test_a_face_that_stays_put_is_one_track_checked_first_last_and_every_k_frames():
    alice = Face(100, ALICE, ALICE_SEEN)
    [track] = run([[alice]] * 30)
    assert len(track.sightings) == 30
    checked = [s.frame for s in track.sightings if s.checked]
    assert checked[0] == 0 and checked[-1] == 29
    assert max(np.diff(checked)) <= CHECK_EVERY_FRAMES
    assert track_match(track).status is FaceStatus.IDENTIFIED


def test_a_small_face_moving_further_than_its_box_still_links_by_proximity():
    a, b = Face(100, size=30), Face(130, size=30)
    assert len(run([[a], [b]])) == 1


def test_two_faces_side_by_side_stay_two_tracks():
    tracks = run([[Face(100), Face(400)], [Face(105), Face(405)]])
    assert sorted(len(t.sightings) for t in tracks) == [2, 2]


def test_a_face_lost_for_too_long_starts_a_new_track():
    assert len(run([[Face(100)]] + [[]] * 20 + [[Face(100)]])) == 2


@pytest.mark.parametrize("distance, expected", [(THRESHOLD - 0.01, 1), (THRESHOLD + 0.01, 2), (0.6, 2), (1.0, 2)])
def test_features_further_apart_than_the_match_threshold_never_link_even_in_the_same_place(distance, expected):
    stranger = unit(3)
    first = Face(100, stranger, UNKNOWN)
    second = Face(100, at_distance(stranger, distance), UNKNOWN, look=look_at(0.5))
    assert len(run([[first], [second]])) == expected


@pytest.mark.parametrize("distance", [0.1, THRESHOLD - 0.01])
def test_a_face_that_jumped_links_by_features_only_within_the_threshold(distance):
    tracks = run([[Face(100, ALICE, ALICE_SEEN)], [Face(600, at_distance(ALICE, distance), ALICE_SEEN)]])
    assert len(tracks) == 1
    tracks = run([[Face(100, ALICE, ALICE_SEEN)], [Face(600, at_distance(ALICE, THRESHOLD + 0.02), ALICE_SEEN)]])
    assert len(tracks) == 2


def test_a_different_person_cutting_in_at_the_same_spot_is_checked_at_once_and_split_off():
    alice, bob = Face(100, ALICE, ALICE_SEEN), Face(100, unit(2), UNKNOWN, look=look_at(APPEARANCE_CHANGE + 0.05))
    tracks = run([[alice]] * 5 + [[bob]] * 5)
    assert [len(t.sightings) for t in tracks] == [5, 5]
    assert [track_match(t).status for t in tracks] == [FaceStatus.IDENTIFIED, FaceStatus.UNKNOWN]
    assert tracks[1].sightings[0].checked  # its first frame was checked, not carried


def test_a_look_alike_too_subtle_for_the_look_test_is_caught_within_k_frames_and_takes_every_unchecked_frame():
    alice = Face(100, ALICE, ALICE_SEEN)
    # Features within linking distance of Alice's, but the gallery says it is not Alice.
    twin = Face(100, at_distance(ALICE, 0.3), UNKNOWN, look=look_at(APPEARANCE_CHANGE / 2))
    tracks = run([[alice]] * 3 + [[twin]] * 12)
    identified = [t for t in tracks if track_match(t).status is FaceStatus.IDENTIFIED]
    assert len(identified) == 1 and max(identified[0].times) < 3 / 25
    held = [round(x * 25) for t in tracks if t not in identified for x in t.times]
    assert set(range(3, 15)) <= set(held)  # and Alice's unchecked frames before it, to be safe


def test_a_look_alike_who_leaves_before_the_next_periodic_check_is_caught_when_the_track_ends():
    alice = Face(100, ALICE, ALICE_SEEN)
    twin = Face(100, at_distance(ALICE, 0.3), UNKNOWN, look=look_at(APPEARANCE_CHANGE / 2))
    tracks = run([[alice]] * 3 + [[twin]] * 2)
    identified = [t for t in tracks if track_match(t).status is FaceStatus.IDENTIFIED]
    assert all(max(t.times) < 3 / 25 for t in identified)


def test_features_are_not_computed_for_frames_that_ride_on_a_steady_track():
    alice = Face(100, ALICE, ALICE_SEEN)
    run([[alice]] * 100)
    assert alice.checks <= 100 // CHECK_EVERY_FRAMES + 2


def test_a_small_face_whose_look_changes_on_a_known_track_is_split_off():
    alice = Face(100, ALICE, ALICE_SEEN)
    small_other = Face(100, None, TOO_SMALL, look=look_at(APPEARANCE_CHANGE + 0.05))
    tracks = run([[alice]] * 3 + [[small_other]] * 3)
    assert len(tracks) == 2 and track_match(tracks[1]).status is FaceStatus.UNCERTAIN


def test_a_track_is_identified_only_if_every_checked_frame_names_that_person():
    identified = Track([Sighting(0, 0.0, face_row(1, 1, 60, 60), LOOK, ALICE, ALICE_SEEN),
                        Sighting(1, 0.04, face_row(1, 1, 60, 60), LOOK),  # rode unchecked
                        Sighting(2, 0.08, face_row(1, 1, 60, 60), LOOK, ALICE, ALICE_SEEN)])
    match = track_match(identified)
    assert match.status is FaceStatus.IDENTIFIED and match.person_id == 1 and "all 2 checked" in match.reason
    one_unclear = Track(identified.sightings + [Sighting(3, 0.12, face_row(1, 1, 60, 60), LOOK, ALICE, UNKNOWN)])
    assert track_match(one_unclear).status is FaceStatus.UNCERTAIN


def test_many_confident_frames_do_not_outvote_one_that_names_someone_else():
    sightings = [Sighting(i, i / 25, face_row(1, 1, 60, 60), LOOK, ALICE, ALICE_SEEN) for i in range(9)]
    sightings.append(Sighting(9, 9 / 25, face_row(1, 1, 60, 60), LOOK, unit(2), BOB_SEEN))
    match = track_match(Track(sightings))
    assert match.status is FaceStatus.UNCERTAIN and "#1, #2" in match.reason


def test_a_track_with_no_confident_frame_keeps_the_most_cautious_status():
    unsure = Track([Sighting(0, 0.0, face_row(1, 1, 60, 60), LOOK, unit(4), UNKNOWN),
                    Sighting(1, 0.04, face_row(1, 1, 60, 60), LOOK, unit(4), UNSURE)])
    assert track_match(unsure).status is FaceStatus.UNCERTAIN
    assert track_match(Track(unsure.sightings[:1])).status is FaceStatus.UNKNOWN


def test_two_tracks_seen_together_and_matched_to_one_person_are_both_uncertain():
    a = Track([Sighting(0, 0.0, face_row(1, 1, 9, 9), LOOK), Sighting(25, 1.0, face_row(1, 1, 9, 9), LOOK)])
    b = Track([Sighting(12, 0.5, face_row(300, 1, 9, 9), LOOK), Sighting(50, 2.0, face_row(300, 1, 9, 9), LOOK)])
    result = demote_shared_people([a, b], [ALICE_SEEN, ALICE_SEEN])
    assert [m.status for m in result] == [FaceStatus.UNCERTAIN, FaceStatus.UNCERTAIN]


def test_one_person_leaving_and_coming_back_is_not_a_clash():
    a = Track([Sighting(0, 0.0, face_row(1, 1, 9, 9), LOOK), Sighting(25, 1.0, face_row(1, 1, 9, 9), LOOK)])
    b = Track([Sighting(75, 3.0, face_row(300, 1, 9, 9), LOOK), Sighting(100, 4.0, face_row(300, 1, 9, 9), LOOK)])
    assert not overlapping_in_time(a, b)
    assert [m.status for m in demote_shared_people([a, b], [ALICE_SEEN, ALICE_SEEN])] == [FaceStatus.IDENTIFIED] * 2


def test_no_frames_give_no_tracks():
    assert run([]) == [] and run([[], []]) == []
