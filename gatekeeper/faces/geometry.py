"""Pure geometry on detector rows: tiles, scaling, clipping, rotation back, merging.

A row is YuNet's: x, y, w, h, five landmarks (x, y) and the score, float32,
so an array of rows always has shape (N, 15); N may be 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ROW_WIDTH = 15
SCORE = 14
_XS = np.array([0, 4, 6, 8, 10, 12])  # x of the box and of each landmark
_YS = _XS + 1


def empty_rows() -> np.ndarray:
    """The answer when nothing was found: shape (0, 15), never None."""
    return np.zeros((0, ROW_WIDTH), dtype=np.float32)


def as_rows(found: np.ndarray | None) -> np.ndarray:
    """A detector's raw output as float32 rows of fixed width; None becomes empty."""
    if found is None:
        return empty_rows()
    rows = np.asarray(found, dtype=np.float32).reshape(-1, ROW_WIDTH)
    return rows


@dataclass(frozen=True)
class Rect:
    """A region of an image in whole pixels: [x0, x1) by [y0, y1)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


def spans(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Cut [0, length) into as few equal pieces of at most `tile` as fit, each overlapping the next by `overlap`."""
    if length <= tile:
        return [(0, length)]
    count = math.ceil((length - overlap) / (tile - overlap))
    size = math.ceil((length + (count - 1) * overlap) / count)
    starts = np.linspace(0, length - size, count).round().astype(int)
    return [(int(start), int(start) + size) for start in starts]


def tile_grid(width: int, height: int, tile: int, overlap: int) -> list[Rect]:
    """Overlapping tiles covering the image; a face smaller than `overlap` lies whole in at least one."""
    if overlap >= tile:
        raise ValueError("overlap must be smaller than the tile")
    return [
        Rect(x0, y0, x1, y1)
        for y0, y1 in spans(height, tile, overlap)
        for x0, x1 in spans(width, tile, overlap)
    ]


