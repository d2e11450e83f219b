"""The fast path for ordinary colour JPEGs: decode, turn and re-encode with OpenCV
(libjpeg-turbo underneath), never reading or writing anything but pixels."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from gatekeeper.media.base import Refused
from gatekeeper.media.pictures import JPEG_QUALITY

# EXIF orientation -> the OpenCV operations that make the stored pixels upright, in order.
_STEPS = {
    1: (), 2: ("flip_h",), 3: ("rot180",), 4: ("flip_v",),
    5: ("transpose",), 6: ("rot_cw",), 7: ("transpose", "rot180"), 8: ("rot_ccw",),
}
_OPS = {
    "flip_h": lambda a: cv2.flip(a, 1),
    "flip_v": lambda a: cv2.flip(a, 0),
    "rot180": lambda a: cv2.rotate(a, cv2.ROTATE_180),
    "rot_cw": lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE),
    "rot_ccw": lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE),
    "transpose": cv2.transpose,
}


def reencode(data: bytes, orientation: int, dst: Path) -> tuple[int, int]:
    """Write dst as the upright picture re-encoded from pixels; returns (width, height)."""
    try:
        pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    except cv2.error as exc:
        raise Refused(f"The picture data is corrupt ({exc.msg.strip()}).") from None
    if pixels is None:
        raise Refused("The picture data is corrupt or cut short.")
    for step in _STEPS.get(orientation, ()):
        pixels = _OPS[step](pixels)
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise Refused("The picture could not be re-encoded.")
    with open(dst, "wb") as out:
        out.write(encoded.data)
    return pixels.shape[1], pixels.shape[0]
