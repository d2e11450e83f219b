"""SFace (OpenCV Zoo) behind the Recogniser interface, loaded from the pinned, checked file."""
from __future__ import annotations

import threading

import cv2
import numpy as np

from gatekeeper.faces import models
from gatekeeper.faces.recogniser import Recogniser, RecogniserError, normalised

# The network's input name. OpenCV 5's FaceRecognizerSF.feature() sets its input without
# a name and fails on this model ("empty name can only be used ... one input"), so we
# keep FaceRecognizerSF for alignCrop and run the network ourselves, named.
INPUT_NAME = "data"
CROP_SIZE = (112, 112)


class SFaceRecogniser(Recogniser):
    """SFace features of a face aligned on its five landmarks; construction raises ModelError."""

    name = "sface"

    def __init__(self) -> None:
        weights = np.frombuffer(models.read_verified(models.SFACE), dtype=np.uint8)
        try:
            self._aligner = cv2.FaceRecognizerSF.create("onnx", weights, np.zeros(0, dtype=np.uint8))
            self._net = cv2.dnn.readNetFromONNX(weights)
        except cv2.error as exc:
            raise models.ModelError(f"{models.SFACE.name}: OpenCV cannot load it ({_last_line(exc)})") from None
        self._lock = threading.Lock()

    def features(self, image_bgr: np.ndarray, face_row: np.ndarray) -> np.ndarray:
        row = np.asarray(face_row, dtype=np.float32).reshape(1, -1)
        try:
            with self._lock:
                # Alignment uses the landmarks, so faces from turned passes come out upright.
                aligned = self._aligner.alignCrop(image_bgr, row)
                # The same preprocessing as FaceRecognizerSF::feature: BGR->RGB, no scaling.
                blob = cv2.dnn.blobFromImage(aligned, 1.0, CROP_SIZE, (0, 0, 0), True, False)
                self._net.setInput(blob, INPUT_NAME)
                raw = self._net.forward()
        except cv2.error as exc:
            raise RecogniserError(f"SFace failed on a face: {_last_line(exc)}") from None
        return normalised(raw)


def _last_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else exc.__class__.__name__
