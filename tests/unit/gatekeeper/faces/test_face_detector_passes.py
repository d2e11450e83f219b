import cv2
import numpy as np
import pytest

from gatekeeper.faces.detector import ENROL_PLAN, DetectorError
from gatekeeper.faces.null_detector import NullDetector
from tests.unit.gatekeeper.faces.face_fakes import BlobDetector


def canvas(width, height, squares):
    image = np.zeros((height, width, 3), dtype=np.uint8)
    for x, y, size in squares:
        image[y:y + size, x:x + size] = 255
    return image


def centres(rows):
    return sorted((round(float(r[0] + r[2] / 2)), round(float(r[1] + r[3] / 2))) for r in rows)


def test_a_small_face_in_a_large_picture_is_found_once_where_it_is():
    found = BlobDetector().detect(canvas(4000, 3000, [(3000, 2500, 24)]))
    assert len(found) == 1
    assert found[0, 0] == pytest.approx(3000, abs=2) and found[0, 2] == pytest.approx(24, abs=2)


def test_a_face_on_a_tile_border_is_found_once():
    detector = BlobDetector()
    # 4000 px wide: tiles [0, 1440), [1280, 2720), [2560, 4000); these faces cross tile edges
    found = detector.detect(canvas(4000, 3000, [(1420, 200, 40), (2700, 1400, 60)]))
    assert centres(found) == [(1440, 220), (2730, 1430)]


def test_a_face_larger_than_the_overlap_is_found_by_the_downscaled_pass():
    found = BlobDetector().detect(canvas(4000, 3000, [(1100, 1100, 700)]))
    assert len(found) == 1
    assert found[0, 2] == pytest.approx(700, rel=0.03)


def test_small_pictures_are_one_pass_a_degraded_pass_and_the_turned_passes():
    detector = BlobDetector()
    detector.detect(canvas(640, 480, [(100, 100, 40)]))
    assert len(detector.passes) == 4
    assert detector.passes[:2] == [(480, 640), (240, 320)]


def test_enrolment_makes_no_degraded_pass():
    detector = BlobDetector()
    detector.detect(canvas(640, 480, [(100, 100, 40)]), plan=ENROL_PLAN)
    assert (240, 320) not in detector.passes and len(detector.passes) == 3


def dim_square() -> np.ndarray:
    # Grey 125 on 90: under the fake model's bar of 128, until the degraded pass evens the contrast out.
    image = np.full((480, 640, 3), 90, dtype=np.uint8)
    image[200:260, 300:360] = 125
    return image


def test_the_degraded_pass_finds_a_face_the_plain_passes_do_not_see():
    found = BlobDetector().detect(dim_square())
    assert len(found) == 1
    assert (found[0, 0], found[0, 1], found[0, 2]) == (pytest.approx(300, abs=4), pytest.approx(200, abs=4),
                                                       pytest.approx(60, abs=6))


def test_a_face_the_plain_passes_found_keeps_their_box():
    image = canvas(640, 480, [(301, 203, 57)])
    plain = BlobDetector().detect(image, plan=ENROL_PLAN)
    both = BlobDetector().detect(image)
    assert len(both) == 1 and np.array_equal(both, plain)


class UnsureBlobs(BlobDetector):
    def detect_once(self, image_bgr):
        rows = super().detect_once(image_bgr)
        rows[:, 14] = 0.7
        return rows


def test_the_degraded_pass_keeps_only_confident_faces():
    assert len(UnsureBlobs().detect(dim_square())) == 0
    assert len(UnsureBlobs().detect(canvas(640, 480, [(300, 200, 60)]))) == 1, "the plain passes keep the model's bar"


def test_large_pictures_are_tiled_at_full_resolution():
    detector = BlobDetector()
    detector.detect(canvas(4000, 3000, []))
    tiles = [p for p in detector.passes if max(p) <= 1920 and p != (768, 1024)]
    assert len(tiles) >= 6
    assert (768, 1024) in detector.passes  # the downscaled pass


def test_turned_passes_stay_within_their_pixel_budget():
    detector = BlobDetector()
    detector.detect(canvas(4000, 3000, []))
    turned = detector.passes[-2:]
    assert all(h * w <= detector.plan.turned_pixels * 1.01 for h, w in turned)


def test_a_face_seen_by_several_passes_is_reported_once():
    found = BlobDetector().detect(canvas(800, 600, [(300, 200, 80)]))
    assert len(found) == 1


def test_nothing_found_is_an_empty_array_of_fixed_shape():
    found = BlobDetector().detect(canvas(4000, 3000, []))
    assert found.shape == (0, 15) and found.dtype == np.float32


def test_a_face_tilted_45_degrees_maps_back_to_where_it_is():
    detector = BlobDetector()
    image = np.zeros((600, 800, 3), dtype=np.uint8)
    box = cv2.boxPoints(((400.0, 300.0), (60.0, 60.0), 45.0)).astype(np.int32)
    cv2.fillPoly(image, [box], (255, 255, 255))
    found = detector.detect(image)
    assert len(found) == 1
    cx, cy = found[0, 0] + found[0, 2] / 2, found[0, 1] + found[0, 3] / 2
    assert (cx, cy) == (pytest.approx(400, abs=3), pytest.approx(300, abs=3))


@pytest.mark.parametrize("bad", [np.zeros((10, 10), np.uint8), np.zeros((0, 0, 3), np.uint8), np.zeros((5, 5, 4), np.uint8)])
def test_a_picture_that_is_not_colour_is_refused(bad):
    with pytest.raises(DetectorError):
        BlobDetector().detect(bad)


def test_the_null_detector_never_says_there_are_no_faces():
    with pytest.raises(DetectorError, match="by hand"):
        NullDetector().detect(canvas(100, 100, []))
    with pytest.raises(DetectorError):
        NullDetector().detect_once(canvas(100, 100, []))
