import numpy as np
import pytest

from gatekeeper.faces.appearance import SIDE, _similarity, change, signature
from tests.unit.gatekeeper.faces.face_fakes import face_row


def textured(seed=0, shape=(200, 200)):
    return np.random.default_rng(seed).integers(0, 255, shape + (3,), dtype=np.uint8)


def test_a_signature_is_a_unit_vector_of_fixed_length_and_the_same_face_does_not_change():
    image = textured()
    row = face_row(60, 60, 50, 50)
    first, again = signature(image, row), signature(image.copy(), row)
    assert first.shape == (SIDE * SIDE,) and np.linalg.norm(first) == pytest.approx(1.0, abs=1e-5)
    assert change(first, again) == pytest.approx(0.0, abs=1e-6)


def test_a_different_face_in_the_same_place_changes_the_signature():
    row = face_row(60, 60, 50, 50)
    assert change(signature(textured(0), row), signature(textured(1), row)) > 0.5


def test_a_flat_patch_has_no_look_so_anything_counts_as_a_change():
    flat = np.full((200, 200, 3), 90, dtype=np.uint8)
    row = face_row(60, 60, 50, 50)
    assert change(signature(flat, row), signature(flat, row)) == 1.0


@pytest.mark.parametrize("row", [face_row(-30, -30, 40, 40), face_row(190, 190, 40, 40), face_row(50, 50, 1, 1)])
def test_faces_at_or_past_the_edge_of_the_picture_still_give_a_signature(row):
    assert signature(textured(), row).shape == (SIDE * SIDE,)


def test_the_similarity_transform_maps_points_that_were_turned_scaled_and_moved():
    source = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [5.0, 7.0]])
    turn = np.array([[0.0, -2.0], [2.0, 0.0]])  # 90 degrees, twice the size
    target = source @ turn.T + [3.0, 4.0]
    matrix = _similarity(source, target)
    np.testing.assert_allclose(source @ matrix[:, :2].T + matrix[:, 2], target, atol=1e-9)
