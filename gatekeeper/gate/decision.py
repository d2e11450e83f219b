"""The gate's rule, in one pure function: may this item go to this channel, and if not, why not."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import AbstractSet, Mapping

from consent_db.verdicts import Reason, Verdict
from gatekeeper.faces.analysis import Analysis, Face, FaceStatus


class FaceOutcome(StrEnum):
    """Why one face does or does not stand in the way."""

    CONSENT_IN_FORCE = "consent_in_force"
    REDACTED = "redacted"
    NOT_A_PERSON = "not_a_person"
    UNKNOWN = "unknown"
    UNCERTAIN = "uncertain"
    NO_FACE_MATCHING_CONSENT = "no_face_matching_consent"
    NO_CHANNEL_CONSENT = "no_channel_consent"
    CONSENT_NOT_CHECKED = "consent_not_checked"
    SAME_PERSON_TWICE = "same_person_twice"


class ItemOutcome(StrEnum):
    """Why the item as a whole is held, beyond its faces."""

    NOT_VERIFIED = "not_verified"
    ANALYSIS_FAILED = "analysis_failed"
    NOT_RENDERED = "not_rendered"
    CHANNEL_ARCHIVED = "channel_archived"


def channel_closed(channel_id: int, name: str) -> Decision:
    """Held: the channel is archived, so nothing goes to it any more."""
    return Decision(channel_id=channel_id, cleared=False,
                    item_reasons=((ItemOutcome.CHANNEL_ARCHIVED, f"{name} is archived: nothing is published there"),))


def not_rendered(channel_id: int, why: str) -> Decision:
    """Held: there are no analysed bytes in the form this channel would receive."""
    return Decision(channel_id=channel_id, cleared=False, item_reasons=((ItemOutcome.NOT_RENDERED, why),))


@dataclass(frozen=True)
class FaceDecision:
    """One face's part in the decision; reason is a sentence for the Manager."""

    index: int
    cleared: bool
    outcome: FaceOutcome
    reason: str
    person_id: int | None = None


@dataclass(frozen=True)
class Decision:
    """Cleared only when the item and every face are; otherwise the reasons say what to do."""

    channel_id: int
    cleared: bool
    faces: tuple[FaceDecision, ...] = ()
    item_reasons: tuple[tuple[ItemOutcome, str], ...] = ()
    held_people: frozenset[int] = field(default_factory=frozenset)

    def reasons(self) -> list[str]:
        """Every reason the item is held, item-level first; empty when cleared."""
        held = [reason for _, reason in self.item_reasons]
        held += [f"face {f.index + 1}: {f.reason}" for f in self.faces if not f.cleared]
        return held


@dataclass(frozen=True)
class ManagerMarks:
    """What the Manager has said about an item's faces."""

    identified: Mapping[int, int] = field(default_factory=dict)  # face index -> person id
    not_a_person: AbstractSet[int] = frozenset()
    redacted: AbstractSet[int] = frozenset()
    # Only for an item whose analysis failed: the people the Manager saw in the whole picture.
    whole_picture_people: AbstractSet[int] | None = None


_CONSENT_WORDS = {
    Reason.NO_RECORD: "no consent is recorded for this channel",
    Reason.REFUSED: "consent for this channel was refused",
    Reason.WITHDRAWN: "consent for this channel was withdrawn",
    Reason.EXPIRED: "consent for this channel has expired",
    Reason.LEFT_SETTING: "this child has left the setting",
    Reason.CHILD_OBJECTED: "the child has objected",
    Reason.NO_GUARDIAN: "nobody with parental responsibility is recorded",
    Reason.UNKNOWN_PERSON: "this person is not in the setting's records",
}


def _consent_sentence(verdict: Verdict) -> str:
    return _CONSENT_WORDS.get(verdict.reason, f"consent not in force ({verdict.reason})")


def _person_of(face: Face, marks: ManagerMarks, face_matching: Mapping[int, Verdict]) -> FaceDecision | int:
    """The person a face shows, or the decision that holds it before consent is looked at."""
    if face.index in marks.identified:
        return marks.identified[face.index]
    if face.status is FaceStatus.UNKNOWN:
        return FaceDecision(face.index, False, FaceOutcome.UNKNOWN,
                            f"unknown face ({face.reason}): identify, redact or mark as not a person")
    if face.status is not FaceStatus.IDENTIFIED or face.person_id is None:
        return FaceDecision(face.index, False, FaceOutcome.UNCERTAIN,
                            f"uncertain match ({face.reason}): identify by hand or redact")
    matching = face_matching.get(face.person_id)
    if matching is None or not matching.allowed:
        # A match made from a template that should no longer exist is not to be trusted.
        why = f" ({_consent_sentence(matching).replace('for this channel ', '')})" if matching else ""
        return FaceDecision(face.index, False, FaceOutcome.NO_FACE_MATCHING_CONSENT,
                            f"face-matching consent is not in force for the matched person{why}: identify by hand",
                            face.person_id)
    return face.person_id


