"""Videos: remuxed into a bare MP4 with the main streams only, still upright."""
from __future__ import annotations

import av
import pytest

from gatekeeper.media import Kind, Limits, Refused, sanitize_file, verify_file, video_rotation, without_audio
from gatekeeper.media.containers import isobmff, mp4
from tests.media_checks import markers_in
from tests.media_factory import HEIGHT, VIDEO_FRAMES, WIDTH

VIDEOS = {"gps_in_keys_udta_rotated_90.mov": 90, "tagged_hevc_rotated_180.mp4": 180, "untagged_h264.mp4": 0}


@pytest.fixture(scope="module")
def cleaned(corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("clean-videos")
    return {name: sanitize_file(corpus[name], folder, stem=corpus[name].stem) for name in VIDEOS}


@pytest.mark.parametrize("name", ["gps_in_keys_udta_rotated_90.mov", "tagged_hevc_rotated_180.mp4"])
def test_markers_present_before_are_absent_after(corpus, cleaned, name):
    assert len(markers_in(corpus[name].read_bytes())) >= 8
    assert markers_in(cleaned[name].path.read_bytes()) == []


@pytest.mark.parametrize("name", VIDEOS)
def test_encoder_strings_hidden_in_the_video_stream_are_gone(cleaned, name):
    data = cleaned[name].path.read_bytes()
    assert b"x264" not in data and b"x265" not in data and b"Lavf" not in data


@pytest.mark.parametrize("name", VIDEOS)
def test_the_display_rotation_is_kept_so_the_clip_stays_upright(cleaned, name):
    path = cleaned[name].path
    assert video_rotation(path) == VIDEOS[name]
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    assert -frame.rotation % 360 == VIDEOS[name]


@pytest.mark.parametrize("name", VIDEOS)
def test_only_the_main_video_and_audio_streams_remain_and_every_frame_plays(cleaned, name):
    result = cleaned[name]
    with av.open(str(result.path)) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]
        assert container.chapters() == []
        assert {k for k in container.metadata} <= {"major_brand", "minor_version", "compatible_brands"}
        for stream in container.streams:
            assert set(stream.metadata) <= {"language", "handler_name", "vendor_id"}
            assert stream.metadata.get("handler_name") in ("VideoHandler", "SoundHandler")
        assert sum(1 for _ in container.decode(video=0)) == VIDEO_FRAMES
    assert result.kind is Kind.VIDEO and result.mime == "video/mp4" and result.path.suffix == ".mp4"
    assert (result.width, result.height, result.has_audio) == (WIDTH, HEIGHT, True)
    assert result.duration == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("name", VIDEOS)
def test_times_are_zeroed_and_the_index_comes_first(cleaned, name):
    root = mp4.read_moov(cleaned[name].path)
    kinds = [b.kind for b in root.children]
    assert kinds.index("moov") < kinds.index("mdat")
    moov = root.find("moov")[0]
    for header in moov.find("mvhd") + moov.find("trak", "mdia", "mdhd"):
        assert isobmff.header_times(header) == (0, 0)
    assert not moov.find("udta", "meta", "keys") and not moov.find("trak", "tref")
    verify_file(cleaned[name].path)


def test_what_was_removed_is_reported_in_words(cleaned):
    removed = " | ".join(cleaned["gps_in_keys_udta_rotated_90.mov"].removed)
    for words in ("location", "make", "model", "timecode track", "chapter", "extra audio track", "handler_name",
                  "SEI"):
        assert words in removed


def test_publishing_copy_drops_the_audio_and_stays_clean(cleaned, tmp_path):
    target = tmp_path / "public.mp4"
    without_audio(cleaned["gps_in_keys_udta_rotated_90.mov"].path, target)
    with av.open(str(target)) as container:
        assert [s.type for s in container.streams] == ["video"]
    assert video_rotation(target) == 90
    verify_file(target)
    assert [p.name for p in tmp_path.iterdir()] == ["public.mp4"]


def test_publishing_copy_refuses_a_source_that_is_not_clean(corpus, tmp_path):
    with pytest.raises(Refused):
        without_audio(corpus["tagged_hevc_rotated_180.mp4"], tmp_path / "public.mp4")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("limits, words", [
    (Limits(max_video_seconds=0.5), "seconds long, over the limit"),
    (Limits(max_video_width=64), "resolution 96x64 is over the limit"),
    (Limits(max_video_height=32), "resolution 96x64 is over the limit"),
])
def test_a_video_over_a_limit_is_refused_before_decoding(corpus, out_dir, limits, words):
    with pytest.raises(Refused) as caught:
        sanitize_file(corpus["untagged_h264.mp4"], out_dir, limits, stem="clip")
    assert words in caught.value.reason
    assert list(out_dir.iterdir()) == []


def test_a_clip_without_audio_says_so(cleaned, out_dir, tmp_path):
    bare = tmp_path / "bare.mp4"
    without_audio(cleaned["untagged_h264.mp4"].path, bare)
    result = sanitize_file(bare, out_dir, stem="bare")
    assert result.has_audio is False


def test_a_track_whose_codec_ffmpeg_cannot_read_is_refused_plainly_not_as_a_crash():
    from types import SimpleNamespace

    from gatekeeper.media.video import _plan

    unreadable = SimpleNamespace(codec_context=None, disposition=0, index=0, type="video", metadata={})
    container = SimpleNamespace(streams=SimpleNamespace(video=[unreadable], audio=[unreadable]), metadata={})
    with pytest.raises(Refused, match="no H.264 or HEVC picture track"):
        _plan(container, Limits(), keep_audio=True)
