"""The gate's decision, one row per reason a face or an item is cleared or held."""
from __future__ import annotations

import pytest

from consent_db.verdicts import Reason, Verdict
from gatekeeper.faces.analysis import Analysis, Box, Face, FaceStatus
from gatekeeper.gate.decision import FaceOutcome, ItemOutcome, ManagerMarks, decide

CHANNEL = 7
ALICE, BEN = 1, 2
BOX = Box(10, 10, 40, 40)


def identified(index: int, person: int, **extra) -> Face:
    return Face(index=index, box=BOX, score=0.9, status=FaceStatus.IDENTIFIED, reason="matched", person_id=person,
                distance=0.3, margin=0.2, **extra)


def unknown(index: int, **extra) -> Face:
    return Face(index=index, box=BOX, score=0.9, status=FaceStatus.UNKNOWN, reason="matched nobody", **extra)


def uncertain(index: int) -> Face:
    return Face(index=index, box=BOX, score=0.9, status=FaceStatus.UNCERTAIN, reason="too close to call",
                person_id=ALICE)


def allowed(person: int) -> Verdict:
    return Verdict(person, True, Reason.IN_FORCE)


def refused(person: int, reason: Reason) -> Verdict:
    return Verdict(person, False, reason)


BOTH_ALLOWED = {ALICE: allowed(ALICE), BEN: allowed(BEN)}

FACE_ROWS = [
    # (case, faces, channel consent, face-matching consent, marks, expected outcomes, cleared)
    ("an identified face with consent in force is cleared",
     [identified(0, ALICE)], BOTH_ALLOWED, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.CONSENT_IN_FORCE], True),
    ("an unknown face is held",
     [unknown(0)], BOTH_ALLOWED, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.UNKNOWN], False),
    ("an uncertain face is held even when it names someone with consent",
     [uncertain(0)], BOTH_ALLOWED, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.UNCERTAIN], False),
    ("no consent record holds the face",
     [identified(0, ALICE)], {ALICE: refused(ALICE, Reason.NO_RECORD)}, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.NO_CHANNEL_CONSENT], False),
    ("refused consent holds the face",
     [identified(0, ALICE)], {ALICE: refused(ALICE, Reason.REFUSED)}, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.NO_CHANNEL_CONSENT], False),
    ("withdrawn consent holds the face",
     [identified(0, ALICE)], {ALICE: refused(ALICE, Reason.WITHDRAWN)}, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.NO_CHANNEL_CONSENT], False),
    ("expired consent holds the face",
     [identified(0, ALICE)], {ALICE: refused(ALICE, Reason.EXPIRED)}, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.NO_CHANNEL_CONSENT], False),
    ("a child who has left the setting is held",
     [identified(0, ALICE)], {ALICE: refused(ALICE, Reason.LEFT_SETTING)}, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.NO_CHANNEL_CONSENT], False),
    ("a child's objection holds the face",
     [identified(0, ALICE)], {ALICE: refused(ALICE, Reason.CHILD_OBJECTED)}, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.NO_CHANNEL_CONSENT], False),
    ("a person whose consent was not looked up is held, not assumed",
     [identified(0, ALICE)], {}, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.CONSENT_NOT_CHECKED], False),
    ("an engine match without face-matching consent is held for identification by hand",
     [identified(0, ALICE)], BOTH_ALLOWED, {ALICE: refused(ALICE, Reason.WITHDRAWN)}, ManagerMarks(),
     [FaceOutcome.NO_FACE_MATCHING_CONSENT], False),
    ("an engine match whose face-matching consent was not looked up is held",
     [identified(0, ALICE)], BOTH_ALLOWED, {}, ManagerMarks(),
     [FaceOutcome.NO_FACE_MATCHING_CONSENT], False),
    ("an unknown face identified by the Manager is decided by that person's consent",
     [unknown(0)], BOTH_ALLOWED, {}, ManagerMarks(identified={0: BEN}),
     [FaceOutcome.CONSENT_IN_FORCE], True),
    ("an unknown face identified by the Manager as someone without consent stays held",
     [unknown(0)], {BEN: refused(BEN, Reason.REFUSED)}, {}, ManagerMarks(identified={0: BEN}),
     [FaceOutcome.NO_CHANNEL_CONSENT], False),
    ("the Manager's identification overrides the engine's match",
     [identified(0, ALICE)], {ALICE: allowed(ALICE), BEN: refused(BEN, Reason.NO_RECORD)}, BOTH_ALLOWED,
     ManagerMarks(identified={0: BEN}),
     [FaceOutcome.NO_CHANNEL_CONSENT], False),
    ("a redacted face is cleared",
     [unknown(0)], {}, {}, ManagerMarks(redacted={0}),
     [FaceOutcome.REDACTED], True),
    ("a detection marked as not a person is cleared",
     [unknown(0)], {}, {}, ManagerMarks(not_a_person={0}),
     [FaceOutcome.NOT_A_PERSON], True),
    ("two faces matched to one person are both held",
     [identified(0, ALICE), identified(1, ALICE)], BOTH_ALLOWED, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.SAME_PERSON_TWICE, FaceOutcome.SAME_PERSON_TWICE], False),
    ("two faces identified by hand as one person are both held",
     [unknown(0), unknown(1)], BOTH_ALLOWED, {}, ManagerMarks(identified={0: BEN, 1: BEN}),
     [FaceOutcome.SAME_PERSON_TWICE, FaceOutcome.SAME_PERSON_TWICE], False),
    ("a clash is resolved when one of the two faces is redacted",
     [identified(0, ALICE), identified(1, ALICE)], BOTH_ALLOWED, BOTH_ALLOWED, ManagerMarks(redacted={1}),
     [FaceOutcome.CONSENT_IN_FORCE, FaceOutcome.REDACTED], True),
    ("one held face holds the whole item",
     [identified(0, ALICE), unknown(1)], BOTH_ALLOWED, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.CONSENT_IN_FORCE, FaceOutcome.UNKNOWN], False),
    ("a video track of one person seen at separate times is not a clash",
     [identified(0, ALICE, frame_time=0.0, track=0, times=(0.0, 0.25)),
      identified(1, ALICE, frame_time=5.0, track=1, times=(5.0, 5.25))],
     BOTH_ALLOWED, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.CONSENT_IN_FORCE, FaceOutcome.CONSENT_IN_FORCE], True),
    ("two video tracks of one person at the same moment are held",
     [identified(0, ALICE, frame_time=0.0, track=0, times=(0.0, 0.25)),
      identified(1, ALICE, frame_time=0.25, track=1, times=(0.25, 0.5))],
     BOTH_ALLOWED, BOTH_ALLOWED, ManagerMarks(),
     [FaceOutcome.SAME_PERSON_TWICE, FaceOutcome.SAME_PERSON_TWICE], False),
]


