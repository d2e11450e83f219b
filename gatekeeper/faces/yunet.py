"""YuNet (OpenCV Zoo) behind the Detector interface, loaded from the pinned, checked file."""
from __future__ import annotations

import threading

import cv2
import numpy as np

from gatekeeper.faces import geometry, models
from gatekeeper.faces.detector import Detector, DetectorError

# The survey found every face of the group photos and 16-px faces at 0.6;
# bench/faces.py reports recall and false positives at this value.
SCORE_THRESHOLD = 0.6
NMS_THRESHOLD = 0.3
TOP_K = 5000


class YuNetDetector(Detector):
    """OpenCV's FaceDetectorYN; construction raises ModelError when the file is missing or altered."""

    name = "yunet"

    def __init__(self, score_threshold: float = SCORE_THRESHOLD) -> None:
        self.score_threshold = score_threshold
        weights = np.frombuffer(models.read_verified(models.YUNET), dtype=np.uint8)
        try:
            self._net = cv2.FaceDetectorYN.create(
                "onnx", weights, np.zeros(0, dtype=np.uint8), (320, 320), score_threshold, NMS_THRESHOLD, TOP_K
            )
        except cv2.error as exc:
            raise models.ModelError(f"{models.YUNET.name}: OpenCV cannot load it ({_first_line(exc)})") from None
        # One network object holds its input size: passes from two threads must not interleave.
        self._lock = threading.Lock()

    def twin(self) -> "YuNetDetector":
        """A second network from the same checked file, so two threads can each run passes at once."""
        return YuNetDetector(self.score_threshold)

    def detect_once(self, image_bgr: np.ndarray) -> np.ndarray:
        height, width = image_bgr.shape[:2]
        try:
            with self._lock:
                self._net.setInputSize((width, height))
                _, found = self._net.detect(np.ascontiguousarray(image_bgr))
        except cv2.error as exc:
            raise DetectorError(f"YuNet failed on a {width}x{height} picture: {_first_line(exc)}") from None
        return geometry.as_rows(found)


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else exc.__class__.__name__
