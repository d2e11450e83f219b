import math

import numpy as np
import pytest

from gatekeeper.faces import geometry
from gatekeeper.faces.geometry import Rect
from tests.unit.gatekeeper.faces.face_fakes import face_row as row


def rows(*items):
    return np.vstack(items) if items else geometry.empty_rows()


def test_empty_rows_have_the_fixed_shape():
    assert geometry.empty_rows().shape == (0, 15)
    assert geometry.as_rows(None).shape == (0, 15)
    assert geometry.as_rows(np.zeros((2, 15))).dtype == np.float32


def test_a_short_side_is_one_span():
    assert geometry.spans(800, 1920, 160) == [(0, 800)]


@pytest.mark.parametrize("length", [1921, 4000, 3000, 6000, 12345])
def test_spans_cover_everything_overlap_and_stay_within_the_tile_size(length):
    pieces = geometry.spans(length, 1920, 160)
    assert pieces[0][0] == 0 and pieces[-1][1] == length
    for (a0, a1), (b0, b1) in zip(pieces, pieces[1:]):
        assert a1 - b0 >= 160
    assert all(b - a <= 1920 for a, b in pieces)


def test_every_small_face_lies_whole_inside_some_tile():
    tiles = geometry.tile_grid(4000, 3000, 1920, 160)
    for x in range(0, 4000 - 150, 37):
        for y in range(0, 3000 - 150, 41):
            assert any(t.x0 <= x and x + 150 <= t.x1 and t.y0 <= y and y + 150 <= t.y1 for t in tiles)


def test_tiles_refuse_an_overlap_as_large_as_the_tile():
    with pytest.raises(ValueError):
        geometry.tile_grid(4000, 3000, 100, 100)


def test_shift_and_scale_move_boxes_and_landmarks_but_not_scores():
    r = rows(row(10, 20, 30, 40, score=0.7))
    shifted = geometry.shift_rows(r, 100, 200)
    assert shifted[0, :4].tolist() == [110, 220, 30, 40]
    assert shifted[0, 4] == pytest.approx(r[0, 4] + 100) and shifted[0, 5] == pytest.approx(r[0, 5] + 200)
    scaled = geometry.scale_rows(r, 2.0)
    assert scaled[0, :4].tolist() == [20, 40, 60, 80]
    assert scaled[0, 14] == pytest.approx(0.7)


def test_faces_cut_by_an_inner_tile_edge_are_dropped_but_not_at_the_image_edge():
    tile = Rect(1000, 0, 2000, 1000)
    found = rows(row(990, 100, 50, 50), row(1500, 500, 50, 50), row(1960, 10, 40, 40), row(1500, 0, 50, 50))
    kept = geometry.drop_cut_faces(found, tile, width=2000, height=3000)
    # left edge is inside the image: cut; right edge is the image's edge: kept; top edge too
    assert sorted(kept[:, 0].tolist()) == [1500, 1500, 1960]


def test_turning_a_point_and_back_returns_it():
    matrix, size = geometry.rotation_for_pass(400, 300, 45.0)
    assert size == (math.ceil(700 / math.sqrt(2)), math.ceil(700 / math.sqrt(2)))
    original = rows(row(100, 80, 40, 40))
    turned = original.copy()
    for lx in (4, 6, 8, 10, 12):
        p = matrix @ np.array([original[0, lx], original[0, lx + 1], 1.0])
        turned[0, lx], turned[0, lx + 1] = p
    centre = matrix @ np.array([120.0, 100.0, 1.0])
    turned[0, :4] = (centre[0] - 20, centre[1] - 20, 40, 40)
    back = geometry.unrotate_rows(turned, matrix)
    np.testing.assert_allclose(back[0, :14], original[0, :14], atol=1e-3)


def test_the_turned_canvas_holds_every_corner_of_the_picture():
    matrix, (w, h) = geometry.rotation_for_pass(640, 480, -45.0, scale=0.5)
    corners = np.array([[0, 0, 1], [640, 0, 1], [0, 480, 1], [640, 480, 1]], dtype=float).T
    mapped = matrix @ corners
    assert mapped[0].min() >= -1 and mapped[0].max() <= w + 1
    assert mapped[1].min() >= -1 and mapped[1].max() <= h + 1


def test_unrotating_nothing_gives_the_empty_shape():
    matrix, _ = geometry.rotation_for_pass(100, 100, 45.0)
    assert geometry.unrotate_rows(geometry.empty_rows(), matrix).shape == (0, 15)


def test_iou_of_identical_disjoint_and_half_overlapping_boxes():
    a = rows(row(0, 0, 10, 10))
    b = rows(row(0, 0, 10, 10), row(20, 20, 10, 10), row(5, 0, 10, 10))
    np.testing.assert_allclose(geometry.iou(a, b)[0], [1.0, 0.0, 50 / 150])


def test_merging_keeps_the_best_of_overlapping_boxes_and_every_separate_face():
    merged = geometry.merge_rows(rows(row(0, 0, 10, 10, 0.7), row(1, 1, 10, 10, 0.9), row(50, 50, 10, 10, 0.8)))
    assert len(merged) == 2
    assert merged[0, 14] == pytest.approx(0.9) and merged[1, 0] == 50


def test_merging_nothing_gives_the_empty_shape():
    assert geometry.merge_rows(geometry.empty_rows()).shape == (0, 15)


def test_clipping_keeps_boxes_inside_the_picture_and_rounds_outward():
    assert geometry.clip_box(row(-5.5, 10.2, 20, 20), 100, 100) == (0, 10, 15, 21)
    assert geometry.clip_box(row(90, 90, 20, 20), 100, 100) == (90, 90, 10, 10)


def test_face_size_is_the_shorter_side():
    assert geometry.face_size(rows(row(0, 0, 30, 40))).tolist() == [30]


def test_a_box_nested_in_a_better_one_is_the_same_face_and_neighbours_are_kept():
    face = row(100, 100, 50, 70, 0.92)
    surroundings = row(60, 60, 150, 190, 0.7)  # a turned pass boxing the face with its surroundings
    neighbour = row(160, 100, 50, 70, 0.9)  # touching, not nested
    merged = geometry.merge_rows(rows(face, surroundings, neighbour))
    assert sorted(merged[:, 0].tolist()) == [100, 160]
