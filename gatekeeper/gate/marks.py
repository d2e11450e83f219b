"""The Manager's marks (who a face is, not a person) carried from one analysis of an item to the next.

A new analysis (after a face was covered, a retry, the sound kept) finds its faces afresh. A mark moves to a
new face only when that face is clearly the same one: the same copy of the item, the same moment of a video,
boxes that overlap nearly whole, each the other's best match, and no other face nearby that could be
confused with it. Anything less leaves the new face unmarked, so the gate holds it for the Manager again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from gatekeeper.faces.analysis import Box

# Intersection over union of the old and new box; the same pixels give the same box (1.0).
SAME_FACE = 0.6
# A second face overlapping the old box this much makes the match ambiguous: carry nothing.
CONFUSABLE = 0.3
SAME_MOMENT = 1e-3  # seconds


@dataclass(frozen=True)
class Place:
    """Where a face is: the copy (rendition profile) its box is measured in, the box, the video moment."""

    profile: str | None
    box: Box
    frame_time: float | None = None


@dataclass(frozen=True)
class Mark:
    """What the Manager said about one face, and where that face was."""

    place: Place
    person_id: int | None
    not_a_person: bool
    marked_by_account_id: int | None
    marked_at: datetime | None


def overlap(a: Box, b: Box) -> float:
    """Intersection over union of two boxes, 0.0 to 1.0 (0.0 for empty boxes)."""
    width = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
    height = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
    if width <= 0 or height <= 0:
        return 0.0
    shared = width * height
    union = a.width * a.height + b.width * b.height - shared
    return shared / union if union > 0 else 0.0


def _comparable(a: Place, b: Place) -> bool:
    if a.profile != b.profile:
        return False
    if a.frame_time is None or b.frame_time is None:
        return a.frame_time is None and b.frame_time is None
    return abs(a.frame_time - b.frame_time) <= SAME_MOMENT


def _score(a: Place, b: Place) -> float:
    return overlap(a.box, b.box) if _comparable(a, b) else 0.0


def carry(marks: Sequence[Mark], faces: Sequence[Place]) -> dict[int, Mark]:
    """Which new face (by position in faces) keeps which old mark; faces not clearly the same get none."""
    kept: dict[int, Mark] = {}
    for face_at, face in enumerate(faces):
        scores = sorted(((_score(m.place, face), mark_at) for mark_at, m in enumerate(marks)), reverse=True)
        if not scores or scores[0][0] < SAME_FACE:
            continue
        best, mark_at = scores[0]
        if len(scores) > 1 and scores[1][0] >= CONFUSABLE:
            continue
        mark = marks[mark_at]
        rivals = [_score(mark.place, other) for other_at, other in enumerate(faces) if other_at != face_at]
        if any(score >= CONFUSABLE for score in rivals):
            continue
        kept[face_at] = mark
    return kept
