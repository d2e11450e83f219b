"""Refusals: one plain sentence, and nothing left behind."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from gatekeeper.media import Limits, Refused, sanitize_file
from gatekeeper.media.formats.jpeg import JpegHandler

HOSTILE = {
    "zero_bytes.jpg": "The file is empty.",
    "truncated.jpg": "truncated or corrupt",
    "truncated_in_scan.jpg": "truncated or corrupt",
    "truncated.png": "truncated or corrupt",
    "truncated.gif": "truncated or corrupt",
    "truncated.webp": "truncated or corrupt",
    "truncated.heic": "truncated or corrupt",
    "truncated.mp4": "truncated or corrupt",
    "corrupt_checksum.png": "checksum mismatch",
    "decompression_bomb.png": "too large to decode safely",
    "decompression_bomb.gif": "too large to decode safely",
    "declares_30000x30000.jpg": "too large to decode safely",
    "svg_named.jpg": "SVG, HTML or script",
    "html_named.png": "SVG, HTML or script",
    "shell_script.gif": "SVG, HTML or script",
    "jpeg_with_script_comment.jpg": "also HTML or script (a polyglot)",
    "jpeg_then_zip.jpg": "also ZIP archive (a polyglot)",
    "pdf_in_png.png": "also PDF (a polyglot)",
    "random_bytes.jpg": "not a photo or video in a format this service accepts",
    "avif_brand.heic": "not a photo or video in a format this service accepts",
    "tiff_image.jpg": "not a photo or video in a format this service accepts",
}


def _one_sentence(reason: str) -> bool:
    return reason[0].isupper() and reason.endswith(".") and "\n" not in reason


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_or_broken_file_is_refused_with_a_reason_and_leaves_nothing(corpus, out_dir, name):
    with pytest.raises(Refused) as caught:
        sanitize_file(corpus[name], out_dir, stem="item")
    assert HOSTILE[name] in caught.value.reason
    assert _one_sentence(caught.value.reason)
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("limits, words", [
    (Limits(max_bytes=1000), "over the limit of"),
    (Limits(max_photo_bytes=1000), "The photo is"),
    (Limits(max_pixels=1000), "too large to decode safely"),
])
def test_a_photo_over_a_limit_is_refused(corpus, out_dir, limits, words):
    with pytest.raises(Refused) as caught:
        sanitize_file(corpus["everything.jpg"], out_dir, limits, stem="item")
    assert words in caught.value.reason
    assert list(out_dir.iterdir()) == []


def test_a_missing_file_is_refused(out_dir, tmp_path):
    with pytest.raises(Refused, match="cannot be read"):
        sanitize_file(tmp_path / "nowhere.jpg", out_dir, stem="item")


def test_a_crash_inside_a_decoder_refuses_the_item_and_leaves_nothing(corpus, out_dir, monkeypatch):
    def explode(self, data, src, dst, limits):
        dst.write_bytes(b"half a file")
        raise IndexError("decoder bug")

    monkeypatch.setattr(JpegHandler, "clean", explode)
    with pytest.raises(Refused, match="could not be processed safely"):
        sanitize_file(corpus["everything.jpg"], out_dir, stem="item")
    assert list(out_dir.iterdir()) == []


def test_pillow_repair_mode_is_never_trusted(corpus, out_dir, monkeypatch):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(Refused, match="misconfigured"):
        sanitize_file(corpus["everything.png"], out_dir, stem="item")
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("stem", ["", "../escape", "a/b", ".hidden"])
def test_an_output_stem_that_is_not_a_plain_name_is_a_programming_error(corpus, out_dir, stem):
    with pytest.raises(ValueError):
        sanitize_file(corpus["everything.jpg"], out_dir, stem=stem)


def _gif_with_screen(screen: int, frame_side: int, frames: int) -> bytes:
    """An animated GIF whose frames are frame_side square while its logical screen says `screen`."""
    pictures = [Image.new("P", (frame_side, frame_side), n % 2) for n in range(frames)]
    for picture in pictures:
        picture.putpalette([0, 0, 0, 255, 255, 255])
    out = io.BytesIO()
    pictures[0].save(out, format="GIF", save_all=True, append_images=pictures[1:], duration=100, optimize=False)
    data = bytearray(out.getvalue())
    data[6:10] = screen.to_bytes(2, "little") * 2
    return bytes(data)


def test_a_gif_whose_frames_outgrow_its_logical_screen_counts_the_frames_pixels(out_dir, tmp_path):
    # Decoders grow the canvas to each frame: a tiny screen must not hide frames of millions of pixels.
    src = tmp_path / "small_screen.gif"
    src.write_bytes(_gif_with_screen(8, 200, 3))
    with pytest.raises(Refused, match="too large to decode safely"):
        sanitize_file(src, out_dir, Limits(max_pixels=100_000), stem="item")
    assert list(out_dir.iterdir()) == []
    # The same frames within the limit are accepted, at the size they are drawn.
    clean = sanitize_file(src, out_dir, Limits(max_pixels=120_000), stem="item")
    assert (clean.width, clean.height) == (200, 200)
