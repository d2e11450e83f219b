import dataclasses

import pytest

from gatekeeper.doctor import CHECKS, check_face_models
from gatekeeper.faces import models, plugins
from gatekeeper.faces.models import ModelError
from gatekeeper.faces.null_detector import NullDetector
from gatekeeper.faces.plugins import PluginError
from gatekeeper.faces.gallery import Gallery
from gatekeeper.faces.service import is_video, scan_files


class FakeApp:
    def __init__(self, **config):
        self.config = {"DETECTOR": "yunet", "RECOGNISER": "sface", **config}


def test_a_model_file_with_another_digest_is_refused():
    altered = dataclasses.replace(models.YUNET, sha256="0" * 64)
    with pytest.raises(ModelError, match="refusing to load"):
        models.read_verified(altered)


def test_a_missing_model_file_is_refused():
    with pytest.raises(ModelError, match="cannot read"):
        models.read_verified(dataclasses.replace(models.SFACE, filename="gone.onnx"))


def test_a_missing_carrier_package_is_refused(monkeypatch):
    monkeypatch.setattr(models, "CARRIER_PACKAGE", "no_such_package_here")
    with pytest.raises(ModelError, match="not installed"):
        models.read_verified(models.YUNET)
    assert len(models.verify_all()) == 2


@pytest.mark.parametrize("setting, value", [("DETECTOR", "magic"), ("RECOGNISER", "")])
def test_an_unknown_plug_in_name_is_refused_with_the_known_ones(setting, value):
    with pytest.raises(PluginError, match="choose one of"):
        plugins.build_engine({"DETECTOR": "yunet", "RECOGNISER": "sface", setting: value})


def test_the_registries_are_explicit():
    assert set(plugins.DETECTORS) == {"yunet", "null"}
    assert set(plugins.RECOGNISERS) == {"sface"}
    assert isinstance(plugins.DETECTORS["null"](), NullDetector)


def test_doctor_reports_a_broken_model_and_that_items_will_be_held(monkeypatch):
    monkeypatch.setattr(models, "CARRIER_PACKAGE", "no_such_package_here")
    finding = check_face_models(FakeApp())
    assert not finding.ok and "held" in finding.detail
    assert check_face_models in CHECKS


def test_doctor_reports_an_unknown_detector():
    finding = check_face_models(FakeApp(DETECTOR="magic"))
    assert not finding.ok and "magic" in finding.detail


def test_scan_holds_every_file_when_the_models_are_unusable(monkeypatch, tmp_path):
    monkeypatch.setattr(models, "CARRIER_PACKAGE", "no_such_package_here")
    results = scan_files([tmp_path / "a.jpg", tmp_path / "b.mp4"], FakeApp().config, Gallery())
    assert [a.failed for _, a in results] == [True, True]
    assert all("not installed" in a.error for _, a in results)


def test_scan_holds_every_file_when_the_detector_name_is_unknown(tmp_path):
    [(_, analysis)] = scan_files([tmp_path / "a.jpg"], FakeApp(DETECTOR="magic").config, Gallery())
    assert analysis.failed and "magic" in analysis.error


@pytest.mark.parametrize(
    "head, video",
    [
        (b"\0\0\0\x18ftypisom", True),
        (b"\0\0\0\x18ftypqt  ", True),
        (b"\0\0\0\x18ftypheic", False),
        (b"\0\0\0\x18ftypavif", False),
        (b"\x1a\x45\xdf\xa3\x01", True),
        (b"\xff\xd8\xff\xe0", False),
        (b"\x89PNG\r\n\x1a\n", False),
    ],
)
def test_photo_or_video_is_decided_by_the_bytes_not_the_name(tmp_path, head, video):
    path = tmp_path / "upload.bin"
    path.write_bytes(head + b"\0" * 16)
    assert is_video(path) is video
