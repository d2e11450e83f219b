"""Linking faces across sampled video frames into tracks, and a track's identity: pure functions."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from gatekeeper.faces import geometry
from gatekeeper.faces.analysis import FaceStatus
from gatekeeper.faces.gallery import Match

# Samples are at most 0.25 s apart; a face lost for longer than this starts a new track.
MAX_GAP_SECONDS = 1.0
LINK_IOU = 0.3
# Without box overlap (fast movement, a gap), features this close link a face to a track.
LINK_DISTANCE = 0.3
# Without overlap or features (small faces), a face whose centre moved less than this many
# face sizes between samples, at a similar size, continues the track.
LINK_CENTRE_SHIFT = 1.5
LINK_SIZE_RATIO = 1.5
# Features this far apart never link, whatever the boxes say: two people crossing.
CONTRADICTION_DISTANCE = 0.6
# A track is identified only when its confident frames are at least this share of its frames.
MIN_CONFIDENT_SHARE = 1 / 3


@dataclass(frozen=True)
class Sighting:
    """One face in one sampled frame."""

    time: float
    row: np.ndarray
    features: np.ndarray | None
    match: Match


@dataclass
class Track:
    """Sightings believed to be one face, in time order."""

    sightings: list[Sighting] = field(default_factory=list)

    @property
    def last(self) -> Sighting:
        return self.sightings[-1]

    @property
    def times(self) -> tuple[float, ...]:
        return tuple(s.time for s in self.sightings)

    def recent_features(self) -> np.ndarray | None:
        for sighting in reversed(self.sightings):
            if sighting.features is not None:
                return sighting.features
        return None


def _distance(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
    if a is None or b is None:
        return None
    return float(1.0 - np.dot(a, b))


def _affinity(track: Track, sighting: Sighting) -> float | None:
    """How well a sighting continues a track (higher is better), or None when it must not."""
    if sighting.time - track.last.time > MAX_GAP_SECONDS:
        return None
    distance = _distance(track.recent_features(), sighting.features)
    if distance is not None and distance > CONTRADICTION_DISTANCE:
        return None
    overlap = float(geometry.iou(track.last.row[None], sighting.row[None])[0, 0])
    if overlap >= LINK_IOU:
        return 1.0 + overlap
    if distance is not None and distance <= LINK_DISTANCE:
        return 1.0 - distance
    if distance is None and _nearby(track.last.row, sighting.row):
        return 0.5 * overlap
    return None


def _nearby(a: np.ndarray, b: np.ndarray) -> bool:
    """Similar size and a small move of the centre, measured in face sizes."""
    size_a, size_b = float(geometry.face_size(a[None])[0]), float(geometry.face_size(b[None])[0])
    if min(size_a, size_b) <= 0 or max(size_a, size_b) / min(size_a, size_b) > LINK_SIZE_RATIO:
        return False
    shift = np.hypot((a[0] + a[2] / 2) - (b[0] + b[2] / 2), (a[1] + a[3] / 2) - (b[1] + b[3] / 2))
    return bool(shift <= LINK_CENTRE_SHIFT * (size_a + size_b) / 2)


def link(frames: Sequence[Sequence[Sighting]]) -> list[Track]:
    """Tracks from sightings grouped by frame (frames in time order); greedy, best affinity first."""
    tracks: list[Track] = []
    for sightings in frames:
        pairs = []
        for ti, track in enumerate(tracks):
            for si, sighting in enumerate(sightings):
                score = _affinity(track, sighting)
                if score is not None:
                    pairs.append((score, ti, si))
        taken_tracks: set[int] = set()
        taken_sightings: set[int] = set()
        for _, ti, si in sorted(pairs, reverse=True):
            if ti in taken_tracks or si in taken_sightings:
                continue
            tracks[ti].sightings.append(sightings[si])
            taken_tracks.add(ti)
            taken_sightings.add(si)
        for si, sighting in enumerate(sightings):
            if si not in taken_sightings:
                tracks.append(Track([sighting]))
    return tracks


def track_match(track: Track) -> Match:
    """The identity a track's confident frames agree on, or why it has none."""
    matches = [s.match for s in track.sightings]
    confident = [m for m in matches if m.status is FaceStatus.IDENTIFIED]
    people = sorted({m.person_id for m in confident})
    if len(people) > 1:
        listed = ", ".join(f"#{p}" for p in people)
        return Match(FaceStatus.UNCERTAIN, f"frames of this face match different people ({listed})")
    if not people:
        return _closest_unsure(matches)
    best = min(confident, key=lambda m: m.distance)
    margins = [m.margin for m in confident if m.margin is not None]
    share = f"{len(confident)} of {len(matches)} sampled frames"
    if len(confident) < MIN_CONFIDENT_SHARE * len(matches):
        return Match(
            FaceStatus.UNCERTAIN,
            f"matches #{people[0]} in only {share}; the rest are unclear",
            distance=best.distance,
            margin=min(margins) if margins else None,
        )
    return Match(
        FaceStatus.IDENTIFIED,
        f"matches enrolled person #{people[0]} in {share} (best distance {best.distance:.3f})",
        person_id=people[0],
        distance=best.distance,
        margin=min(margins) if margins else None,
    )


def _closest_unsure(matches: Sequence[Match]) -> Match:
    """No confident frame: uncertain if any frame was, else unknown; reason of the closest frame."""
    unsure = [m for m in matches if m.status is FaceStatus.UNCERTAIN] or list(matches)
    with_distance = [m for m in unsure if m.distance is not None]
    chosen = min(with_distance, key=lambda m: m.distance) if with_distance else unsure[0]
    return Match(chosen.status, chosen.reason, distance=chosen.distance, margin=chosen.margin)


def overlapping_in_time(a: Track, b: Track) -> bool:
    """Whether two tracks were seen in the same sampled frame or interleave in time."""
    return not (a.times[-1] < b.times[0] or b.times[-1] < a.times[0])
