"""PNG: both encoders (OpenCV for plain 8-bit stills, Pillow for the rest) keep every pixel exactly."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from gatekeeper.media import sanitize_file
from gatekeeper.media.formats import png_fast

SIZE = (61, 37)  # odd sizes catch row-stride mistakes


def _pixels(mode: str) -> Image.Image:
    rng = np.random.default_rng(7)
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65535, SIZE[::-1], dtype=np.uint16))
    bands = len(Image.new(mode, (1, 1)).getbands())
    shape = SIZE[::-1] if bands == 1 else (*SIZE[::-1], bands)
    return Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8).squeeze(), mode=mode if mode != "P" else "L")


def _png_with_text(im: Image.Image, path, **options) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Somebody's Name")
    im.save(path, format="PNG", pnginfo=info, **options)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA", "I;16"])
def test_every_pixel_survives_whichever_encoder_writes_it(tmp_path, mode):
    original = _pixels(mode) if mode != "LA" else _pixels("RGBA").convert("LA")
    _png_with_text(original, tmp_path / "in.png")
    result = sanitize_file(tmp_path / "in.png", tmp_path, stem="clean")
    with Image.open(result.path) as out:
        assert out.size == SIZE and "Author" not in out.info
        assert np.array_equal(np.asarray(out), np.asarray(original)), mode
    assert b"Somebody" not in result.path.read_bytes()


def test_plain_stills_take_the_opencv_path_and_transparency_keys_do_not():
    assert png_fast.encodable(_pixels("RGB")) and png_fast.encodable(_pixels("RGBA"))
    keyed = _pixels("RGB")
    keyed.info["transparency"] = (0, 0, 0)
    assert not png_fast.encodable(keyed)
    assert not png_fast.encodable(_pixels("RGBA").convert("LA"))
    assert not png_fast.encodable(_pixels("RGB").convert("P"))


def test_a_colour_key_survives_on_the_pillow_path(tmp_path):
    im = _pixels("RGB")
    im.putpixel((0, 0), (1, 2, 3))
    _png_with_text(im, tmp_path / "in.png", transparency=(1, 2, 3))
    result = sanitize_file(tmp_path / "in.png", tmp_path, stem="clean")
    with Image.open(result.path) as out:
        assert out.info.get("transparency") == (1, 2, 3)
        assert np.array_equal(np.asarray(out), np.asarray(im))
