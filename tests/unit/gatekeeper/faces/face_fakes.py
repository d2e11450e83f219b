"""Fakes for the face engine's plug-in points; each subclasses the real base class."""
from __future__ import annotations

import cv2
import numpy as np

from gatekeeper.faces import geometry
from gatekeeper.faces.detector import Detector, DetectorError
from gatekeeper.faces.recogniser import FEATURE_SIZE, Recogniser, RecogniserError


def face_row(x, y, w, h, score=0.9) -> np.ndarray:
    r = np.zeros(geometry.ROW_WIDTH, dtype=np.float32)
    r[:4] = (x, y, w, h)
    r[4:14] = (x + 0.3 * w, y + 0.4 * h, x + 0.7 * w, y + 0.4 * h, x + 0.5 * w, y + 0.6 * h,
               x + 0.35 * w, y + 0.8 * h, x + 0.65 * w, y + 0.8 * h)
    r[14] = score
    return r


def unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=FEATURE_SIZE).astype(np.float32)
    return v / np.linalg.norm(v)


def at_distance(base: np.ndarray, distance: float, seed: int = 99) -> np.ndarray:
    """A unit vector whose cosine distance from base is exactly `distance`."""
    other = unit(seed)
    other = other - (other @ base) * base
    other /= np.linalg.norm(other)
    cos = 1.0 - distance
    v = cos * base + np.sqrt(max(0.0, 1 - cos * cos)) * other
    return (v / np.linalg.norm(v)).astype(np.float32)


def template(vector: np.ndarray) -> bytes:
    return vector.astype(np.float32).tobytes()


class FixedDetector(Detector):
    """Finds the same rows in every picture (or raises, when given an error)."""

    name = "fixed"

    def __init__(self, rows=(), error: Exception | None = None):
        self.rows = np.vstack(rows).astype(np.float32) if len(rows) else geometry.empty_rows()
        self.error = error
        self.seen: list[tuple[int, int]] = []

    def detect(self, image_bgr, plan=None):
        self.seen.append(image_bgr.shape[:2])
        if self.error:
            raise self.error
        return self.rows.copy()


class BlobDetector(Detector):
    """One pass finds bright squares: lets the real multi-pass logic run without a model."""

    name = "blobs"

    def __init__(self):
        self.passes: list[tuple[int, int]] = []

    def detect_once(self, image_bgr):
        self.passes.append(image_bgr.shape[:2])
        grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
        count, _, stats, _ = cv2.connectedComponentsWithStats((grey > 128).astype(np.uint8))
        found = [face_row(x, y, w, h) for x, y, w, h, area in stats[1:count] if w >= 8 and h >= 8]
        return np.vstack(found) if found else geometry.empty_rows()


class VectorRecogniser(Recogniser):
    """Gives each face the vector registered for the nearest box x position."""

    name = "vectors"

    def __init__(self, by_x: dict[float, np.ndarray] | None = None, error: Exception | None = None):
        self.by_x = by_x or {}
        self.error = error
        self.calls = 0

    def features(self, image_bgr, face_row):
        self.calls += 1
        if self.error:
            raise self.error
        key = min(self.by_x, key=lambda x: abs(x - float(face_row[0])))
        return self.by_x[key]


__all__ = ["DetectorError", "RecogniserError"]
