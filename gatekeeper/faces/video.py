"""Analyse a video rendition: EVERY frame goes through the detector, faces are tracked and checked.

Frames are decoded on one thread (frames.py) while two detectors work on the frames that follow. Each
face's features are computed only when the tracker asks (tracking.py), so the costly
part per frame is the detector's full-resolution pass. Any failure (unreadable file,
decode error part-way, model trouble) gives Analysis(failed=True): frames that were not
checked cannot be cleared.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from gatekeeper.faces import appearance, geometry
from gatekeeper.faces.analysis import Analysis, FaceStatus
from gatekeeper.faces.detector import VIDEO_PLAN, Detector, DetectorError
from gatekeeper.faces.engine import engine_name, face_from, failed, notes_for
from gatekeeper.faces.frames import Frame, VideoError, read_frames
from gatekeeper.faces.gallery import MIN_RECOGNISABLE_SIZE, Gallery, Match, Probe, match_faces
from gatekeeper.faces.models import ModelError
from gatekeeper.faces.recogniser import Recogniser, RecogniserError
from gatekeeper.faces.tracking import Detection, Track, Tracker, overlapping_in_time, track_match

log = logging.getLogger(__name__)
# Frames detected at once: the machines this runs on have two cores or more, and the decoder
# thread mostly waits once detection is the slower side.
DETECTOR_THREADS = 2


def analyse_video(path: str | Path, *, detector: Detector, recogniser: Recogniser, gallery: Gallery) -> Analysis:
    """Faces of a video as tracks, each with every frame time it was seen; never raises for bad input."""
    engine = engine_name(detector, recogniser)
    tracker = Tracker()
    width = height = 0
    last_time = 0.0
    count = 0
    try:
        for frame, rows in detected_frames(read_frames(path), detector):
            height, width = frame.image.shape[:2]
            last_time = frame.time
            count += 1
            tracker.add_frame(frame.index, frame.time, detections(frame.image, rows, recogniser, gallery))
        tracks = tracker.finish()
    except (VideoError, DetectorError, RecogniserError, ModelError) as exc:
        return failed(str(exc), engine)
    except Exception as exc:  # noqa: BLE001 - an unexpected failure must hold the item, not clear it
        log.exception("video analysis crashed")
        return failed(f"video analysis crashed ({exc.__class__.__name__}); the item needs checking by hand", engine)
    if not count:
        return failed(f"{Path(path).name} has no frames that could be decoded", engine)
    decisions = demote_shared_people(tracks, [track_match(t) for t in tracks])
    faces = tuple(_face_of_track(i, t, m, width, height) for i, (t, m) in enumerate(zip(tracks, decisions)))
    notes = notes_for(faces, gallery) + (
        f"every one of {count} frames checked for faces; features computed {tracker.checks} times",)
    return Analysis(faces=faces, width=width, height=height, duration=round(last_time, 3), engine=engine, notes=notes)


def detected_frames(frames: Iterable[Frame], detector: Detector,
                    workers: int = DETECTOR_THREADS) -> Iterator[tuple[Frame, np.ndarray]]:
    """Each frame with its detector rows, in order; frames are detected on `workers` threads at once.

    Raises what the detector raises (DetectorError, ModelError), for the first frame that failed.
    """
    if workers <= 1:
        for frame in frames:
            yield frame, detector.detect(frame.image, plan=VIDEO_PLAN)
        return
    own = threading.local()

    def detect(frame: Frame) -> tuple[Frame, np.ndarray]:
        # OpenCV runs a network's pass without the GIL, so one twin per thread runs in parallel.
        twin = getattr(own, "detector", None)
        if twin is None:
            twin = own.detector = detector.twin()
        return frame, twin.detect(frame.image, plan=VIDEO_PLAN)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="detect") as pool:
        pending: deque = deque()
        try:
            for frame in frames:
                pending.append(pool.submit(detect, frame))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def detections(image: np.ndarray, rows: np.ndarray, recogniser: Recogniser, gallery: Gallery) -> list[Detection]:
    """This frame's faces for the tracker: look now, features later (if the tracker asks)."""
    return [Detection(row, appearance.signature(image, row), _checker(image, row, recogniser, gallery)) for row in rows]


def _checker(image: np.ndarray, row: np.ndarray, recogniser: Recogniser, gallery: Gallery):
    size = float(geometry.face_size(row[None])[0])

    def check() -> tuple[np.ndarray | None, Match]:
        features = None
        if len(gallery) and size >= MIN_RECOGNISABLE_SIZE:
            features = recogniser.features(image, row)
        return features, match_faces([Probe(features=features, size=size)], gallery)[0]

    return check


def demote_shared_people(tracks: list[Track], decisions: list[Match]) -> list[Match]:
    """Tracks seen at the same time and identified as one person both become uncertain."""
    result = list(decisions)
    for i, a in enumerate(decisions):
        for j in range(i + 1, len(decisions)):
            b = decisions[j]
            if (
                a.status is FaceStatus.IDENTIFIED
                and b.status is FaceStatus.IDENTIFIED
                and a.person_id == b.person_id
                and overlapping_in_time(tracks[i], tracks[j])
            ):
                reason = f"another face seen at the same time matches the same person (#{a.person_id})"
                result[i] = Match(FaceStatus.UNCERTAIN, reason, distance=a.distance, margin=a.margin)
                result[j] = Match(FaceStatus.UNCERTAIN, reason, distance=b.distance, margin=b.margin)
    return result


def _face_of_track(index: int, track: Track, match: Match, width: int, height: int):
    # The Manager is shown the clearest sighting: the detector's best score, then the largest face.
    best = max(track.sightings, key=lambda s: (round(float(s.row[geometry.SCORE]), 2), float(geometry.face_size(s.row[None])[0])))
    boxes = tuple((round(s.time, 3), *geometry.clip_box(s.row, width, height)) for s in track.sightings)
    return face_from(index, best.row, match, width, height, frame_time=round(best.time, 3),
                     track=index, times=tuple(round(t, 3) for t in track.times), boxes=boxes)
