"""Analyse a video: sample frames (a steady rate plus scene cuts), detect, match, track.

Any failure (unreadable file, decode error part-way, model trouble) gives
Analysis(failed=True): frames that were not checked cannot be cleared.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from gatekeeper.faces.analysis import Analysis, FaceStatus
from gatekeeper.faces.detector import Detector, DetectorError
from gatekeeper.faces.engine import detect_and_describe, engine_name, face_from, failed, notes_for
from gatekeeper.faces.gallery import Gallery, Match, match_faces
from gatekeeper.faces.recogniser import Recogniser, RecogniserError
from gatekeeper.faces.tracking import Sighting, Track, link, overlapping_in_time, track_match

log = logging.getLogger(__name__)

SAMPLES_PER_SECOND = 4.0
# Mean absolute change of a 32x18 grey thumbnail (0..1) that counts as a scene cut.
SCENE_CUT = 0.12
THUMB_SIZE = (32, 18)


class VideoError(Exception):
    """The video cannot be opened or decoded to the end."""


@dataclass(frozen=True)
class Sample:
    """One sampled frame, upright (display rotation applied), and its time in seconds."""

    time: float
    image: np.ndarray


def upright(image: np.ndarray, rotation: float) -> np.ndarray:
    """A decoded frame turned as the display matrix says (counter-clockwise degrees, multiples of 90)."""
    quarter_turns = int(round(rotation / 90.0)) % 4
    return np.ascontiguousarray(np.rot90(image, quarter_turns)) if quarter_turns else image


def sample_frames(
    path: str | Path, per_second: float = SAMPLES_PER_SECOND, scene_cut: float = SCENE_CUT
) -> Iterator[Sample]:
    """Frames at least `per_second` apart in time plus every scene cut and the last frame; raises VideoError."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"{Path(path).name} has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            yield from _sample_stream(container, stream, per_second, scene_cut)
    except av.FFmpegError as exc:
        raise VideoError(f"{Path(path).name} cannot be decoded ({exc.__class__.__name__}: {exc.strerror or ''})".rstrip()) from None


def _sample_stream(container, stream, per_second: float, scene_cut: float) -> Iterator[Sample]:
    step = 1.0 / per_second
    next_due = 0.0
    previous_thumb = None
    pending = None  # the last frame decoded but not sampled, so the video's end is always checked
    last_time = None
    rate = float(stream.average_rate or 25)
    for index, frame in enumerate(container.decode(stream)):
        last_time = float(frame.time) if frame.time is not None else index / rate
        thumb = frame.reformat(width=THUMB_SIZE[0], height=THUMB_SIZE[1], format="gray").to_ndarray()
        thumb = thumb.astype(np.float32) / 255.0
        cut = previous_thumb is not None and float(np.mean(np.abs(thumb - previous_thumb))) >= scene_cut
        previous_thumb = thumb
        if last_time >= next_due or cut:
            # Catch up after a gap in timestamps, but never sample less often than `step`.
            next_due = last_time + step if cut else max(next_due + step, last_time + step / 2)
            pending = None
            yield _sample(frame, last_time)
        else:
            pending = (frame, last_time)
    if pending is not None:
        yield _sample(*pending)
    _check_complete(container, stream, last_time, rate)


def _sample(frame, time: float) -> Sample:
    return Sample(time, upright(frame.to_ndarray(format="bgr24"), frame.rotation or 0))


def _check_complete(container, stream, last_time: float | None, rate: float) -> None:
    """A video whose frames stop well before its declared length was cut short: refuse it."""
    declared = None
    if stream.duration is not None and stream.time_base is not None:
        declared = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        declared = container.duration / 1_000_000
    if last_time is None:
        raise VideoError("the video has no frames that could be decoded")
    slack = max(0.5, 3.0 / rate)
    if declared is not None and last_time + 1.0 / rate < declared - slack:
        raise VideoError(f"the video stops at {last_time:.2f}s of its {declared:.2f}s: it is damaged or cut short")


def analyse_video(path: str | Path, *, detector: Detector, recogniser: Recogniser, gallery: Gallery) -> Analysis:
    """Faces of a video as tracks; any frame with an unknown or uncertain face is listed with its times."""
    engine = engine_name(detector, recogniser)
    frames: list[list[Sighting]] = []
    width = height = 0
    last_time = 0.0
    try:
        for sample in sample_frames(path):
            height, width = sample.image.shape[:2]
            last_time = max(last_time, sample.time)
            rows, probes = detect_and_describe(sample.image, detector, recogniser, gallery)
            matches = match_faces(probes, gallery)
            frames.append([
                Sighting(sample.time, row, probe.features, match)
                for row, probe, match in zip(rows, probes, matches)
            ])
    except (VideoError, DetectorError, RecogniserError) as exc:
        return failed(str(exc), engine)
    except Exception as exc:  # noqa: BLE001 - an unexpected failure must hold the item, not clear it
        log.exception("video analysis crashed")
        return failed(f"video analysis crashed ({exc.__class__.__name__}); the item needs checking by hand", engine)
    if not frames:
        return failed(f"{Path(path).name} has no frames that could be decoded", engine)
    tracks = link(frames)
    decisions = demote_shared_people(tracks, [track_match(t) for t in tracks])
    faces = tuple(_face_of_track(i, t, m, width, height) for i, (t, m) in enumerate(zip(tracks, decisions)))
    notes = notes_for(faces, gallery) + (f"{len(frames)} frames sampled",)
    return Analysis(faces=faces, width=width, height=height, duration=round(last_time, 3), engine=engine, notes=notes)


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
    best = max(track.sightings, key=lambda s: float(s.row[-1]))
    return face_from(index, best.row, match, width, height, frame_time=round(best.time, 3),
                     track=index, times=tuple(round(t, 3) for t in track.times))
