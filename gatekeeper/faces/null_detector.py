"""The "no detector" choice: it never claims a picture has no faces, so every item is held."""
from __future__ import annotations

import numpy as np

from gatekeeper.faces.detector import Detector, DetectorError, PassPlan

NO_DETECTOR = "no face detector is configured (DETECTOR = \"null\"): every face must be identified by hand"


class NullDetector(Detector):
    """Refuses every picture, so the engine reports it unchecked and the gate holds it."""

    name = "null"

    def detect(self, image_bgr: np.ndarray, plan: PassPlan | None = None) -> np.ndarray:
        raise DetectorError(NO_DETECTOR)

    def detect_once(self, image_bgr: np.ndarray) -> np.ndarray:
        raise DetectorError(NO_DETECTOR)
