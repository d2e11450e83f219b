"""Which detector and recogniser a configuration names: explicit registries, resolved once."""
from __future__ import annotations

import cv2

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from gatekeeper.faces.detector import Detector
from gatekeeper.faces.null_detector import NullDetector
from gatekeeper.faces.recogniser import Recogniser


def _yunet() -> Detector:
    from gatekeeper.faces.yunet import YuNetDetector

    return YuNetDetector()


def _sface() -> Recogniser:
    from gatekeeper.faces.sface import SFaceRecogniser

    return SFaceRecogniser()


DETECTORS: dict[str, Callable[[], Detector]] = {
    "yunet": _yunet,
    "null": NullDetector,
}
RECOGNISERS: dict[str, Callable[[], Recogniser]] = {
    "sface": _sface,
}


class PluginError(Exception):
    """The configuration names a detector or recogniser that does not exist."""


def _choose(registry: Mapping[str, Callable], setting: str, config: Mapping[str, Any]):
    name = str(config.get(setting, "")).strip().lower()
    if name not in registry:
        known = ", ".join(sorted(registry))
        raise PluginError(f"{setting} = {name!r} is not known; choose one of: {known}")
    return registry[name]


def build_detector(config: Mapping[str, Any]) -> Detector:
    """The configured detector; raises PluginError, or ModelError when its model is unusable."""
    return _choose(DETECTORS, "DETECTOR", config)()


def build_recogniser(config: Mapping[str, Any]) -> Recogniser:
    """The configured recogniser; raises PluginError, or ModelError when its model is unusable."""
    return _choose(RECOGNISERS, "RECOGNISER", config)()


@dataclass(frozen=True)
class FaceEngine:
    """The detector and recogniser an instance uses, built once and shared."""

    detector: Detector
    recogniser: Recogniser

    @property
    def name(self) -> str:
        return f"{self.detector.name}+{self.recogniser.name}"


def build_engine(config: Mapping[str, Any]) -> FaceEngine:
    """Both configured plug-ins; raises PluginError or ModelError (the caller holds every item)."""
    # OpenCV 5 warns on every network it loads about a target we never ask for; keep real errors.
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    return FaceEngine(detector=build_detector(config), recogniser=build_recogniser(config))
