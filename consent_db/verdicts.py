"""The answer to "may this person appear for this purpose now?", with a reason a person can read."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

FACE_MATCHING = "face-matching"


class Reason(StrEnum):
    """Why consent is, or is not, in force."""

    IN_FORCE = "in_force"
    NO_RECORD = "no_record"  # opt-in: nobody has granted
    REFUSED = "refused"  # a person with a say refused
    WITHDRAWN = "withdrawn"  # granted once, withdrawn since
    EXPIRED = "expired"  # the grant carried an expiry that has passed
    LEFT_SETTING = "left_setting"  # the child's leaving date has passed
    CHILD_OBJECTED = "child_objected"  # the child's own objection, recorded by staff
    NO_GUARDIAN = "no_guardian"  # a child with nobody holding parental responsibility
    UNKNOWN_PERSON = "unknown_person"  # no such person in this setting


@dataclass(frozen=True)
class Verdict:
    """Consent of one person for one purpose (a channel, or face matching) at one moment."""

    person_id: int
    allowed: bool
    reason: Reason
    detail: str = ""
