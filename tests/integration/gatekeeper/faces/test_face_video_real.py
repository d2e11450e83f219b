"""A generated video with real faces: tracks, identity by agreement, held strangers, display rotation."""
import av
import cv2
import numpy as np
import pytest

from gatekeeper.faces.analysis import FaceStatus
from gatekeeper.faces.gallery import Gallery, template_from_photo
from gatekeeper.faces.video import analyse_video

pytestmark = pytest.mark.slow


def write_walk(path, known, stranger, rotation=0):
    """2 s at 25 fps: the known face walks right; the stranger appears after 1 s."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        quarter = round(rotation / 90)
        stream.height, stream.width = (640, 360) if quarter % 2 else (360, 640)
        stream.pix_fmt = "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        for i in range(50):
            frame = np.full((360, 640, 3), 90, dtype=np.uint8)
            frame[100:250, 20 + 4 * i:140 + 4 * i] = known
            if i >= 25:
                frame[150:300, 480:600] = stranger
            stored = np.ascontiguousarray(np.rot90(frame, -quarter)[:, :, ::-1])
            for packet in stream.encode(av.VideoFrame.from_ndarray(stored, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def faces(picture):
    obama = picture("identities/barack_obama/fr_obama.jpg")
    biden = picture("identities/joe_biden/fr_biden.jpg")
    return {
        "obama": obama,
        "known": cv2.resize(obama[40:720, 250:850], (120, 150)),
        "stranger": cv2.resize(biden[100:650, 350:780], (120, 150)),
    }


@pytest.mark.parametrize("rotation", [0, -90])
def test_a_known_face_is_one_identified_track_and_a_stranger_is_held_with_times(tmp_path, engine, faces, rotation):
    path = write_walk(tmp_path / f"walk_{rotation}.mp4", faces["known"], faces["stranger"], rotation)
    gallery = Gallery([(1, template_from_photo(faces["obama"], engine))])
    analysis = analyse_video(path, detector=engine.detector, recogniser=engine.recogniser, gallery=gallery)
    assert not analysis.failed, analysis.error
    assert (analysis.width, analysis.height) == (640, 360)
    known = [f for f in analysis.faces if f.status is FaceStatus.IDENTIFIED]
    others = [f for f in analysis.faces if f.status is not FaceStatus.IDENTIFIED]
    assert len(known) == 1 and known[0].person_id == 1 and len(known[0].times) >= 8
    assert known[0].box.x < 320
    assert len(others) == 1 and others[0].status is FaceStatus.UNKNOWN
    assert min(others[0].times) >= 1.0 and others[0].box.x > 400