@pytest.mark.parametrize(
    "faces, channel, matching, marks, outcomes, cleared",
    [row[1:] for row in FACE_ROWS],
    ids=[row[0] for row in FACE_ROWS],
)
def test_face_rule(faces, channel, matching, marks, outcomes, cleared):
    decision = decide(Analysis(faces=tuple(faces)), channel_id=CHANNEL, channel_consent=channel,
                      face_matching_consent=matching, marks=marks, verified=True)
    assert [f.outcome for f in decision.faces] == outcomes
    assert decision.cleared is cleared
    assert all(f.reason for f in decision.faces), "every face carries a sentence"
    if not cleared:
        assert decision.reasons(), "a held item says why"


def test_a_photo_with_no_faces_is_cleared_once_verified():
    decision = decide(Analysis(), channel_id=CHANNEL, channel_consent={}, face_matching_consent={}, verified=True)
    assert decision.cleared
    assert decision.reasons() == []


def test_an_unverified_file_is_held_whatever_its_faces():
    decision = decide(Analysis(faces=(identified(0, ALICE),)), channel_id=CHANNEL, channel_consent=BOTH_ALLOWED,
                      face_matching_consent=BOTH_ALLOWED, verified=False)
    assert not decision.cleared
    assert decision.item_reasons[0][0] is ItemOutcome.NOT_VERIFIED


def test_a_failed_analysis_is_held_with_its_error():
    decision = decide(Analysis(failed=True, error="model file hash mismatch"), channel_id=CHANNEL,
                      channel_consent={}, face_matching_consent={}, verified=True)
    assert not decision.cleared
    assert decision.item_reasons[0][0] is ItemOutcome.ANALYSIS_FAILED
    assert "model file hash mismatch" in decision.reasons()[0]


def test_a_failed_analysis_ignores_marks_on_faces_it_never_found():
    decision = decide(Analysis(failed=True, error="detector crashed"), channel_id=CHANNEL, channel_consent={},
                      face_matching_consent={}, marks=ManagerMarks(redacted={0}, not_a_person={1}), verified=True)
    assert not decision.cleared


def test_a_failed_analysis_is_decided_by_the_people_the_manager_saw():
    marks = ManagerMarks(whole_picture_people={ALICE, BEN})
    held = decide(Analysis(failed=True, error="no detector"), channel_id=CHANNEL,
                  channel_consent={ALICE: allowed(ALICE), BEN: refused(BEN, Reason.WITHDRAWN)},
                  face_matching_consent={}, marks=marks, verified=True)
    assert not held.cleared
    assert held.held_people == {BEN}
    cleared = decide(Analysis(failed=True, error="no detector"), channel_id=CHANNEL, channel_consent=BOTH_ALLOWED,
                     face_matching_consent={}, marks=marks, verified=True)
    assert cleared.cleared


def test_held_people_names_everyone_whose_consent_blocks_the_item():
    decision = decide(Analysis(faces=(identified(0, ALICE), identified(1, BEN))), channel_id=CHANNEL,
                      channel_consent={ALICE: allowed(ALICE), BEN: refused(BEN, Reason.REFUSED)},
                      face_matching_consent=BOTH_ALLOWED, verified=True)
    assert decision.held_people == {BEN}
    assert decision.reasons() == ["face 2: consent for this channel was refused"]


def test_a_lapsed_face_matching_consent_says_why_it_lapsed():
    decision = decide(Analysis(faces=(identified(0, ALICE),)), channel_id=CHANNEL, channel_consent=BOTH_ALLOWED,
                      face_matching_consent={ALICE: refused(ALICE, Reason.LEFT_SETTING)}, verified=True)
    assert decision.faces[0].reason == ("face-matching consent is not in force for the matched person "
                                        "(this child has left the setting): identify by hand")
