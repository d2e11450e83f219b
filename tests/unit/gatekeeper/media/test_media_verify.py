"""Verification re-reads every output; a leak that slips past an encoder stops here."""
from __future__ import annotations

import shutil

import pytest

from gatekeeper.media import MetadataLeft, Refused, sanitize_file, verify_file
from gatekeeper.media.formats.jpeg import JpegHandler
from gatekeeper.media.formats.png import PngHandler


@pytest.mark.parametrize("name, words", [
    ("everything.jpg", "APP1:Exif segment"),
    ("everything.png", "tEXt chunk"),
    ("animated_everything.gif", "comment block"),
    ("everything_lossy.webp", "EXIF chunk"),
    ("tagged_hevc_rotated_180.mp4", "moov/udta/meta/keys box"),
    ("untagged_h264.mp4", "moov/udta/meta/ilst/©too box"),
])
def test_an_original_with_metadata_fails_verification_naming_what_is_left(corpus, name, words):
    with pytest.raises(MetadataLeft) as caught:
        verify_file(corpus[name])
    assert words in caught.value.reason


@pytest.mark.parametrize("name", ["everything_upright.heic", "gps_in_keys_udta_rotated_90.mov", "svg_named.jpg"])
def test_a_type_the_sanitiser_never_writes_is_refused(corpus, name):
    with pytest.raises(Refused, match="not a photo or video type that the sanitiser writes"):
        verify_file(corpus[name])


def test_a_handler_that_leaks_is_stopped_and_nothing_is_written(corpus, out_dir, monkeypatch):
    def leaky_clean(self, data, src, dst, limits):
        shutil.copyfile(src, dst)  # an "encoder" that copies the EXIF, XMP and all
        return original(self, data, src, out_dir.parent / "ignored.jpg", limits)

    original = JpegHandler.clean
    monkeypatch.setattr(JpegHandler, "clean", leaky_clean)
    with pytest.raises(MetadataLeft, match="still holds"):
        sanitize_file(corpus["everything.jpg"], out_dir, stem="item")
    assert list(out_dir.iterdir()) == []


def test_exifread_is_a_second_independent_check(corpus, out_dir, monkeypatch, tmp_path):
    """A PNG whose chunks our walker would pass but which carries EXIF that exifread reads."""
    from gatekeeper.media.containers import png

    def leaky_clean(self, data, src, dst, limits):
        from tests.media_factory import exif_block, upright_picture

        upright_picture().save(dst, format="PNG", exif=exif_block())
        return original(self, data, src, tmp_path / "ignored.png", limits)

    original = PngHandler.clean
    monkeypatch.setattr(PngHandler, "clean", leaky_clean)
    monkeypatch.setattr(png, "CLEAN_CHUNKS", png.CLEAN_CHUNKS | {"eXIf"})
    monkeypatch.setattr(PngHandler, "keeps", png.CLEAN_CHUNKS | {"eXIf"})
    with pytest.raises(MetadataLeft, match="EXIF tag"):
        sanitize_file(corpus["everything.png"], out_dir, stem="item")
    assert list(out_dir.iterdir()) == []
