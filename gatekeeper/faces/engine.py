"""Analyse one photo: decode, detect, describe, match; every failure is an Analysis with failed=True."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from gatekeeper.faces import geometry
from gatekeeper.faces.analysis import Analysis, Box, Face
from gatekeeper.faces.detector import Detector, DetectorError
from gatekeeper.faces.gallery import MIN_RECOGNISABLE_SIZE, Gallery, Match, Probe, match_faces
from gatekeeper.faces.recogniser import Recogniser, RecogniserError

log = logging.getLogger(__name__)

CHILDREN_CAVEAT = (
    "Recognition of young children is less reliable than of adults (public face models are "
    "trained mostly on adults; siblings can look alike to them): every face the engine is "
    "unsure of is held for a person to decide."
)


class PictureError(Exception):
    """The file cannot be read as a single still picture."""


def engine_name(detector: Detector, recogniser: Recogniser) -> str:
    return f"{detector.name}+{recogniser.name}"


def failed(error: str, engine: str = "", **extra) -> Analysis:
    """An analysis that checked nothing: the gate holds the item, and error says why."""
    return Analysis(faces=(), failed=True, error=error, engine=engine, **extra)


def _register_heif() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()


def load_picture(path: str | Path) -> np.ndarray:
    """A still picture as an upright BGR array; raises PictureError."""
    _register_heif()
    try:
        with warnings.catch_warnings():
            # A decompression-bomb warning becomes an error: such a picture is refused, not analysed.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as picture:
                if getattr(picture, "n_frames", 1) > 1:
                    raise PictureError(
                        f"{Path(path).name} has {picture.n_frames} frames; only still pictures are analysed as photos"
                    )
                # Copies of a 12 MP picture cost more than decoding it (bench/faces.py): turn it in
                # place, convert only what is not RGB already, and let OpenCV swap the channels.
                picture.load()
                ImageOps.exif_transpose(picture, in_place=True)
                rgb = np.asarray(picture if picture.mode == "RGB" else picture.convert("RGB"))
    except PictureError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PictureError(f"{Path(path).name} is too large to analyse safely") from None
    except FileNotFoundError:
        raise PictureError(f"{path} does not exist") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise PictureError(f"{Path(path).name} cannot be decoded as a picture ({exc.__class__.__name__})") from None
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def analyse_photo(path: str | Path, *, detector: Detector, recogniser: Recogniser, gallery: Gallery) -> Analysis:
    """Faces of a photo file and who they are; never raises for bad input or model trouble."""
    try:
        image = load_picture(path)
    except PictureError as exc:
        return failed(str(exc), engine_name(detector, recogniser))
    return analyse_image(image, detector=detector, recogniser=recogniser, gallery=gallery)


def analyse_image(
    image_bgr: np.ndarray, *, detector: Detector, recogniser: Recogniser, gallery: Gallery
) -> Analysis:
    """Faces of a decoded upright picture; failures come back as Analysis(failed=True)."""
    engine = engine_name(detector, recogniser)
    height, width = image_bgr.shape[:2]
    try:
        rows, probes = detect_and_describe(image_bgr, detector, recogniser, gallery)
    except (DetectorError, RecogniserError) as exc:
        return failed(str(exc), engine, width=width, height=height)
    except Exception as exc:  # noqa: BLE001 - an unexpected failure must hold the item, not clear it
        log.exception("face analysis crashed")
        return failed(f"face analysis crashed ({exc.__class__.__name__}); the item needs checking by hand",
                      engine, width=width, height=height)
    matches = match_faces(probes, gallery)
    faces = tuple(face_from(i, row, match, width, height) for i, (row, match) in enumerate(zip(rows, matches)))
    return Analysis(faces=faces, width=width, height=height, engine=engine, notes=notes_for(faces, gallery))


def detect_and_describe(
    image_bgr: np.ndarray, detector: Detector, recogniser: Recogniser, gallery: Gallery
) -> tuple[np.ndarray, list[Probe]]:
    """Rows of every face and a probe for each; features only when someone is enrolled to compare with.

    Raises DetectorError or RecogniserError.
    """
    rows = detector.detect(image_bgr)
    probes = []
    for row in rows:
        size = float(geometry.face_size(row[None])[0])
        features = None
        if len(gallery) and size >= MIN_RECOGNISABLE_SIZE:
            features = recogniser.features(image_bgr, row)
        probes.append(Probe(features=features, size=size))
    return rows, probes


def face_from(index: int, row: np.ndarray, match: Match, width: int, height: int, **video) -> Face:
    """A Face record from a detector row and its match; carries no features."""
    x, y, w, h = geometry.clip_box(row, width, height)
    return Face(
        index=index,
        box=Box(x, y, w, h),
        score=round(float(row[geometry.SCORE]), 4),
        status=match.status,
        reason=match.reason,
        person_id=match.person_id,
        distance=None if match.distance is None else round(match.distance, 4),
        margin=None if match.margin is None else round(match.margin, 4),
        **video,
    )


def notes_for(faces: Sequence[Face], gallery: Gallery) -> tuple[str, ...]:
    """Sentences for the Manager that apply to the whole item."""
    notes = []
    if faces:
        notes.append(CHILDREN_CAVEAT)
    if faces and not len(gallery):
        notes.append("Nobody is enrolled for face matching: every face is unknown until identified by hand.")
    return tuple(notes)
