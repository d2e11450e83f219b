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
    """How a large picture is searched; the figures come from bench/faces.py."""

    # Tiles at full resolution find small faces; a face narrower than the overlap lies
    # whole inside some tile, a wider one is found by the downscaled pass.
    tile: int = 1920
    overlap: int = 160
    # Longest side of the downscaled pass; 160 px at 4000 px wide becomes ~41 px here.
    overview_side: int = 1024
    # Turned passes find heads tilted beyond what the model sees upright (about 30 degrees).
    angles: tuple[float, ...] = (-45.0, 45.0)
    # Pixels of each turned canvas; bounds their cost on 12-megapixel photos, where
    # tilted faces are then found from about 90 px (from ~28 px at 1280 px wide).
    turned_pixels: int = 2_500_000
    merge_iou: float = 0.3


class Detector:
    """Finds faces in an upright BGR picture.

    Subclasses implement detect_once (one pass over a picture the model takes
    whole); detect() runs it over tiles, a downscaled pass and turned passes.
    Callers must handle DetectorError.
    """

    name = "detector"
    plan = PassPlan()

    def detect_once(self, image_bgr: np.ndarray) -> np.ndarray:
        """Rows for one pass over this exact picture; raises DetectorError."""
        raise NotImplementedError

    def detect(self, image_bgr: np.ndarray) -> np.ndarray:
        """Every face in the picture as rows (N, 15) float32 in its pixels; (0, 15) when none; raises DetectorError."""
        if image_bgr is None or image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.size == 0:
            raise DetectorError("the picture is not a colour image")
        height, width = image_bgr.shape[:2]
        found = [self._upright(image_bgr, width, height)]
        for angle in self.plan.angles:
            found.append(self._turned(image_bgr, width, height, angle))
        merged = geometry.merge_rows(np.vstack(found), self.plan.merge_iou)
        return merged

    def _upright(self, image: np.ndarray, width: int, height: int) -> np.ndarray:
        tiles = geometry.tile_grid(width, height, self.plan.tile, self.plan.overlap)
        if len(tiles) == 1:
            return geometry.as_rows(self.detect_once(image))
        found = []
        for tile in tiles:
            rows = geometry.as_rows(self.detect_once(image[tile.y0:tile.y1, tile.x0:tile.x1]))
            rows = geometry.shift_rows(rows, tile.x0, tile.y0)
            found.append(geometry.drop_cut_faces(rows, tile, width, height))
        small = _shrink(image, self.plan.overview_side / max(width, height))
        overview = geometry.as_rows(self.detect_once(small))
        found.append(geometry.scale_rows(overview, width / small.shape[1]))
        return np.vstack(found)

    def _turned(self, image: np.ndarray, width: int, height: int, angle: float) -> np.ndarray:
        _, full_size = geometry.rotation_for_pass(width, height, angle)
        scale = min(1.0, math.sqrt(self.plan.turned_pixels / (full_size[0] * full_size[1])))
        small = image if scale == 1.0 else _shrink(image, scale)
        matrix, size = geometry.rotation_for_pass(small.shape[1], small.shape[0], angle)
        rows = geometry.as_rows(self.detect_once(cv2.warpAffine(small, matrix, size, flags=cv2.INTER_LINEAR)))
        return geometry.scale_rows(geometry.unrotate_rows(rows, matrix), width / small.shape[1])


def _shrink(image: np.ndarray, factor: float) -> np.ndarray:
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