def shift_rows(rows: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Rows moved by (dx, dy): from a tile's pixels to the image's."""
    moved = rows.copy()
    moved[:, _XS] += dx
    moved[:, _YS] += dy
    return moved


def scale_rows(rows: np.ndarray, factor: float) -> np.ndarray:
    """Rows with every coordinate and size multiplied by factor; scores unchanged."""
    scaled = rows.copy()
    scaled[:, :SCORE] *= factor
    return scaled


def drop_cut_faces(rows: np.ndarray, tile: Rect, width: int, height: int, margin: float = 2.0) -> np.ndarray:
    """Rows (in image pixels) minus those touching a tile edge that lies inside the image.

    Such a face is cut by the tile; a neighbouring tile or the downscaled pass sees it whole.
    """
    x0, y0 = rows[:, 0], rows[:, 1]
    x1, y1 = x0 + rows[:, 2], y0 + rows[:, 3]
    cut = np.zeros(len(rows), dtype=bool)
    if tile.x0 > 0:
        cut |= x0 <= tile.x0 + margin
    if tile.y0 > 0:
        cut |= y0 <= tile.y0 + margin
    if tile.x1 < width:
        cut |= x1 >= tile.x1 - margin
    if tile.y1 < height:
        cut |= y1 >= tile.y1 - margin
    return rows[~cut]


def rotation_for_pass(width: int, height: int, angle: float, scale: float = 1.0) -> tuple[np.ndarray, tuple[int, int]]:
    """The 2x3 affine matrix turning an image by angle degrees (counter-clockwise) and scaling it,
    and the canvas size that holds all of it."""
    radians = math.radians(angle)
    cos, sin = abs(math.cos(radians)), abs(math.sin(radians))
    new_w = int(math.ceil((width * cos + height * sin) * scale))
    new_h = int(math.ceil((width * sin + height * cos) * scale))
    # Same convention as cv2.getRotationMatrix2D, written out to keep this module free of OpenCV.
    alpha, beta = scale * math.cos(radians), scale * math.sin(radians)
    matrix = np.array(
        [
            [alpha, beta, 0.0],
            [-beta, alpha, 0.0],
        ]
    )
    centre = np.array([width / 2.0, height / 2.0])
    matrix[:, 2] = np.array([new_w / 2.0, new_h / 2.0]) - matrix[:, :2] @ centre
    return matrix, (new_w, new_h)


def unrotate_rows(rows: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Rows found on a turned canvas, brought back to the original image.

    Landmarks map exactly. The box keeps the face's own size around its mapped
    centre, not the larger upright box around the turned one, so it merges with
    the same face found by another pass and does not swallow a neighbour.
    """
    if not len(rows):
        return empty_rows()
    full = np.vstack([matrix, [0.0, 0.0, 1.0]])
    inverse = np.linalg.inv(full)[:2]
    linear = math.hypot(inverse[0, 0], inverse[0, 1])
    back = rows.copy()
    for lx, ly in zip(_XS[1:], _YS[1:]):
        points = np.stack([rows[:, lx], rows[:, ly], np.ones(len(rows))])
        back[:, lx], back[:, ly] = inverse @ points
    centres = np.stack([rows[:, 0] + rows[:, 2] / 2, rows[:, 1] + rows[:, 3] / 2, np.ones(len(rows))])
    cx, cy = inverse @ centres
    back[:, 2] = rows[:, 2] * linear
    back[:, 3] = rows[:, 3] * linear
    back[:, 0] = cx - back[:, 2] / 2
    back[:, 1] = cy - back[:, 3] / 2
    return back.astype(np.float32)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in a (N, >=4) against every box in b (M, >=4): shape (N, M)."""
    ax0, ay0, ax1, ay1 = a[:, 0:1], a[:, 1:2], a[:, 0:1] + a[:, 2:3], a[:, 1:2] + a[:, 3:4]
    bx0, by0, bx1, by1 = b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    inter_w = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None)
    inter_h = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None)
    inter = inter_w * inter_h
    union = a[:, 2:3] * a[:, 3:4] + b[:, 2] * b[:, 3] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def containment(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over the smaller box, every box in a (N, >=4) against every box in b (M, >=4): (N, M)."""
    ix = np.clip(np.minimum(a[:, 0:1] + a[:, 2:3], b[:, 0] + b[:, 2]) - np.maximum(a[:, 0:1], b[:, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, 1:2] + a[:, 3:4], b[:, 1] + b[:, 3]) - np.maximum(a[:, 1:2], b[:, 1]), 0, None)
    smaller = np.minimum(a[:, 2:3] * a[:, 3:4], b[:, 2] * b[:, 3])
    return np.where(smaller > 0, ix * iy / np.where(smaller > 0, smaller, 1), 0.0)


# A box lying this much inside a better-scored one is the same face seen by another pass (a
# turned pass at low resolution sometimes boxes a face with its surroundings); two faces a
# person can see never overlap that much.
NESTED = 0.8


def merge_rows(rows: np.ndarray, iou_threshold: float = 0.3) -> np.ndarray:
    """Greedy non-maximum suppression across passes: the best-scored row of each overlapping or nested group."""
    if not len(rows):
        return empty_rows()
    order = np.argsort(-rows[:, SCORE], kind="stable")
    ranked = rows[order]
    overlaps = (iou(ranked, ranked) > iou_threshold) | (containment(ranked, ranked) >= NESTED)
    keep: list[int] = []
    suppressed = np.zeros(len(ranked), dtype=bool)
    for i in range(len(ranked)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= overlaps[i]
    return ranked[keep].astype(np.float32)


def add_new_rows(rows: np.ndarray, extra: np.ndarray, iou_threshold: float = 0.3) -> np.ndarray:
    """rows, plus the rows of extra that overlap none of them (merged among themselves first)."""
    extra = merge_rows(extra, iou_threshold)
    if len(extra) and len(rows):
        overlaps = ((iou(extra, rows) > iou_threshold) | (containment(extra, rows) >= NESTED)
                    | (containment(rows, extra).T >= NESTED))
        extra = extra[~overlaps.any(axis=1)]
    return np.vstack([rows, extra]).astype(np.float32)


def clip_box(row: np.ndarray, width: int, height: int) -> tuple[int, int, int, int]:
    """A row's box as whole pixels inside the image (x, y, w, h); grows outward so a face is never cut."""
    x0 = max(0, math.floor(float(row[0])))
    y0 = max(0, math.floor(float(row[1])))
    x1 = min(width, math.ceil(float(row[0] + row[2])))
    y1 = min(height, math.ceil(float(row[1] + row[3])))
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def face_size(rows: np.ndarray) -> np.ndarray:
    """The side of each face's box (the smaller of width and height), in pixels."""
    return np.minimum(rows[:, 2], rows[:, 3])
