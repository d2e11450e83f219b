import numpy as np
import pytest

from gatekeeper.faces.gallery import MIN_ENROL_SIZE, EnrolmentError, Gallery, template_from_photo
from gatekeeper.faces.plugins import FaceEngine
from tests.unit.gatekeeper.faces.face_fakes import FixedDetector, VectorRecogniser, face_row, unit

PHOTO = np.zeros((400, 400, 3), dtype=np.uint8)
ALICE = unit(1)


def enrol(*rows):
    return template_from_photo(PHOTO, FaceEngine(FixedDetector(list(rows)), VectorRecogniser({0: ALICE})))


def test_one_clear_face_gives_a_template_the_gallery_accepts():
    blob = enrol(face_row(100, 100, 150, 180, 0.95))
    assert len(blob) == 512
    np.testing.assert_allclose(np.frombuffer(blob, np.float32), ALICE)
    assert len(Gallery([(1, blob)])) == 1


def test_a_small_background_face_does_not_spoil_a_reference_photo():
    blob = enrol(face_row(100, 100, 150, 180, 0.95), face_row(10, 10, 30, 30, 0.7))
    assert len(blob) == 512


@pytest.mark.parametrize(
    "rows, code",
    [
        ((), "no_face"),
        ((face_row(0, 0, 150, 180), face_row(200, 0, 120, 150)), "several_faces"),
        ((face_row(0, 0, MIN_ENROL_SIZE - 10, 100),), "too_small"),
        ((face_row(0, 0, 150, 180, 0.65),), "unclear"),
    ],
)
def test_an_unusable_reference_photo_is_refused_with_a_plain_reason(rows, code):
    with pytest.raises(EnrolmentError) as caught:
        enrol(*rows)
    assert caught.value.code == code
    assert str(caught.value).endswith(".")
