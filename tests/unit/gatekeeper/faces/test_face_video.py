import av
import cv2
import numpy as np
import pytest

from gatekeeper.faces.analysis import FaceStatus
from gatekeeper.faces.detector import DetectorError
from gatekeeper.faces.gallery import Gallery
from gatekeeper.faces.frames import VideoError, read_frames, upright
from gatekeeper.faces.video import analyse_video
from tests.unit.gatekeeper.faces.face_fakes import FixedDetector, VectorRecogniser, face_row, template, unit

ALICE = unit(1)


def write_video(path, frames, rate=25, rotation=0):
    """frames: upright HxWx3 arrays; stored turned so that the display matrix turns them back."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stored = [np.ascontiguousarray(np.rot90(f, -round(rotation / 90))) for f in frames]
        stream.height, stream.width = stored[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        for image in stored:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def grey(value, shape=(64, 96)):
    return np.full(shape + (3,), value, dtype=np.uint8)


@pytest.mark.parametrize("rate", [25, 30, 60, 120])
def test_every_frame_is_read_in_presentation_order_with_its_time(tmp_path, rate):
    path = write_video(tmp_path / f"steady_{rate}.mp4", [grey(i * 2) for i in range(rate)], rate=rate)
    frames = list(read_frames(path))
    assert [f.index for f in frames] == list(range(rate))
    assert [round(f.time * rate) for f in frames] == list(range(rate))
    # Presentation order, not decoding order: the grey level rises frame by frame.
    levels = [int(f.image.mean()) for f in frames]
    assert levels == sorted(levels)


def test_a_reader_stopped_early_stops_its_decoding_thread(tmp_path):
    import threading

    path = write_video(tmp_path / "long.mp4", [grey(100)] * 60)
    frames = read_frames(path)
    next(frames)
    frames.close()
    assert not any(t.name == "video-decode" and t.is_alive() for t in threading.enumerate())


def test_the_display_rotation_is_applied_to_sampled_frames(tmp_path):
    frame = grey(0, (64, 96))
    frame[:8, :8] = 255  # a bright corner, top left when upright
    path = write_video(tmp_path / "rotation_90.mp4", [frame] * 3, rotation=90)
    sample = next(iter(read_frames(path)))
    assert sample.image.shape[:2] == (64, 96)
    assert sample.image[:8, :8].mean() > 200 and sample.image[-8:, -8:].mean() < 50


@pytest.mark.parametrize("rotation, expected", [(0, (2, 3)), (90, (3, 2)), (-90, (3, 2)), (180, (2, 3))])
def test_upright_turns_by_quarter_turns(rotation, expected):
    assert upright(np.zeros((2, 3, 3)), rotation).shape[:2] == expected


def test_a_file_that_is_not_a_video_raises_a_video_error(tmp_path):
    path = tmp_path / "fake.mp4"
    path.write_bytes(b"\0\0\0\x18ftypisom" + b"junk" * 100)
    with pytest.raises(VideoError):
        list(read_frames(path))


def test_a_video_with_a_known_face_gives_one_identified_track_with_its_times(tmp_path):
    path = write_video(tmp_path / "one_face.mp4", [grey(100)] * 25)
    analysis = analyse_video(path, detector=FixedDetector([face_row(10, 10, 40, 40)]),
                             recogniser=VectorRecogniser({0: ALICE}), gallery=Gallery([(7, template(ALICE))]))
    assert not analysis.failed
    [face] = analysis.faces
    assert face.status is FaceStatus.IDENTIFIED and face.person_id == 7
    assert face.track == 0 and face.frame_time in face.times
    assert face.times == tuple(round(i / 25, 3) for i in range(25))  # every frame, to the ms
    assert (face.first_time, face.last_time) == (0.0, 0.96)
    assert analysis.duration == pytest.approx(0.96)


def test_an_unknown_face_in_a_video_is_reported_with_the_times_it_was_seen(tmp_path):
    path = write_video(tmp_path / "stranger.mp4", [grey(100)] * 25)
    analysis = analyse_video(path, detector=FixedDetector([face_row(10, 10, 40, 40)]),
                             recogniser=VectorRecogniser({0: unit(5)}), gallery=Gallery([(7, template(ALICE))]))
    [face] = analysis.faces
    assert face.status is FaceStatus.UNKNOWN and face.times[0] == 0.0


def test_a_video_without_faces_gives_an_empty_tuple(tmp_path):
    path = write_video(tmp_path / "empty.mp4", [grey(100)] * 5)
    analysis = analyse_video(path, detector=FixedDetector(), recogniser=VectorRecogniser({0: ALICE}), gallery=Gallery())
    assert analysis.faces == () and not analysis.failed


def test_a_detector_failure_in_any_frame_fails_the_whole_video(tmp_path):
    path = write_video(tmp_path / "any.mp4", [grey(100)] * 5)
    analysis = analyse_video(path, detector=FixedDetector(error=DetectorError("no model")),
                             recogniser=VectorRecogniser({0: ALICE}), gallery=Gallery())
    assert analysis.failed and analysis.error == "no model"


def test_a_truncated_video_fails_rather_than_clearing_the_frames_it_could_not_read(tmp_path):
    path = write_video(tmp_path / "whole.mp4", [grey(i * 9 % 255) for i in range(50)])
    cut = tmp_path / "truncated.mp4"
    cut.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 3])
    analysis = analyse_video(cut, detector=FixedDetector(), recogniser=VectorRecogniser({0: ALICE}), gallery=Gallery())
    assert analysis.failed


def test_a_video_cut_short_after_its_index_fails_rather_than_clearing_the_missing_part(tmp_path):
    path = tmp_path / "faststart.mp4"
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=25)
        stream.height, stream.width, stream.pix_fmt = 64, 96, "yuv420p"
        for i in range(100):
            noisy = np.random.default_rng(i).integers(0, 255, (64, 96, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(noisy, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = path.read_bytes()
    cut = tmp_path / "cut_short.mp4"
    cut.write_bytes(data[: len(data) // 2])
    analysis = analyse_video(cut, detector=FixedDetector(), recogniser=VectorRecogniser({0: ALICE}), gallery=Gallery())
    assert analysis.failed
    assert "cut short" in analysis.error or "cannot be decoded" in analysis.error


class _FakeFrame:
    def __init__(self, time):
        self.time, self.rotation = time, 0

    def to_ndarray(self, format):
        return np.zeros((4, 4, 3), np.uint8)


class _FakeStream:
    average_rate, duration, time_base = 25, None, None


class _FakeContainer:
    duration = None

    def __init__(self, times):
        self.times = times

    def decode(self, stream):
        return iter(_FakeFrame(t) for t in self.times)


def test_frames_whose_times_go_backwards_are_refused_as_out_of_order():
    from gatekeeper.faces.frames import _frames_of

    with pytest.raises(VideoError, match="out of order"):
        list(_frames_of(_FakeContainer([0.0, 0.04, 0.04]), _FakeStream()))


def test_a_decoding_error_on_the_reader_thread_reaches_the_caller(tmp_path):
    path = tmp_path / "missing.mp4"
    with pytest.raises(VideoError):
        list(read_frames(path))


def test_a_recogniser_failure_when_the_tracker_asks_for_features_fails_the_whole_video(tmp_path):
    from gatekeeper.faces.recogniser import RecogniserError

    path = write_video(tmp_path / "any.mp4", [grey(100)] * 5)
    analysis = analyse_video(path, detector=FixedDetector([face_row(10, 10, 40, 40)]),
                             recogniser=VectorRecogniser(error=RecogniserError("SFace failed")),
                             gallery=Gallery([(7, template(ALICE))]))
    assert analysis.failed and analysis.error == "SFace failed"


def test_features_are_computed_on_few_frames_of_a_steady_face(tmp_path):
    texture = cv2.resize(np.random.default_rng(3).integers(0, 255, (8, 12, 3), dtype=np.uint8), (96, 64))
    path = write_video(tmp_path / "steady_face.mp4", [texture] * 50)
    recogniser = VectorRecogniser({0: ALICE})
    analysis = analyse_video(path, detector=FixedDetector([face_row(10, 10, 40, 40)]), recogniser=recogniser,
                             gallery=Gallery([(7, template(ALICE))]))
    [face] = analysis.faces
    assert len(face.times) == 50 and face.status is FaceStatus.IDENTIFIED
    assert recogniser.calls <= 50 // 8 + 2


class _CountingDetector(FixedDetector):
    """A detector that says which frame it saw, and counts the twins made for other threads."""

    def __init__(self, fail_at=None):
        super().__init__([])
        self.twins = 0
        self.fail_at = fail_at

    def twin(self):
        self.twins += 1
        return self

    def detect(self, image, plan=None):
        level = int(image[0, 0, 0])
        if level == self.fail_at:
            raise DetectorError("the model failed on this frame")
        return np.full((1, 15), level, dtype=np.float32)


def _frames(count):
    from gatekeeper.faces.frames import Frame

    return [Frame(i, i / 25, grey(i)) for i in range(count)]


def test_frames_detected_on_two_threads_come_back_in_order_each_with_its_own_rows():
    from gatekeeper.faces.video import detected_frames

    detector = _CountingDetector()
    results = list(detected_frames(iter(_frames(40)), detector, workers=2))
    assert [frame.index for frame, _ in results] == list(range(40))
    assert [int(rows[0, 0]) for _, rows in results] == list(range(40))
    assert 1 <= detector.twins <= 2  # one per worker thread, made once, never one per frame


def test_a_detector_failure_on_a_worker_thread_reaches_the_analysis():
    from gatekeeper.faces.video import detected_frames

    with pytest.raises(DetectorError):
        list(detected_frames(iter(_frames(20)), _CountingDetector(fail_at=7), workers=2))
