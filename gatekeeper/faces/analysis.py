"""What face analysis returns: plain data the gate decides on, never a template."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FaceStatus(StrEnum):
    """How sure the engine is of who a face is."""

    IDENTIFIED = "identified"  # one enrolled person, under the threshold, clear of the runner-up
    UNKNOWN = "unknown"  # matched nobody (or nobody is enrolled)
    UNCERTAIN = "uncertain"  # too close to call, or clashes with another face in the item


@dataclass(frozen=True)
class Box:
    """A face's box in pixels of the analysed (sanitised, upright) picture."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Face:
    """One detected face (or one video track) and the engine's opinion of it."""

    index: int
    box: Box
    score: float
    status: FaceStatus
    reason: str
    person_id: int | None = None
    distance: float | None = None
    margin: float | None = None
    frame_time: float | None = None  # video only: the time of the track's best sighting (shown to the Manager)
    track: int | None = None  # video only: faces of one track share this
    times: tuple[float, ...] = ()  # video only: the time (s, to the ms) of EVERY frame the track was seen in
    # Video only: the track's box in every frame it was seen, as (time, x, y, width, height): what covering it needs.
    boxes: tuple[tuple[float, int, int, int, int], ...] = ()

    @property
    def first_time(self) -> float | None:
        """Video only: when the track was first seen."""
        return self.times[0] if self.times else self.frame_time

    @property
    def last_time(self) -> float | None:
        """Video only: when the track was last seen."""
        return self.times[-1] if self.times else self.frame_time


@dataclass(frozen=True)
class Analysis:
    """The faces of one media item; failed=True means nothing was checked and the item is held."""

    faces: tuple[Face, ...] = ()
    failed: bool = False
    error: str | None = None
    width: int = 0
    height: int = 0
    duration: float | None = None
    engine: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
