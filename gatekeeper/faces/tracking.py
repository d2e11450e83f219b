"""Linking the faces of consecutive video frames into tracks, checking who they are as they go.

Every face of every frame arrives as a Detection: its detector row, its appearance
signature (appearance.py) and a `check` that computes its features and match when called.
Features cost ~10-17 ms a face, so the tracker calls `check` only when it must:

- on a track's first sighting, after a gap, and when a face is linked by proximity alone;
- at least every CHECK_EVERY_FRAMES frames;
- whenever the face's look has changed by more than APPEARANCE_CHANGE from the crop last
  checked (or from the previous frame);
- on the last sighting of a track, when it ends.

A checked sighting joins a track only if its features are within the match threshold of
the track's last features AND its match agrees with the track's (the same enrolled person,
or, for a track of nobody known, nobody known). Otherwise the track is split: the new track
takes this sighting and every unchecked sighting since the last agreeing check, so a
look-alike who takes someone's place is never part of that person's track. Sightings
without features (too small, or nobody enrolled) ride on a track only while its look stays
continuous. Pure logic: no model, no picture.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from gatekeeper.faces import appearance, geometry
from gatekeeper.faces.analysis import FaceStatus
from gatekeeper.faces.gallery import THRESHOLD, Match

# A face lost for longer than this starts a new track (every frame is analysed, so this is
# detector flicker or a short occlusion, and the first sighting back is checked anyway).
MAX_GAP_SECONDS = 0.5
LINK_IOU = 0.3
# Without overlap, a face whose centre moved less than this many face sizes, at a similar
# size, may continue a track; such a link is always checked by features when it can be.
LINK_CENTRE_SHIFT = 1.5
LINK_SIZE_RATIO = 1.5
# Features link sightings only when at least this close: never looser than matching.
LINK_DISTANCE = THRESHOLD
# Features of a face are computed at least this often. Between checks the appearance test
# guards; this bounds what a change too subtle for it can hide to 7 frames (0.23 s at 30 fps),
# at a cost of at most 1/8 of a feature computation per face and frame (bench/video.py).
CHECK_EVERY_FRAMES = 8
# Signature change (appearance.change) that forces a check. Over 3,650 pairs of different
# people from ../shared/faces aligned at one spot (24-160 px, JPEG quality 70) the smallest
# change was 0.101 (24 px) to 0.155 (48 px); so every different person at that spot triggers
# a check at once, and the same face moving a little triggers one now and then.
APPEARANCE_CHANGE = 0.10

Check = Callable[[], tuple["np.ndarray | None", Match]]


@dataclass(eq=False)
class Detection:
    """One face in one frame, before tracking: row, look, and how to learn who it is."""

    row: np.ndarray
    signature: np.ndarray
    check: Check


@dataclass(eq=False)
class Sighting:
    """One face in one frame, on a track. match is None while unchecked (riding on its track)."""

    frame: int
    time: float
    row: np.ndarray
    signature: np.ndarray
    features: np.ndarray | None = None
    match: Match | None = None
    pending: Check | None = field(default=None, repr=False)

    @property
    def checked(self) -> bool:
        return self.match is not None


@dataclass
class Track:
    """Sightings believed to be one face, in frame order.

    Only unchecked sightings are ever taken off a track (its tail, on a split), so what the
    checked ones say is kept as they are added, and no question costs a walk over the track.
    """

    sightings: list[Sighting] = field(default_factory=list)
    closed: bool = False  # split or lost: takes no more sightings

    def __post_init__(self) -> None:
        given, self.sightings = self.sightings, []
        self._last_checked: Sighting | None = None
        self._first_verdict: Match | None = None
        self._last_features: np.ndarray | None = None
        for sighting in given:
            self.add(sighting)

    def add(self, sighting: Sighting) -> None:
        self.sightings.append(sighting)
        if sighting.checked:
            self._last_checked = sighting
        if sighting.features is not None:
            self._first_verdict = self._first_verdict or sighting.match
            self._last_features = sighting.features

    @property
    def last(self) -> Sighting:
        return self.sightings[-1]

    @property
    def times(self) -> tuple[float, ...]:
        return tuple(s.time for s in self.sightings)

    def last_checked(self) -> Sighting | None:
        return self._last_checked

    def last_features(self) -> np.ndarray | None:
        return self._last_features

    def person(self) -> int | None | bool:
        """The enrolled person its featured checks agree on, None for nobody known, False before any."""
        if self._first_verdict is None:
            return False
        first = self._first_verdict
        return first.person_id if first.status is FaceStatus.IDENTIFIED else None


def feature_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(1.0 - np.dot(a, b))


class Tracker:
    """Feed it frames in presentation order with add_frame, then call finish for the tracks."""

    def __init__(self) -> None:
        self.tracks: list[Track] = []
        self.checks = 0  # how many times features were computed (bench/video.py prints it)

    def add_frame(self, frame: int, time: float, detections: Sequence[Detection]) -> None:
        """Link this frame's faces to tracks, checking them where needed; calls their `check`."""
        pairs = self._geometric_pairs(time, detections)
        taken_tracks, taken = set(), set()
        for score, ti, di in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
            if ti in taken_tracks or di in taken:
                continue
            taken_tracks.add(ti)
            taken.add(di)
            self._continue(self.tracks[ti], frame, time, detections[di], weak=score < 1.0)
        for di, detection in enumerate(detections):
            if di not in taken:
                self._start(frame, time, detection)
        for ti, track in enumerate(self.tracks):
            if ti not in taken_tracks and not track.closed and track.last.frame < frame:
                self._settle(track)

    def finish(self) -> list[Track]:
        """Every track, each ended by a checked sighting where one could be checked."""
        for track in list(self.tracks):
            if not track.closed:
                self._settle(track)
        return [t for t in self.tracks if t.sightings]

    # -- linking

    def _geometric_pairs(self, time: float, detections: Sequence[Detection]) -> list[tuple[float, int, int]]:
        pairs = []
        for ti, track in enumerate(self.tracks):
            if track.closed or time - track.last.time > MAX_GAP_SECONDS:
                continue
            for di, detection in enumerate(detections):
                overlap = float(geometry.iou(track.last.row[None], detection.row[None])[0, 0])
                if overlap >= LINK_IOU:
                    pairs.append((1.0 + overlap, ti, di))
                elif nearby(track.last.row, detection.row):
                    pairs.append((0.5 + 0.5 * overlap, ti, di))
        return pairs

    def _continue(self, track: Track, frame: int, time: float, detection: Detection, weak: bool) -> None:
        sighting = Sighting(frame, time, detection.row, detection.signature, pending=detection.check)
        reference = track.last_checked() or track.sightings[0]
        drift = appearance.change(detection.signature, reference.signature)
        jump = appearance.change(detection.signature, track.last.signature)
        due = frame - reference.frame >= CHECK_EVERY_FRAMES
        gap = track.last.frame != frame - 1
        if not (weak or gap or due or drift > APPEARANCE_CHANGE or jump > APPEARANCE_CHANGE
                or track.person() is False):
            if not track.last.checked:
                track.last.pending = None  # only the newest unchecked sighting keeps its check (and frame)
            track.add(sighting)  # rides, unchecked, on a continuous track
            return
        self._check(sighting)
        continuous = drift <= APPEARANCE_CHANGE and jump <= APPEARANCE_CHANGE and not gap
        if sighting.features is None:
            # Nothing to compare. On a track nobody is known on (all of it held anyway) geometry
            # is enough; on a track with features the look must have stayed continuous.
            if track.person() is False or continuous:
                track.add(sighting)
            else:
                self._split(track, sighting)
            return
        if track.person() is False and jump > APPEARANCE_CHANGE:
            self._split(track, sighting)  # the small face it grew from may have been someone else
        elif agrees(track, sighting):
            track.add(sighting)
        else:
            self._part(track, sighting)

    def _part(self, track: Track, sighting: Sighting) -> None:
        """A checked sighting that disagrees with its track: check the last rider first, so the
        track keeps every frame up to a check it agrees with and nothing after it."""
        self._settle(track)
        if not track.closed:
            track.closed = True
            self.tracks.append(Track([sighting]))
            return
        tail = self.tracks[-1]  # what _settle split off ends with a sighting that disagreed too
        if agrees(tail, sighting):
            tail.add(sighting)
        else:
            tail.closed = True
            self.tracks.append(Track([sighting]))

    def _start(self, frame: int, time: float, detection: Detection) -> None:
        sighting = Sighting(frame, time, detection.row, detection.signature, pending=detection.check)
        self._check(sighting)
        if sighting.features is not None:
            # A face that jumped (no overlap, too far) may continue a recent track by features.
            lost = [t for t in self.tracks if not t.closed and t.last.frame < frame
                    and time - t.last.time <= MAX_GAP_SECONDS and t.last_features() is not None]
            close = [t for t in lost if agrees(t, sighting)]
            if close:
                best = min(close, key=lambda t: feature_distance(t.last_features(), sighting.features))
                self._settle(best)  # its last frame may have ridden unchecked: settle it first
                if not best.closed and agrees(best, sighting):
                    best.add(sighting)
                    return
        self.tracks.append(Track([sighting]))

    def _split(self, track: Track, sighting: Sighting) -> None:
        """Close the track at its last agreeing check; its unchecked tail goes with the new sighting."""
        anchor = track.last_checked()
        cut = 0 if anchor is None else track.sightings.index(anchor) + 1
        tail = track.sightings[cut:]
        del track.sightings[cut:]
        track.closed = True
        for rider in tail:
            rider.pending = None
        self.tracks.append(Track(tail + [sighting]))

    def _settle(self, track: Track) -> None:
        """A track that was not continued: check its last sighting if it rode unchecked."""
        if not track.sightings or track.last.checked or track.last.pending is None:
            return
        last = track.sightings.pop()
        self._check(last)
        if last.features is None or agrees(track, last):
            track.add(last)
        else:
            self._split(track, last)

    def _check(self, sighting: Sighting) -> None:
        check, sighting.pending = sighting.pending, None
        sighting.features, sighting.match = check()
        self.checks += sighting.features is not None


