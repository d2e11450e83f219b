"""/media/<id>/file streams the quarantined file in verified chunks, with byte ranges, and never ends
cleanly when the stored file was cut or altered."""
from __future__ import annotations

import os

import pytest

from consent_db.models import ItemKind, ItemState, MediaItem, Rendition
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.gate.access import StreamLengthMismatch
from gatekeeper.app.context import gate_context
from gatekeeper.gate.renditions import store_key
from gatekeeper.storage.envelope import HEADER_BYTES, TAG_BYTES, DEFAULT_CHUNK_SIZE, EnvelopeError

SIZE = 3 * DEFAULT_CHUNK_SIZE + 12345
PLAIN = os.urandom(SIZE)
VIDEO_ID = "ab" * 16
KEY = store_key(VIDEO_ID, "1" * 64)  # where the viewed rendition is sealed


@pytest.fixture
def video_id(app, world, tmp_path):
    """A video item whose viewed rendition is held in quarantine (random bytes: nothing here decodes it)."""
    public_id, sha = VIDEO_ID, "1" * 64
    source = tmp_path / "clip.mp4"
    source.write_bytes(PLAIN)
    gate_context(app).store.put(KEY, source)
    with transaction(app) as db:
        item = MediaItem(setting_id=world.setting_id, public_id=public_id, kind=ItemKind.VIDEO, mime="video/mp4",
                         extension="mp4", content_sha256="0" * 64, size_bytes=SIZE, width=64, height=48,
                         state=ItemState.HELD, received_at=now())
        item.renditions.append(Rendition(profile="video1280", kind="video", mime="video/mp4", extension="mp4",
                                         sha256=sha, size_bytes=SIZE, width=64, height=48, made_at=now()))
        db.add(item)
    return public_id


def test_the_file_is_streamed_whole_with_its_length(manager, video_id):
    response = manager.get(f"/media/{video_id}/file", buffered=False)

    assert response.status_code == 200
    assert response.is_streamed
    assert response.content_length == SIZE
    assert response.headers["Accept-Ranges"] == "bytes"
    pieces = list(response.response)
    assert max(len(p) for p in pieces) <= DEFAULT_CHUNK_SIZE
    assert b"".join(pieces) == PLAIN


def test_a_byte_range_is_answered_with_206_and_exactly_those_bytes(manager, video_id):
    start, stop = DEFAULT_CHUNK_SIZE - 10, 2 * DEFAULT_CHUNK_SIZE + 10

    response = manager.get(f"/media/{video_id}/file", headers={"Range": f"bytes={start}-{stop - 1}"})

    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{SIZE}"
    assert response.content_length == stop - start
    assert response.data == PLAIN[start:stop]


def test_an_open_ended_range_runs_to_the_end(manager, video_id):
    response = manager.get(f"/media/{video_id}/file", headers={"Range": f"bytes={SIZE - 5}-"})
    assert response.status_code == 206 and response.data == PLAIN[-5:]


def test_a_range_past_the_end_is_416_with_the_length(manager, video_id):
    response = manager.get(f"/media/{video_id}/file", headers={"Range": f"bytes={SIZE + 1}-"})

    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"


def _alter(app, key, offset):
    path = gate_context(app).store._path(key)
    data = bytearray(path.read_bytes())
    data[offset] ^= 1
    path.write_bytes(bytes(data))


def test_a_file_altered_mid_way_raises_part_way_so_the_body_stays_short_of_its_length(app, manager, video_id):
    _alter(app, KEY, HEADER_BYTES + 2 * (DEFAULT_CHUNK_SIZE + TAG_BYTES) + 100)
    response = manager.get(f"/media/{video_id}/file", buffered=False)
    assert response.status_code == 200 and response.content_length == SIZE

    received = bytearray()
    with pytest.raises(EnvelopeError):
        for piece in response.response:
            received += piece

    # The server cuts the connection here; the client holds 2 of 3+ chunks and knows the body is incomplete.
    assert bytes(received) == PLAIN[: 2 * DEFAULT_CHUNK_SIZE]


def test_a_stored_file_of_another_length_than_recorded_never_ends_cleanly(app, manager, video_id):
    with transaction(app) as db:
        db.query(Rendition).one().size_bytes = SIZE + 1
    response = manager.get(f"/media/{video_id}/file", buffered=False)

    with pytest.raises(StreamLengthMismatch, match="ended after"):
        list(response.response)


def test_a_stored_file_longer_than_recorded_never_ends_cleanly(app, manager, video_id):
    with transaction(app) as db:
        db.query(Rendition).one().size_bytes = SIZE - 1
    response = manager.get(f"/media/{video_id}/file", buffered=False)

    with pytest.raises(StreamLengthMismatch, match="longer than"):
        list(response.response)


def test_an_item_no_longer_in_quarantine_is_404(app, manager, video_id):
    gate_context(app).store.delete(KEY)
    assert manager.get(f"/media/{video_id}/file").status_code == 404


def test_thumbnails_and_frames_of_a_video_never_hold_the_whole_file_in_memory(app, manager, staff, fake_faces,
                                                                              video_bytes, monkeypatch):
    import io

    from tests.web_world import post

    answer = post(app, staff, "/staff/upload", {"file": (io.BytesIO(video_bytes), "clip.mp4")},
                  headers={"Accept": "application/json"}, content_type="multipart/form-data")
    video = answer.json["id"]
    store = gate_context(app).store

    def whole_file(item_key):
        raise AssertionError("a video was read whole into memory")

    monkeypatch.setattr(store, "open_bytes", whole_file)
    assert manager.get(f"/media/{video}/thumbnail").mimetype == "image/jpeg"
    assert manager.get(f"/media/{video}/frame?t=0").mimetype == "image/jpeg"
    # The private copy they were decoded from is gone as soon as the picture was made.
    assert list(gate_context(app).work_dir.iterdir()) == []
