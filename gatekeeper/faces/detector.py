"""The detector plug-in point: a base class whose detect() always returns rows of shape (N, 15)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from gatekeeper.faces import geometry


class DetectorError(Exception):
    """Faces could not be looked for; the caller must treat the item as unchecked (held)."""


@dataclass(frozen=True)
class PassPlan:
    """How a picture is searched; the figures come from bench/faces.py and bench/video.py."""

    # Pictures up to this side are searched whole at full resolution. Measured for issue 11 on
    # 30 corpus faces pasted at 24 px (JPEG q75): found 30/30 at full scale, 28/30 at 3/4 scale,
    # 18/30 at 0.6; so a rendition is never shrunk for the upright pass.
    # Larger pictures (enrolment photos, not renditions) are cut into overlapping tiles; a
    # face narrower than the overlap lies whole inside some tile, a wider one is found by
    # the downscaled pass.
    tile: int = 2048
    overlap: int = 160
    # Longest side of the downscaled pass over tiled pictures.
    overview_side: int = 1024
    # Turned passes find heads tilted beyond what the model sees upright (about 30 degrees).
    angles: tuple[float, ...] = (-45.0, 45.0)
    # Pixels of each turned canvas. It bounds their cost; tilted heads are found from about
    # 24 px divided by the canvas scale (sqrt(turned_pixels / canvas pixels)).
    turned_pixels: int = 600_000
    merge_iou: float = 0.3
    # One more pass over a half-size, lightly blurred copy with its local contrast evened out (CLAHE):
    # faces a person sees that the plain passes miss, drawn in a few grey levels, dithered to black
    # and white dots, or behind thin bars (bench/faces.py --only degraded). It only adds faces the
    # other passes did not find; None turns it off.
    degraded_scale: float | None = 0.5
    # Its own score bar, above the detector's: degraded faces scored 0.83-0.94 in that pass, while
    # the 5 extra detections it made over the 130 corpus photos (3 checked false against the
    # annotations, none true) scored 0.62-0.73.
    degraded_score: float = 0.8


# A 2048x1536 photo rendition: one full-resolution pass (every face from ~20 px) and two
# turned canvases at 0.31 scale (45-degree heads from ~80 px). bench/faces.py times it.
PHOTO_PLAN = PassPlan()
# Every frame of a 1280x720 video rendition: the full-resolution pass, and turned canvases at
# 0.35 scale (45-degree heads from ~70 px, on every frame); bench/video.py times it.
VIDEO_PLAN = PassPlan(turned_pixels=250_000)
# A reference photo is enrolled once, so it can afford turned canvases at full detail: small
# turned canvases see faces in backgrounds (a painted lake in one corpus portrait) that refuse it.
# Degraded faces have no place in a reference photo, and a false one would refuse it.
ENROL_PLAN = PassPlan(turned_pixels=2_500_000, degraded_scale=None)


class Detector:
    """Finds faces in an upright BGR picture.

    Subclasses implement detect_once (one pass over a picture the model takes
    whole); detect() runs it over tiles, a downscaled pass, turned passes and a
    pass over a degraded copy (half size, blurred, contrast evened out).
    Callers must handle DetectorError.
    """

    name = "detector"
    plan = PHOTO_PLAN

    def detect_once(self, image_bgr: np.ndarray) -> np.ndarray:
        """Rows for one pass over this exact picture; raises DetectorError."""
        raise NotImplementedError

    def twin(self) -> "Detector":
        """A detector of the same kind that another thread may use at the same time as this one.

        Detectors that keep no per-call state return themselves; raises ModelError.
        """
        return self

    def detect(self, image_bgr: np.ndarray, plan: PassPlan | None = None) -> np.ndarray:
        """Every face in the picture as rows (N, 15) float32 in its pixels; (0, 15) when none.

        plan defaults to the detector's own (PHOTO_PLAN); raises DetectorError.
        """
        if image_bgr is None or image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.size == 0:
            raise DetectorError("the picture is not a colour image")
        plan = plan or self.plan
        height, width = image_bgr.shape[:2]
        found = [self._upright(image_bgr, width, height, plan)]
        degraded = self._degraded(image_bgr, width, height, plan) if plan.degraded_scale else None
        shrunk: dict[float, np.ndarray] = {}  # both turned passes share one shrunk copy
        for angle in plan.angles:
            found.append(self._turned(image_bgr, width, height, angle, plan, shrunk))
        merged = geometry.merge_rows(np.vstack(found), plan.merge_iou)
        if degraded is not None:
            # Faces the plain passes found keep their sharper boxes and landmarks (recognition uses them).
            merged = geometry.add_new_rows(merged, degraded, plan.merge_iou)
        return merged

    def _upright(self, image: np.ndarray, width: int, height: int, plan: PassPlan) -> np.ndarray:
        tiles = geometry.tile_grid(width, height, plan.tile, plan.overlap)
        if len(tiles) == 1:
            return geometry.as_rows(self.detect_once(image))
        found = []
        for tile in tiles:
            rows = geometry.as_rows(self.detect_once(image[tile.y0:tile.y1, tile.x0:tile.x1]))
            rows = geometry.shift_rows(rows, tile.x0, tile.y0)
            found.append(geometry.drop_cut_faces(rows, tile, width, height))
        small = _shrink(image, plan.overview_side / max(width, height))
        overview = geometry.as_rows(self.detect_once(small))
        found.append(geometry.scale_rows(overview, width / small.shape[1]))
        return np.vstack(found)

    def _turned(self, image: np.ndarray, width: int, height: int, angle: float, plan: PassPlan,
                shrunk: dict[float, np.ndarray] | None = None) -> np.ndarray:
        _, full_size = geometry.rotation_for_pass(width, height, angle)
        scale = min(1.0, math.sqrt(plan.turned_pixels / (full_size[0] * full_size[1])))
        shrunk = {} if shrunk is None else shrunk
        if scale == 1.0:
            small = image
        else:
            small = shrunk.get(scale)
            if small is None:
                small = shrunk[scale] = _shrink(image, scale)
        matrix, size = geometry.rotation_for_pass(small.shape[1], small.shape[0], angle)
        rows = geometry.as_rows(self.detect_once(cv2.warpAffine(small, matrix, size, flags=cv2.INTER_LINEAR)))
        return geometry.scale_rows(geometry.unrotate_rows(rows, matrix), width / small.shape[1])


    def _degraded(self, image: np.ndarray, width: int, height: int, plan: PassPlan) -> np.ndarray:
        scale = min(plan.degraded_scale, plan.tile / max(width, height))
        small = cv2.GaussianBlur(_shrink(image, scale), (0, 0), 1.0)
        lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB)
        lab[:, :, 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(lab[:, :, 0])
        rows = geometry.as_rows(self.detect_once(cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)))
        rows = rows[rows[:, geometry.SCORE] >= plan.degraded_score]
        return geometry.scale_rows(rows, width / small.shape[1])


def _shrink(image: np.ndarray, factor: float) -> np.ndarray:
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
