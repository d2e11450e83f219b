"""Enrolled people's templates in memory, enrolment from a photo, and the matching rules.

A template is the float32 128-d SFace feature vector of one reference photo,
as bytes (vector.tobytes()). Only enrolled people with face-matching consent
have templates; faces of anyone else are compared and forgotten.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable, Sequence

import numpy as np

from gatekeeper.faces import geometry
from gatekeeper.faces.analysis import FaceStatus
from gatekeeper.faces.detector import ENROL_PLAN
from gatekeeper.faces.plugins import FaceEngine
from gatekeeper.faces.recogniser import FEATURE_SIZE, RecogniserError, normalised

# Operating point, chosen by bench/faces.py on ../shared/faces (SFace int8bq, cosine distance,
# OpenCV 5.0): over 404 same-person photo pairs the distances ran 0.019-0.919 (median 0.250,
# p95 0.469); over 8,912 different-person pairs the lowest was 0.563. THRESHOLD is that lowest
# impostor distance less a safety gap of 0.10, rounded down. At it: 0 false matches with 1, 2
# or 3 enrolment photos; true matches 94.6% (k=1), 100% (k=2), 100% (k=3, 48 probes).
THRESHOLD = 0.46
# A face is identified only if the runner-up person is at least this much further away. True
# matches (k=3) had gaps of 0.286-0.713 to the next person, so 0.10 costs nothing measured and
# holds look-alikes (siblings) for a person to decide.
MARGIN = 0.10
# Faces narrower than this (box side, px) are held as uncertain. Shrunk probes: at 24 px
# same-person distances had median 0.457 and different-person ones stayed >= 0.679; at 16 px
# the same-person median was 0.687, so below 24 px a match is guesswork.
MIN_RECOGNISABLE_SIZE = 24.0
# Enrolment asks more of a reference photo than matching asks of a face.
MIN_ENROL_SIZE = 80.0
MIN_ENROL_SCORE = 0.8
# A second face at least this fraction of the main face's size makes a photo ambiguous.
SECOND_FACE_RATIO = 0.5


class GalleryError(Exception):
    """A stored template is not a template (wrong length or not finite)."""


class EnrolmentError(Exception):
    """A reference photo cannot be used; the message says why in one sentence."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Gallery:
    """Templates of enrolled people, by person id; built fresh for each analysis, never written back."""

    def __init__(self, templates: Iterable[tuple[int, bytes]] = (), note: str = "") -> None:
        self.note = note  # where the templates came from, or why there are none
        people, vectors = [], []
        for person_id, blob in templates:
            vectors.append(template_vector(blob))
            people.append(int(person_id))
        self._people = np.array(people, dtype=np.int64)
        self._vectors = np.vstack(vectors) if vectors else np.zeros((0, FEATURE_SIZE), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._people)

    @property
    def people(self) -> tuple[int, ...]:
        return tuple(sorted(set(self._people.tolist())))

    def nearest_people(self, features: np.ndarray) -> list[tuple[int, float]]:
        """(person id, distance of their closest template), nearest first; empty for an empty gallery."""
        if not len(self._people):
            return []
        distances = 1.0 - self._vectors @ features
        best: dict[int, float] = {}
        for person, distance in zip(self._people.tolist(), distances.tolist()):
            best[person] = min(distance, best.get(person, np.inf))
        return sorted(best.items(), key=lambda item: item[1])


def template_vector(blob: bytes) -> np.ndarray:
    """A stored template as a unit float32 vector; raises GalleryError."""
    if len(blob) != FEATURE_SIZE * 4:
        raise GalleryError(f"a template has {len(blob)} bytes, expected {FEATURE_SIZE * 4}")
    try:
        return normalised(np.frombuffer(blob, dtype=np.float32))
    except RecogniserError as exc:
        raise GalleryError(f"a template is damaged: {exc}") from None


@dataclass(frozen=True)
class Probe:
    """One face to match: its features (None when not computed) and its size in pixels."""

    features: np.ndarray | None
    size: float


@dataclass(frozen=True)
class Match:
    """The matcher's opinion of one face."""

    status: FaceStatus
    reason: str
    person_id: int | None = None
    distance: float | None = None
    margin: float | None = None