def agrees(track: Track, sighting: Sighting) -> bool:
    """Whether a featured sighting may join the track: close features and the same verdict."""
    if not track.sightings:
        return True
    previous = track.last_features()
    if previous is not None and feature_distance(previous, sighting.features) > LINK_DISTANCE:
        return False
    person = track.person()
    if person is False:
        return True
    identified = sighting.match.status is FaceStatus.IDENTIFIED
    if person is None:
        return not identified
    return identified and sighting.match.person_id == person


def nearby(a: np.ndarray, b: np.ndarray) -> bool:
    """Similar size and a small move of the centre, measured in face sizes."""
    size_a, size_b = float(geometry.face_size(a[None])[0]), float(geometry.face_size(b[None])[0])
    if min(size_a, size_b) <= 0 or max(size_a, size_b) / min(size_a, size_b) > LINK_SIZE_RATIO:
        return False
    shift = np.hypot((a[0] + a[2] / 2) - (b[0] + b[2] / 2), (a[1] + a[3] / 2) - (b[1] + b[3] / 2))
    return bool(shift <= LINK_CENTRE_SHIFT * (size_a + size_b) / 2)


def track_match(track: Track) -> Match:
    """Identified only if every featured sighting names the same person; otherwise why not."""
    checked = [s.match for s in track.sightings if s.checked]
    featured = [s.match for s in track.sightings if s.features is not None]
    confident = [m for m in featured if m.status is FaceStatus.IDENTIFIED]
    people = sorted({m.person_id for m in confident})
    if len(people) > 1:
        listed = ", ".join(f"#{p}" for p in people)
        return Match(FaceStatus.UNCERTAIN, f"frames of this face match different people ({listed})")
    if not people:
        return _closest_unsure(checked)
    if len(confident) < len(featured):
        unsure = [m for m in featured if m.status is not FaceStatus.IDENTIFIED]
        return Match(FaceStatus.UNCERTAIN,
                     f"matches #{people[0]} in {len(confident)} checked frames but not in {len(unsure)} others",
                     distance=min(m.distance for m in confident))
    best = min(confident, key=lambda m: m.distance)
    margins = [m.margin for m in confident if m.margin is not None]
    return Match(
        FaceStatus.IDENTIFIED,
        f"matches enrolled person #{people[0]} in all {len(confident)} checked frames of {len(track.sightings)} "
        f"(best distance {best.distance:.3f})",
        person_id=people[0],
        distance=best.distance,
        margin=min(margins) if margins else None,
    )


def _closest_unsure(matches: Sequence[Match]) -> Match:
    """No confident frame: uncertain if any frame was, else unknown; reason of the closest frame."""
    if not matches:
        return Match(FaceStatus.UNCERTAIN, "this face was never checked")
    unsure = [m for m in matches if m.status is FaceStatus.UNCERTAIN] or list(matches)
    with_distance = [m for m in unsure if m.distance is not None]
    chosen = min(with_distance, key=lambda m: m.distance) if with_distance else unsure[0]
    return Match(chosen.status, chosen.reason, distance=chosen.distance, margin=chosen.margin)


def overlapping_in_time(a: Track, b: Track) -> bool:
    """Whether two tracks were seen in the same frame or interleave in time."""
    return not (a.times[-1] < b.times[0] or b.times[-1] < a.times[0])
