
from gatekeeper.faces.analysis import FaceStatus
from gatekeeper.faces.gallery import Match
from gatekeeper.faces.tracking import Sighting, Track, link, overlapping_in_time, track_match
from gatekeeper.faces.video import demote_shared_people
from tests.unit.gatekeeper.faces.face_fakes import at_distance, face_row, unit

ALICE_SEEN = Match(FaceStatus.IDENTIFIED, "matches #1", person_id=1, distance=0.2, margin=0.5)
BOB_SEEN = Match(FaceStatus.IDENTIFIED, "matches #2", person_id=2, distance=0.25, margin=0.5)
UNKNOWN = Match(FaceStatus.UNKNOWN, "matches no enrolled person", distance=0.8)
UNSURE = Match(FaceStatus.UNCERTAIN, "too close to call", distance=0.3, margin=0.01)


def seen(t, x, match=UNKNOWN, features=None, size=60):
    return Sighting(t, face_row(x, 100, size, size), features, match)


def test_a_face_moving_a_little_between_samples_is_one_track():
    tracks = link([[seen(0.0, 100)], [seen(0.25, 110)], [seen(0.5, 125)]])
    assert len(tracks) == 1 and tracks[0].times == (0.0, 0.25, 0.5)


def test_a_small_face_moving_further_than_its_box_still_links_by_proximity():
    tracks = link([[seen(0.0, 100, size=30)], [seen(0.25, 130, size=30)]])
    assert len(tracks) == 1


def test_two_faces_side_by_side_stay_two_tracks():
    tracks = link([[seen(0.0, 100), seen(0.0, 400)], [seen(0.25, 105), seen(0.25, 405)]])
    assert sorted(len(t.sightings) for t in tracks) == [2, 2]
    assert {round(float(s.row[0])) for s in tracks[0].sightings} in ({100, 105}, {400, 405})


def test_a_face_lost_for_too_long_starts_a_new_track():
    assert len(link([[seen(0.0, 100)], [seen(3.0, 100)]])) == 2


def test_features_of_different_people_never_link_even_in_the_same_place():
    a, b = unit(1), unit(2)
    assert len(link([[seen(0.0, 100, features=a)], [seen(0.25, 100, features=b)]])) == 2


def test_similar_features_link_a_face_that_jumped():
    a = unit(1)
    tracks = link([[seen(0.0, 100, features=a)], [seen(0.25, 500, features=at_distance(a, 0.1))]])
    assert len(tracks) == 1


def test_a_track_whose_confident_frames_agree_is_identified():
    track = Track([seen(0, 1, ALICE_SEEN), seen(0.25, 1, UNKNOWN), seen(0.5, 1, ALICE_SEEN)])
    match = track_match(track)
    assert match.status is FaceStatus.IDENTIFIED and match.person_id == 1
    assert "2 of 3" in match.reason


def test_a_track_whose_frames_name_different_people_is_uncertain():
    match = track_match(Track([seen(0, 1, ALICE_SEEN), seen(0.25, 1, BOB_SEEN)]))
    assert match.status is FaceStatus.UNCERTAIN and match.person_id is None
    assert "#1, #2" in match.reason


def test_one_confident_frame_among_many_unclear_ones_is_not_enough():
    track = Track([seen(0, 1, ALICE_SEEN)] + [seen(0.25 * i, 1, UNKNOWN) for i in range(1, 6)])
    match = track_match(track)
    assert match.status is FaceStatus.UNCERTAIN and "only 1 of 6" in match.reason


def test_a_track_with_no_confident_frame_keeps_the_most_cautious_status():
    assert track_match(Track([seen(0, 1, UNKNOWN), seen(0.25, 1, UNSURE)])).status is FaceStatus.UNCERTAIN
    assert track_match(Track([seen(0, 1, UNKNOWN)])).status is FaceStatus.UNKNOWN


def test_two_tracks_seen_together_and_matched_to_one_person_are_both_uncertain():
    a, b = Track([seen(0, 1), seen(1, 1)]), Track([seen(0.5, 300), seen(2, 300)])
    result = demote_shared_people([a, b], [ALICE_SEEN, ALICE_SEEN])
    assert [m.status for m in result] == [FaceStatus.UNCERTAIN, FaceStatus.UNCERTAIN]


def test_one_person_leaving_and_coming_back_is_not_a_clash():
    a, b = Track([seen(0, 1), seen(1, 1)]), Track([seen(3, 300), seen(4, 300)])
    assert not overlapping_in_time(a, b)
    assert [m.status for m in demote_shared_people([a, b], [ALICE_SEEN, ALICE_SEEN])] == [FaceStatus.IDENTIFIED] * 2


def test_no_frames_give_no_tracks():
    assert link([]) == [] and link([[], []]) == []
