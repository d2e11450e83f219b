"""The recogniser plug-in point: a face (picture + detector row) in, a unit 128-d feature vector out."""
from __future__ import annotations

import numpy as np

FEATURE_SIZE = 128


class RecogniserError(Exception):
    """A face could not be turned into features; the caller must treat the face as unchecked."""


class Recogniser:
    """Computes comparable features for a detected face. Callers must handle RecogniserError."""

    name = "recogniser"

    def features(self, image_bgr: np.ndarray, face_row: np.ndarray) -> np.ndarray:
        """Shape (128,) float32 of unit length for the face described by a detector row."""
        raise NotImplementedError

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        """Cosine distance of two unit vectors: 0 same direction, 2 opposite."""
        return float(1.0 - np.dot(a, b))


def normalised(vector: np.ndarray) -> np.ndarray:
    """The vector as float32 (128,) of unit length; raises RecogniserError when that is impossible."""
    flat = np.asarray(vector, dtype=np.float32).reshape(-1)
    if flat.shape != (FEATURE_SIZE,):
        raise RecogniserError(f"expected {FEATURE_SIZE} features, got {flat.shape[0]}")
    norm = float(np.linalg.norm(flat))
    if not np.isfinite(norm) or norm == 0.0:
        raise RecogniserError("the features are empty or not finite")
    return flat / norm