def _face_decision(face: Face, marks: ManagerMarks, channel: Mapping[int, Verdict],
                   face_matching: Mapping[int, Verdict]) -> FaceDecision:
    if face.index in marks.redacted:
        return FaceDecision(face.index, True, FaceOutcome.REDACTED, "redacted")
    if face.index in marks.not_a_person:
        return FaceDecision(face.index, True, FaceOutcome.NOT_A_PERSON, "marked by the Manager as not a person")
    person = _person_of(face, marks, face_matching)
    if isinstance(person, FaceDecision):
        return person
    return _consent_decision(face.index, person, channel)


def _consent_decision(index: int, person: int, channel: Mapping[int, Verdict]) -> FaceDecision:
    verdict = channel.get(person)
    if verdict is None:
        return FaceDecision(index, False, FaceOutcome.CONSENT_NOT_CHECKED,
                            "consent for this person was not checked", person)
    if not verdict.allowed:
        return FaceDecision(index, False, FaceOutcome.NO_CHANNEL_CONSENT, _consent_sentence(verdict), person)
    return FaceDecision(index, True, FaceOutcome.CONSENT_IN_FORCE, "consent in force", person)


def _seen_together(a: Face, b: Face) -> bool:
    """Two faces that could be the same person at the same moment (always, in a photo)."""
    if a.frame_time is None or b.frame_time is None:
        return True
    times_a = set(a.times) or {a.frame_time}
    times_b = set(b.times) or {b.frame_time}
    return bool(times_a & times_b)


def _hold_duplicates(faces: list[Face], decisions: list[FaceDecision]) -> list[FaceDecision]:
    """One person cannot be two faces at once: hold every face of such a clash."""
    by_person: dict[int, list[int]] = defaultdict(list)
    for position, decision in enumerate(decisions):
        if decision.person_id is not None and decision.outcome not in (FaceOutcome.REDACTED, FaceOutcome.NOT_A_PERSON):
            by_person[decision.person_id].append(position)
    clashing: set[int] = set()
    for positions in by_person.values():
        for i, first in enumerate(positions):
            for second in positions[i + 1:]:
                if _seen_together(faces[first], faces[second]):
                    clashing.update((first, second))
    return [
        FaceDecision(d.index, False, FaceOutcome.SAME_PERSON_TWICE,
                     "two faces are the same person at the same moment: identify each by hand", d.person_id)
        if position in clashing else d
        for position, d in enumerate(decisions)
    ]


def decide(
    analysis: Analysis,
    *,
    channel_id: int,
    channel_consent: Mapping[int, Verdict],
    face_matching_consent: Mapping[int, Verdict],
    marks: ManagerMarks = ManagerMarks(),
    verified: bool,
) -> Decision:
    """Cleared or held for one channel; consent maps hold verdicts computed at the moment of deciding."""
    item_reasons: list[tuple[ItemOutcome, str]] = []
    if not verified:
        item_reasons.append((ItemOutcome.NOT_VERIFIED, "the file has not passed metadata verification"))

    if analysis.failed:
        return _decide_whole_picture(analysis, channel_id, channel_consent, marks, item_reasons)

    faces = list(analysis.faces)
    decisions = _hold_duplicates(faces, [_face_decision(f, marks, channel_consent, face_matching_consent) for f in faces])
    return _finish(channel_id, decisions, item_reasons)


def _decide_whole_picture(analysis: Analysis, channel_id: int, channel: Mapping[int, Verdict],
                          marks: ManagerMarks, item_reasons: list) -> Decision:
    """Faces were not checked by the engine: only the Manager's account of the whole picture counts."""
    if marks.whole_picture_people is None:
        item_reasons.append((ItemOutcome.ANALYSIS_FAILED,
                             f"faces could not be checked ({analysis.error or 'analysis failed'}): "
                             "the Manager must identify everyone in the picture"))
        return _finish(channel_id, [], item_reasons)
    decisions = [_consent_decision(position, person, channel)
                 for position, person in enumerate(sorted(marks.whole_picture_people))]
    return _finish(channel_id, decisions, item_reasons)


def _finish(channel_id: int, decisions: list[FaceDecision], item_reasons: list) -> Decision:
    cleared = not item_reasons and all(d.cleared for d in decisions)
    held_people = frozenset(d.person_id for d in decisions if not d.cleared and d.person_id is not None)
    return Decision(channel_id=channel_id, cleared=cleared, faces=tuple(decisions),
                    item_reasons=tuple(item_reasons), held_people=held_people)
