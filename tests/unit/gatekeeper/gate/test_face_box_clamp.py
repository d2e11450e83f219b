"""Face boxes shown to people stay inside the picture, however far the detector's box runs past it."""
from __future__ import annotations

import pytest

from gatekeeper.gate.queue import clamp_box


@pytest.mark.parametrize("box, expected", [
    ((10, 10, 20, 20), (10, 10, 20, 20)),  # inside: unchanged
    ((-8, -5, 30, 30), (0, 0, 22, 25)),  # past the top-left corner
    ((90, 70, 30, 40), (90, 70, 10, 10)),  # past the bottom-right corner
    ((120, 90, 10, 10), (100, 80, 0, 0)),  # wholly outside: nothing to draw
])
def test_a_box_is_cut_to_the_picture(box, expected):
    assert clamp_box(box, 100, 80) == expected
