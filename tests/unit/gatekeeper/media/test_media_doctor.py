"""The doctor reports whether every accepted format can be sanitised."""
from __future__ import annotations

import av

from gatekeeper import doctor


def test_the_media_check_passes_when_the_libraries_are_complete():
    finding = doctor.check_media(None)
    assert finding.ok and "HEIF" in finding.detail


def test_the_media_check_names_a_missing_decoder(monkeypatch):
    monkeypatch.setattr(av, "codecs_available", av.codecs_available - {"hevc"})
    finding = doctor.check_media(None)
    assert not finding.ok and "PyAV hevc decoder" in finding.detail
