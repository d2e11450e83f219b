"""Redaction covers more than the detector's box and leaves nothing of the face."""
from __future__ import annotations

import pytest
from PIL import Image

from gatekeeper.faces.analysis import Box
from gatekeeper.gate.redaction import FILL, RedactionStyle, enlarge, redact


@pytest.mark.parametrize("box, expected", [
    (Box(40, 40, 20, 20), Box(34, 34, 32, 32)),  # grown about its centre
    (Box(0, 0, 20, 20), Box(0, 0, 26, 26)),  # clipped at the top-left corner
    (Box(90, 90, 10, 10), Box(87, 87, 13, 13)),  # clipped at the bottom-right corner
])
def test_boxes_grow_about_their_centre_and_stay_inside_the_picture(box, expected):
    assert enlarge(box, 1.6, 100, 100) == expected


def noisy_picture() -> Image.Image:
    image = Image.new("RGB", (100, 100))
    image.putdata([((x * 7) % 256, (y * 13) % 256, (x * y) % 256) for y in range(100) for x in range(100)])
    return image


def test_a_filled_face_is_one_colour_over_the_enlarged_box():
    result = redact(noisy_picture(), [Box(40, 40, 20, 20)])
    region = result.crop((34, 34, 66, 66))
    assert set(region.get_flattened_data()) == {FILL}
    assert result.getpixel((5, 5)) == noisy_picture().getpixel((5, 5)), "the rest is untouched"


def test_a_pixelated_face_keeps_too_few_blocks_to_recognise():
    result = redact(noisy_picture(), [Box(40, 40, 20, 20)], RedactionStyle.PIXELATE)
    region = result.crop((34, 34, 66, 66))
    assert len(set(region.get_flattened_data())) <= 25


def test_redaction_does_not_change_the_picture_it_was_given():
    original = noisy_picture()
    before = original.tobytes()
    redact(original, [Box(10, 10, 30, 30)])
    assert original.tobytes() == before


def test_an_empty_box_is_skipped():
    original = noisy_picture()
    assert redact(original, [Box(150, 150, 0, 0)]).tobytes() == original.tobytes()
