import dataclasses

import numpy as np
import pytest
from PIL import Image

from gatekeeper.faces.analysis import Analysis, FaceStatus
from gatekeeper.faces.detector import DetectorError
from gatekeeper.faces.engine import CHILDREN_CAVEAT, PictureError, analyse_image, analyse_photo, load_picture
from gatekeeper.faces.gallery import Gallery
from gatekeeper.faces.null_detector import NullDetector
from gatekeeper.faces.recogniser import RecogniserError
from tests.unit.gatekeeper.faces.face_fakes import (
    FixedDetector, VectorRecogniser, at_distance, face_row, template, unit,
)

ALICE = unit(1)
PICTURE = np.zeros((200, 300, 3), dtype=np.uint8)


def run(detector, recogniser=None, gallery=None, image=PICTURE) -> Analysis:
    return analyse_image(image, detector=detector, recogniser=recogniser or VectorRecogniser({0: ALICE}),
                         gallery=gallery if gallery is not None else Gallery([(1, template(ALICE))]))


def test_a_picture_without_faces_gives_an_empty_tuple_not_none_and_is_not_failed():
    analysis = run(FixedDetector())
    assert analysis.faces == ()
    assert not analysis.failed and analysis.error is None
    assert (analysis.width, analysis.height) == (300, 200)


def test_each_face_carries_box_score_status_person_distance_margin_and_reason():
    recogniser = VectorRecogniser({10: at_distance(ALICE, 0.1), 150: unit(5)})
    analysis = run(FixedDetector([face_row(10, 20, 50, 60, 0.91), face_row(150, 20, 50, 60, 0.8)]), recogniser)
    alice, stranger = analysis.faces
    assert alice.status is FaceStatus.IDENTIFIED and alice.person_id == 1
    assert (alice.box.x, alice.box.y, alice.box.width, alice.box.height) == (10, 20, 50, 60)
    assert alice.score == pytest.approx(0.91) and alice.distance == pytest.approx(0.1, abs=1e-3)
    assert stranger.status is FaceStatus.UNKNOWN and stranger.person_id is None and stranger.reason
    assert analysis.engine == "fixed+vectors"
    assert CHILDREN_CAVEAT in analysis.notes


def test_the_result_holds_no_feature_vectors():
    analysis = run(FixedDetector([face_row(10, 20, 50, 60)]))
    values = [v for face in analysis.faces for v in dataclasses.asdict(face).values()]
    assert not any(isinstance(v, (np.ndarray, bytes)) for v in values)
    assert all(isinstance(v, (int, float, str, tuple, dict, type(None))) for v in values)


def test_with_nobody_enrolled_no_features_are_computed_and_every_face_is_unknown():
    recogniser = VectorRecogniser({0: ALICE})
    analysis = run(FixedDetector([face_row(10, 20, 50, 60)]), recogniser, gallery=Gallery())
    assert recogniser.calls == 0
    assert analysis.faces[0].status is FaceStatus.UNKNOWN
    assert any("Nobody is enrolled" in note for note in analysis.notes)


def test_small_faces_are_not_described_and_are_held_as_uncertain():
    recogniser = VectorRecogniser({0: ALICE})
    analysis = run(FixedDetector([face_row(10, 20, 12, 14)]), recogniser)
    assert recogniser.calls == 0
    assert analysis.faces[0].status is FaceStatus.UNCERTAIN


def test_a_detector_error_fails_the_analysis_instead_of_reporting_no_faces():
    analysis = run(FixedDetector(error=DetectorError("the model broke")))
    assert analysis.failed and analysis.error == "the model broke" and analysis.faces == ()


def test_a_recogniser_error_fails_the_analysis():
    analysis = run(FixedDetector([face_row(10, 20, 50, 60)]), VectorRecogniser(error=RecogniserError("bad face")))
    assert analysis.failed and "bad face" in analysis.error


def test_an_unexpected_crash_fails_the_analysis_rather_than_clearing_it():
    analysis = run(FixedDetector(error=ZeroDivisionError("boom")))
    assert analysis.failed and "crashed" in analysis.error


def test_the_null_detector_makes_every_picture_need_identification_by_hand():
    analysis = run(NullDetector())
    assert analysis.failed and "by hand" in analysis.error


def test_a_photo_file_is_decoded_upright_and_analysed(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("RGB", (300, 200), "white").save(path)
    detector = FixedDetector([face_row(10, 20, 50, 60)])
    analysis = analyse_photo(path, detector=detector, recogniser=VectorRecogniser({0: ALICE}),
                             gallery=Gallery([(1, template(ALICE))]))
    assert not analysis.failed and len(analysis.faces) == 1
    assert detector.seen == [(200, 300)]


def test_exif_orientation_is_applied_before_looking_for_faces(tmp_path):
    path = tmp_path / "orientation_6.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (300, 200), "white").save(path, exif=exif)
    assert load_picture(path).shape == (300, 200, 3)


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "RGBA", "LA"])
def test_every_mode_decodes_to_the_pixels_pillow_shows_as_bgr(tmp_path, mode):
    noise = np.random.default_rng(5).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    picture = Image.fromarray(noise).convert(mode)
    picture.save(tmp_path / "noise.png")
    expected = np.asarray(picture.convert("RGB"))[:, :, ::-1]
    decoded = load_picture(tmp_path / "noise.png")
    assert decoded.flags["C_CONTIGUOUS"] and np.array_equal(decoded, expected)


def test_a_turned_photo_keeps_its_pixels_in_their_turned_places(tmp_path):
    noise = np.random.default_rng(6).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 8  # shown turned 90 degrees anticlockwise
    Image.fromarray(noise).save(tmp_path / "turned.png", exif=exif)
    assert np.array_equal(load_picture(tmp_path / "turned.png"), np.rot90(noise, 1)[:, :, ::-1])


def test_a_truncated_photo_fails_with_a_reason(tmp_path):
    path = tmp_path / "truncated.jpg"
    Image.new("RGB", (300, 200), "white").save(path)
    path.write_bytes(path.read_bytes()[:100])
    analysis = analyse_photo(path, detector=FixedDetector(), recogniser=VectorRecogniser({0: ALICE}), gallery=Gallery())
    assert analysis.failed and "cannot be decoded" in analysis.error


def test_a_file_that_is_not_a_picture_fails(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    analysis = analyse_photo(path, detector=FixedDetector(), recogniser=VectorRecogniser({0: ALICE}), gallery=Gallery())
    assert analysis.failed


def test_a_missing_file_fails(tmp_path):
    analysis = analyse_photo(tmp_path / "gone.jpg", detector=FixedDetector(),
                             recogniser=VectorRecogniser({0: ALICE}), gallery=Gallery())
    assert analysis.failed and "does not exist" in analysis.error


def test_an_animated_picture_is_refused_rather_than_half_checked(tmp_path):
    path = tmp_path / "two_frames.gif"
    frames = [Image.new("RGB", (20, 20), c) for c in ("red", "blue")]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(PictureError, match="2 frames"):
        load_picture(path)


def test_a_decompression_bomb_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("RGB", (400, 400), "white").save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(PictureError, match="too large"):
        load_picture(path)
