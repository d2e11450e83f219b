"""A still rendition shows what a viewer sees on a white page, whatever channel hides it."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gatekeeper.media.base import Kind
from gatekeeper.media.rendition import Rendition, output_kind, render, verify_rendition
from tests.media_checks import is_upright
from tests.media_factory import stored_for


@pytest.fixture(scope="module")
def face(faces_dir) -> np.ndarray:
    """A real face as a 256x256 greyscale array."""
    path = sorted((faces_dir / "identities").glob("*/*.jpg"))[0]
    with Image.open(path) as im:
        return np.asarray(im.convert("L").resize((256, 256), Image.Resampling.LANCZOS))


def rendered(tmp_path, im: Image.Image, fmt: str = "PNG", **options) -> tuple[Rendition, np.ndarray]:
    src = tmp_path / f"source.{fmt.lower()}"
    im.save(src, format=fmt, **options)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    rendition = render(src, out)
    verify_rendition(rendition.path, Kind.PHOTO)
    with Image.open(rendition.path) as result:
        return rendition, np.asarray(result.convert("RGB")).astype(int)


def on_white(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Compositing by hand: what a browser shows over a white page."""
    a = alpha.astype(float)[..., None] / 255
    return np.rint(colour.astype(float) * a + 255 * (1 - a))


def mean_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(float) - b.astype(float)).mean())


def test_a_face_carried_only_by_alpha_shows_in_the_rendition(tmp_path, face):
    colour = np.zeros((256, 256, 3), np.uint8)
    rendition, pixels = rendered(tmp_path, Image.fromarray(np.dstack([colour, face]), "RGBA"))
    expected = on_white(colour, face)
    assert mean_error(pixels, expected) < 3
    assert pixels.std() > 20, "the face must be visible, not a flat picture"
    assert "transparency flattened onto white" in rendition.notes


def test_rgb_showing_one_picture_and_the_page_another_renders_what_the_page_shows(tmp_path, face):
    # The colour channels hold a checkerboard; the alpha turns the page into the face.
    board = (np.indices((256, 256)).sum(0) // 16 % 2 * 200).astype(np.uint8)
    colour = np.dstack([board] * 3)
    alpha = np.clip(255 - face.astype(int), 0, 255).astype(np.uint8)
    _, pixels = rendered(tmp_path, Image.fromarray(np.dstack([colour, alpha]), "RGBA"))
    assert mean_error(pixels, on_white(colour, alpha)) < 3
    assert mean_error(pixels, colour) > 30


def test_a_greyscale_picture_with_alpha_is_composited(tmp_path, face):
    grey = np.full((256, 256), 40, np.uint8)
    _, pixels = rendered(tmp_path, Image.fromarray(np.dstack([grey, face]), "LA"))
    assert mean_error(pixels, on_white(np.dstack([grey] * 3), face)) < 3


def test_a_lossless_webp_with_alpha_is_composited(tmp_path, face):
    colour = np.zeros((256, 256, 3), np.uint8)
    _, pixels = rendered(tmp_path, Image.fromarray(np.dstack([colour, face]), "RGBA"), "WEBP", lossless=True)
    assert mean_error(pixels, on_white(colour, face)) < 3


def test_a_16_bit_greyscale_png_is_scaled_not_clipped_to_white(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (64, 1))
    _, pixels = rendered(tmp_path, Image.fromarray(ramp))
    expected = np.rint(ramp / 257.0)
    assert mean_error(pixels[..., 0], expected) < 2
    assert pixels.mean() < 160, "a clipped picture would be almost all white"


def test_palette_transparency_is_composited(tmp_path):
    palette = Image.new("P", (64, 64), 0)
    palette.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    palette.paste(1, (0, 0, 32, 64))
    _, pixels = rendered(tmp_path, palette, transparency=bytes([0, 255]))
    assert np.abs(pixels[:, 40:, :] - 255).max() < 8, "index 0 is fully transparent: white"
    assert np.abs(pixels[:, :24, :] - [200, 30, 30]).max() < 12


def test_a_colour_keyed_rgb_png_is_composited(tmp_path):
    im = Image.new("RGB", (64, 64), (10, 20, 30))
    im.paste((200, 200, 0), (0, 0, 32, 64))
    _, pixels = rendered(tmp_path, im, transparency=(10, 20, 30))
    assert np.abs(pixels[:, 40:, :] - 255).max() < 8


def test_the_long_side_is_capped_with_an_antialiasing_filter(tmp_path):
    stripes = (np.indices((1000, 3000))[1] % 2 * 255).astype(np.uint8)  # one-pixel stripes
    rendition, pixels = rendered(tmp_path, Image.fromarray(stripes, "L"))
    assert (rendition.width, rendition.height) == (2048, 683)
    assert abs(pixels.mean() - 127.5) < 10 and pixels.std() < 40, "stripes average out, never alias"


def test_a_small_picture_is_not_enlarged(tmp_path):
    rendition, _ = rendered(tmp_path, Image.new("RGB", (300, 200), "navy"))
    assert (rendition.width, rendition.height) == (300, 200)


def test_exif_orientation_is_honoured(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    rendition, _ = rendered(tmp_path, stored_for(6), "JPEG", exif=exif.tobytes(), quality=95)
    assert is_upright(rendition.path)
    assert "turned upright" in rendition.notes


def test_a_still_is_a_photo_and_its_rendition_a_bare_jpeg(tmp_path):
    src = tmp_path / "in.png"
    Image.new("RGB", (40, 30), "teal").save(src)
    assert output_kind(src) is Kind.PHOTO
    rendition = render(src, tmp_path, stem="item-1")
    assert rendition.path == tmp_path / "item-1.jpg"
    assert (rendition.kind, rendition.mime, rendition.extension) == (Kind.PHOTO, "image/jpeg", "jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png", "item-1.jpg"]


def test_a_large_jpeg_is_scaled_in_the_decoder_to_within_five_per_cent_of_the_long_side(tmp_path):
    rendition, pixels = rendered(tmp_path, Image.new("RGB", (4000, 300), "maroon"), "JPEG", quality=90)
    assert 0.95 * 2048 <= rendition.width <= 2048 and rendition.width == pixels.shape[1]
