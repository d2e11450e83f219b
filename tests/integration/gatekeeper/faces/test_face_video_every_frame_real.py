"""Rendition-like videos (H.264, yuv420p, 640x360) with real faces: flashes and look-alike handovers."""
import av
import cv2
import numpy as np
import pytest

from gatekeeper.faces.analysis import FaceStatus
from gatekeeper.faces.gallery import Gallery, template_from_photo
from gatekeeper.faces.video import analyse_video

pytestmark = pytest.mark.slow

WIDTH, HEIGHT = 640, 360
KNOWN_AT = (60, 100)  # top-left of the consented person's 120x150 crop
OTHER_AT = (420, 140)  # where a stranger flashes beside them


def write_rendition(path, frames, rate):
    """Frames (BGR) as a rendition would be: H.264, yuv420p, constant rate."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast"}
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def background(width=WIDTH, height=HEIGHT):
    rng = np.random.default_rng(4)
    return cv2.resize(rng.integers(70, 170, (18, 32, 3), dtype=np.uint8), (width, height), interpolation=cv2.INTER_CUBIC)


def put(frame, crop, at, alpha=1.0):
    x, y = at
    h, w = crop.shape[:2]
    region = frame[y:y + h, x:x + w]
    frame[y:y + h, x:x + w] = (alpha * crop + (1 - alpha) * region).astype(np.uint8)


def frame_times(first, count, rate):
    return {round((first + i) / rate, 3) for i in range(count)}


@pytest.fixture(scope="module")
def people(picture):
    obama = picture("identities/barack_obama/fr_obama.jpg")
    return {
        "obama_photo": obama,
        "obama": cv2.resize(obama[40:720, 250:850], (120, 150), interpolation=cv2.INTER_AREA),
        # A stranger at about 40 px: small, but a face anyone would see.
        "stranger": cv2.resize(picture("identities/joe_biden/fr_biden.jpg")[100:650, 350:780], (64, 80),
                               interpolation=cv2.INTER_AREA),
        "biden": cv2.resize(picture("identities/joe_biden/fr_biden.jpg")[100:650, 350:780], (120, 150),
                            interpolation=cv2.INTER_AREA),
        "downey": cv2.resize(picture("identities/robert_downey_jr/insight_d1.jpeg")[100:1300, 0:1000], (120, 150),
                             interpolation=cv2.INTER_AREA),
    }


@pytest.fixture(scope="module")
def gallery(engine, people):
    return Gallery([(1, template_from_photo(people["obama_photo"], engine))])


def analyse(path, engine, gallery):
    analysis = analyse_video(path, detector=engine.detector, recogniser=engine.recogniser, gallery=gallery)
    assert not analysis.failed, analysis.error
    return analysis


@pytest.mark.parametrize("rate", [25, 30, 60, 120])
@pytest.mark.parametrize("shown", [1, 3, 6])
@pytest.mark.parametrize("beside_known", [False, True], ids=["alone", "beside_consented"])
def test_a_face_shown_for_a_few_frames_is_held_with_every_frame_it_was_in(tmp_path, engine, gallery, people,
                                                                          rate, shown, beside_known):
    before, after = 5, 4
    frames = []
    for i in range(before + shown + after):
        frame = background()
        if beside_known:
            put(frame, people["obama"], KNOWN_AT)
        if before <= i < before + shown:
            put(frame, people["stranger"], OTHER_AT)
        frames.append(frame)
    analysis = analyse(write_rendition(tmp_path / f"flash_{shown}_at_{rate}.mp4", frames, rate), engine, gallery)
    flash = frame_times(before, shown, rate)
    held = [f for f in analysis.faces if f.status is not FaceStatus.IDENTIFIED]
    assert any(flash <= set(f.times) for f in held), [(f.status, f.times) for f in analysis.faces]
    if beside_known:
        known = [f for f in analysis.faces if f.status is FaceStatus.IDENTIFIED]
        assert [f.person_id for f in known] == [1]
        assert set(known[0].times) == frame_times(0, len(frames), rate)
        assert not flash & set(known[0].times) or known[0].box.x < OTHER_AT[0]


@pytest.mark.parametrize("rate", [25, 120])
def test_the_consented_person_alone_is_identified_in_every_frame(tmp_path, engine, gallery, people, rate):
    frames = []
    for i in range(20):
        frame = background()
        put(frame, people["obama"], (KNOWN_AT[0] + 2 * i, KNOWN_AT[1]))
        frames.append(frame)
    analysis = analyse(write_rendition(tmp_path / f"known_{rate}.mp4", frames, rate), engine, gallery)
    assert analysis.faces and all(f.status is FaceStatus.IDENTIFIED and f.person_id == 1 for f in analysis.faces)
    assert set().union(*(f.times for f in analysis.faces)) == frame_times(0, 20, rate)
    [face] = analysis.faces
    assert face.first_time == 0.0 and face.last_time == round(19 / rate, 3) and face.frame_time in face.times


@pytest.mark.parametrize("other", ["biden", "downey"])
@pytest.mark.parametrize("how", ["cut", "fade"])
def test_someone_taking_the_consented_persons_place_is_never_part_of_an_identified_track(
        tmp_path, engine, gallery, people, other, how):
    rate, known_frames, fade_frames, other_frames = 25, 15, 10, 15
    frames, other_full = [], set()
    for i in range(known_frames + fade_frames + other_frames):
        frame = background()
        put(frame, people["obama"], KNOWN_AT)
        if i >= known_frames:
            step = i - known_frames + 1
            alpha = 1.0 if how == "cut" else min(1.0, step / fade_frames)
            put(frame, people[other], KNOWN_AT, alpha)
            if alpha == 1.0:
                other_full.add(round(i / rate, 3))
        frames.append(frame)
    analysis = analyse(write_rendition(tmp_path / f"{how}_to_{other}.mp4", frames, rate), engine, gallery)
    identified = [f for f in analysis.faces if f.status is FaceStatus.IDENTIFIED]
    assert all(not set(f.times) & other_full for f in identified), [(f.status, f.times) for f in analysis.faces]
    held = set().union(*(set(f.times) for f in analysis.faces if f.status is not FaceStatus.IDENTIFIED))
    assert other_full <= held
    assert identified and min(identified[0].times) == 0.0  # the consented person is still recognised before


@pytest.mark.parametrize("rate", [25, 30, 60, 120])
def test_a_28_px_face_shown_for_one_frame_beside_the_consented_person_is_held(tmp_path, engine, gallery, people, rate):
    small = cv2.resize(people["stranger"], (45, 56), interpolation=cv2.INTER_AREA)  # a face about 28 px wide
    frames = []
    for i in range(9):
        frame = background()
        put(frame, people["obama"], KNOWN_AT)
        if i == 4:
            put(frame, small, OTHER_AT)
        frames.append(frame)
    analysis = analyse(write_rendition(tmp_path / f"small_flash_at_{rate}.mp4", frames, rate), engine, gallery)
    flash = frame_times(4, 1, rate)
    held = [f for f in analysis.faces if f.status is not FaceStatus.IDENTIFIED]
    assert any(flash <= set(f.times) and f.box.width >= 24 for f in held), [(f.box, f.times) for f in analysis.faces]


def test_a_26_px_face_shown_for_one_frame_of_a_1280x720_120_fps_rendition_is_held(tmp_path, engine, gallery, people):
    small = cv2.resize(people["stranger"], (42, 52), interpolation=cv2.INTER_AREA)  # a face about 26 px wide
    frames = []
    for i in range(7):
        frame = background(1280, 720)
        put(frame, people["obama"], (200, 300))
        if i == 3:
            put(frame, small, (1100, 80))
        frames.append(frame)
    analysis = analyse(write_rendition(tmp_path / "small_flash_720p120.mp4", frames, 120), engine, gallery)
    assert (analysis.width, analysis.height) == (1280, 720)
    held = [f for f in analysis.faces if f.status is not FaceStatus.IDENTIFIED]
    assert any(round(3 / 120, 3) in f.times and f.box.x > 1000 for f in held), [(f.box, f.times) for f in analysis.faces]
