"""A face crop's look in a few hundred numbers: cheap enough for every face in every video frame.

The signature is the face aligned on its five landmarks to 32x32 grey, with mean and
contrast taken out; two signatures differ by 1 - their dot product (0 same, up to 2).
It tells the tracker when a face that stays in place has changed enough that its
features must be computed again (a look-alike taking someone's place).
"""
from __future__ import annotations

import cv2
import numpy as np

SIDE = 32
# SFace's five landmark positions on its 112x112 crop, scaled to SIDE.
_CANON = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                   [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64) * SIDE / 112.0


def signature(image_bgr: np.ndarray, row: np.ndarray) -> np.ndarray:
    """The face's aligned, normalised grey crop as a float32 vector of SIDE*SIDE unit length."""
    points = np.asarray(row[4:14], dtype=np.float64).reshape(5, 2)
    size = float(min(row[2], row[3]))
    # Shrink the neighbourhood first when the face is large, so the warp does not alias.
    factor = min(1.0, 2.0 * SIDE / max(size, 1.0))
    patch, origin = _neighbourhood(image_bgr, row, factor)
    matrix = _similarity((points - origin) * factor, _CANON)
    aligned = cv2.warpAffine(patch, matrix, (SIDE, SIDE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    grey = cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY).astype(np.float32).reshape(-1)
    grey -= grey.mean()
    norm = float(np.linalg.norm(grey))
    return grey / norm if norm > 1e-6 else np.zeros_like(grey)


def change(a: np.ndarray, b: np.ndarray) -> float:
    """How different two signatures are: 0 identical, about 1 unrelated, 2 inverted."""
    return float(1.0 - np.dot(a, b))


def _neighbourhood(image: np.ndarray, row: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """The face's box grown by its own size on each side, scaled by factor, and its top-left corner."""
    height, width = image.shape[:2]
    grow = max(float(row[2]), float(row[3]))
    x0 = int(max(0, np.floor(row[0] - grow)))
    y0 = int(max(0, np.floor(row[1] - grow)))
    x1 = int(min(width, np.ceil(row[0] + row[2] + grow)))
    y1 = int(min(height, np.ceil(row[1] + row[3] + grow)))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return image, np.zeros(2)
    patch = image[y0:y1, x0:x1]
    if factor < 1.0:
        patch = cv2.resize(patch, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    return patch, np.array([x0, y0], dtype=np.float64)


def _similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 least-squares similarity transform (turn, scale, shift) taking source points to target."""
    src_mean, dst_mean = source.mean(axis=0), target.mean(axis=0)
    src, dst = source - src_mean, target - dst_mean
    denominator = float((src ** 2).sum())
    if denominator < 1e-9:
        return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    a = float((src * dst).sum()) / denominator
    b = float((src[:, 0] * dst[:, 1] - src[:, 1] * dst[:, 0]).sum()) / denominator
    linear = np.array([[a, -b], [b, a]])
    shift = dst_mean - linear @ src_mean
    return np.hstack([linear, shift[:, None]])
