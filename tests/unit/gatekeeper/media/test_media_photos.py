"""Photos: every marker present before is gone after, and the picture looks right."""
from __future__ import annotations

import pytest
from PIL import Image

from gatekeeper.media import Kind, sanitize_file, verify_file
from tests.media_checks import close, corner_colours, is_upright, markers_in
from tests.media_factory import GIF_COLOURS, GIF_DURATIONS, HEIGHT, WIDTH, jpeg_with_everything

PHOTOS = {
    # name: (output extension, output format)
    "everything.jpg": (".jpg", "JPEG"),
    "orientation_3.jpg": (".jpg", "JPEG"),
    "orientation_6_icc_profile.jpg": (".jpg", "JPEG"),
    "orientation_6.jpg": (".jpg", "JPEG"),
    "orientation_8.jpg": (".jpg", "JPEG"),
    "everything.png": (".png", "PNG"),
    "orientation_8.png": (".png", "PNG"),
    "everything_lossy.webp": (".webp", "WEBP"),
    "orientation_6_lossless.webp": (".webp", "WEBP"),
    "orientation_6_thumbnail_second_image.heic": (".jpg", "JPEG"),
    "everything_upright.heic": (".jpg", "JPEG"),
}
ANIMATIONS = ["animated_everything.gif", "animated_everything.webp"]


@pytest.fixture(scope="module")
def cleaned(corpus, tmp_path_factory):
    """Each photo fixture sanitised once for this module."""
    folder = tmp_path_factory.mktemp("clean-photos")
    return {name: sanitize_file(corpus[name], folder, stem=corpus[name].stem) for name in [*PHOTOS, *ANIMATIONS]}


@pytest.mark.parametrize("name", [*PHOTOS, *ANIMATIONS])
def test_markers_present_before_are_absent_after(corpus, cleaned, name):
    before = markers_in(corpus[name].read_bytes())
    assert len(before) >= 4, f"the fixture should carry markers, found {before}"
    assert markers_in(cleaned[name].path.read_bytes()) == []


@pytest.mark.parametrize("name", PHOTOS)
def test_the_picture_comes_out_upright_at_its_true_size(cleaned, name):
    result = cleaned[name]
    assert is_upright(result.path), corner_colours(result.path)
    assert (result.width, result.height) == (WIDTH, HEIGHT) == Image.open(result.path).size


@pytest.mark.parametrize("name", PHOTOS)
def test_the_output_has_the_expected_type_and_passes_verification(cleaned, name):
    extension, fmt = PHOTOS[name]
    result = cleaned[name]
    assert result.kind is Kind.PHOTO and result.extension == extension
    assert result.path.suffix == extension and Image.open(result.path).format == fmt
    assert result.mime == Image.MIME[fmt]
    verify_file(result.path)


@pytest.mark.parametrize("name", ["everything.jpg", "orientation_6.jpg", "orientation_8.jpg"])
def test_a_jpeg_keeps_one_picture_and_no_thumbnail(cleaned, name):
    data = cleaned[name].path.read_bytes()
    assert data.count(b"\xff\xd8") == 1 and data.endswith(b"\xff\xd9")
    assert not any(close(c, (255, 0, 255)) for c in corner_colours(cleaned[name].path).values())


def test_what_was_removed_is_reported_in_words(cleaned):
    removed = " | ".join(cleaned["orientation_6_icc_profile.jpg"].removed)
    for words in ("GPS position", "serial number", "owner name", "embedded thumbnail", "XMP block",
                  "IPTC", "comment", "after the end of the picture", "orientation 6", "colour profile"):
        assert words in removed


def test_heic_loses_its_thumbnail_and_second_image(cleaned):
    removed = cleaned["orientation_6_thumbnail_second_image.heic"].removed
    assert "embedded thumbnail" in removed and "1 more image(s) in the file" in removed


@pytest.mark.parametrize("name", ANIMATIONS)
def test_an_animation_keeps_every_frame_and_its_timing(cleaned, name):
    with Image.open(cleaned[name].path) as im:
        assert im.n_frames == len(GIF_COLOURS)
        for index, (colour, duration) in enumerate(zip(GIF_COLOURS, GIF_DURATIONS)):
            im.seek(index)
            im.load()
            assert im.info["duration"] == duration
            assert close(im.convert("RGB").getpixel((WIDTH - 4, HEIGHT - 4)), colour)


def test_png_text_time_and_exif_chunks_are_reported(cleaned):
    removed = " | ".join(cleaned["everything.png"].removed)
    assert "text chunk 'Author'" in removed and "modification time" in removed and "GPS position" in removed


def test_a_clean_file_is_private_to_the_service(cleaned):
    assert cleaned["everything.jpg"].path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("icc", [False, True], ids=["fast path", "colour-managed path"])
@pytest.mark.parametrize("orientation", [2, 4, 5, 7])
def test_mirrored_orientations_come_out_upright_too(tmp_path, out_dir, orientation, icc):
    src = tmp_path / f"orientation_{orientation}.jpg"
    src.write_bytes(jpeg_with_everything(orientation, icc=icc))
    result = sanitize_file(src, out_dir, stem="mirrored")
    assert is_upright(result.path), corner_colours(result.path)