class Why(StrEnum):
    """Stable beginnings of reasons, for screens that want to group them."""

    NOBODY_ENROLLED = "nobody is enrolled for face matching"
    TOO_SMALL = "face too small to recognise reliably"
    NO_MATCH = "matches no enrolled person"
    TOO_CLOSE = "too close to call between two enrolled people"
    SAME_PERSON_TWICE = "another face here matches the same person"
    MATCHED = "matches enrolled person"


def match_faces(
    probes: Sequence[Probe],
    gallery: Gallery,
    *,
    threshold: float = THRESHOLD,
    margin: float = MARGIN,
    min_size: float = MIN_RECOGNISABLE_SIZE,
) -> list[Match]:
    """Decide each face of one item; faces seen together cannot both be the same person."""
    matches = [_match_one(probe, gallery, threshold, margin, min_size) for probe in probes]
    return demote_duplicates(matches)


def _match_one(probe: Probe, gallery: Gallery, threshold: float, margin: float, min_size: float) -> Match:
    if not len(gallery):
        return Match(FaceStatus.UNKNOWN, f"{Why.NOBODY_ENROLLED}, so nobody can be recognised")
    if probe.features is None or probe.size < min_size:
        return Match(
            FaceStatus.UNCERTAIN,
            f"{Why.TOO_SMALL} ({probe.size:.0f} px; needs {min_size:.0f} px)",
        )
    nearest = gallery.nearest_people(probe.features)
    person, best = nearest[0]
    runner_up = nearest[1][1] if len(nearest) > 1 else None
    gap = None if runner_up is None else runner_up - best
    if best >= threshold:
        return Match(
            FaceStatus.UNKNOWN,
            f"{Why.NO_MATCH} (closest distance {best:.3f}; must be under {threshold:.3f})",
            distance=best,
            margin=gap,
        )
    if gap is not None and gap < margin:
        return Match(
            FaceStatus.UNCERTAIN,
            f"{Why.TOO_CLOSE} (#{person} at {best:.3f}, #{nearest[1][0]} at {runner_up:.3f}; "
            f"needs a gap of {margin:.3f})",
            distance=best,
            margin=gap,
        )
    return Match(
        FaceStatus.IDENTIFIED,
        f"{Why.MATCHED} #{person} (distance {best:.3f}, under {threshold:.3f})",
        person_id=person,
        distance=best,
        margin=gap,
    )


def demote_duplicates(matches: Sequence[Match]) -> list[Match]:
    """Faces identified as the same person all become uncertain: at most one of them is that person."""
    counts: dict[int, int] = {}
    for match in matches:
        if match.status is FaceStatus.IDENTIFIED:
            counts[match.person_id] = counts.get(match.person_id, 0) + 1
    result = []
    for match in matches:
        if match.status is FaceStatus.IDENTIFIED and counts[match.person_id] > 1:
            match = Match(
                FaceStatus.UNCERTAIN,
                f"{Why.SAME_PERSON_TWICE} (#{match.person_id}; {counts[match.person_id]} faces match them)",
                distance=match.distance,
                margin=match.margin,
            )
        result.append(match)
    return result


def template_from_photo(image_bgr: np.ndarray, engine: FaceEngine) -> bytes:
    """The template of the one clear face in a reference photo; raises EnrolmentError,
    DetectorError or RecogniserError."""
    rows = engine.detector.detect(image_bgr, plan=ENROL_PLAN)
    if not len(rows):
        raise EnrolmentError("no_face", "No face was found in the photo; use a photo where the face is clearly visible.")
    sizes = geometry.face_size(rows)
    main = int(np.argmax(sizes))
    others = np.delete(sizes, main)
    if np.any(others >= SECOND_FACE_RATIO * sizes[main]):
        raise EnrolmentError(
            "several_faces",
            f"The photo shows {1 + int(np.sum(others >= SECOND_FACE_RATIO * sizes[main]))} clear faces; "
            "use a photo of this person alone.",
        )
    if sizes[main] < MIN_ENROL_SIZE:
        raise EnrolmentError(
            "too_small",
            f"The face is {sizes[main]:.0f} px across; enrolment needs at least {MIN_ENROL_SIZE:.0f} px, "
            "so use a closer or larger photo.",
        )
    if rows[main, geometry.SCORE] < MIN_ENROL_SCORE:
        raise EnrolmentError(
            "unclear",
            "The face is not clear enough (turned, blurred or covered); use a sharp photo facing the camera.",
        )
    return engine.recogniser.features(image_bgr, rows[main]).astype(np.float32).tobytes()
