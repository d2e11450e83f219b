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


def test_a_track_is_covered_in_every_frame_between_its_sightings_and_one_beyond_each_end():
    from fractions import Fraction

    from gatekeeper.gate.redaction import track_areas

    # Seen at frames 2 and 6 (10 fps) moving right; the detector missed frames 3 to 5.
    areas = track_areas([[(0.2, 10, 10, 20, 20), (0.6, 50, 10, 20, 20)]], Fraction(10), (1.0, 1.0), 200, 100)
    assert sorted(areas) == [1, 2, 3, 4, 5, 6, 7]
    lefts = [areas[f][0].x for f in range(2, 7)]
    assert lefts == sorted(lefts) and lefts[0] < lefts[-1]
    for frame in range(2, 7):
        [box] = areas[frame]
        assert box.width >= 20 * 1.5 and box.height >= 20 * 1.5  # enlarged around the face


def test_track_boxes_are_scaled_into_the_covered_videos_pixels_and_clipped_to_it():
    from fractions import Fraction

    from gatekeeper.gate.redaction import track_areas

    areas = track_areas([[(0.0, 90, 40, 10, 10)]], Fraction(25), (2.0, 2.0), 200, 100)
    [box] = areas[0]
    assert box.x + box.width == 200 and box.y + box.height <= 100  # grown past the edge, then clipped
    assert box.x < 180 < box.x + box.width  # the face's centre (190, 90) after scaling is inside
    assert track_areas([[]], Fraction(25), (1.0, 1.0), 200, 100) == {}
