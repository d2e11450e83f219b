"""Animations and videos: every frame a viewer can see is in the rendition, and only those."""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image

from gatekeeper.media.base import Kind
from gatekeeper.media.rendition import RenditionError, output_kind, render, verify_rendition
from tests.media_checks import is_upright
from tests.media_factory import upright_picture
from tests.rendition_clips import (frames_of, hide_with_edit_list, hold_last_sample, save_animation, set_matrix,
                                   set_rotation, solid, write_clip, write_hdr_clip, write_size_change)


def made(tmp_path, src, **options):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    rendition = render(src, out, **options)
    verify_rendition(rendition.path, Kind.VIDEO)
    return rendition


def greys(path) -> list[int]:
    return [int(round(f.mean())) for f in frames_of(path)]


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_a_later_frame_of_an_animation_is_in_the_video(tmp_path, fmt):
    # Distinct frames: Pillow merges identical neighbours when it writes WebP.
    frames = [Image.new("RGB", (64, 48), c) for c in ((255, 255, 255), (128, 128, 128), (0, 0, 255))]
    src = save_animation(tmp_path / f"anim.{fmt.lower()}", fmt, frames, [100, 100, 100])
    assert output_kind(src) is Kind.VIDEO
    rendition = made(tmp_path, src)
    pictures = frames_of(rendition.path)
    assert (rendition.fps, rendition.frames, len(pictures)) == (10.0, 3, 3)
    assert pictures[-1][..., 2].mean() > 200 and pictures[-1][..., 0].mean() < 60, "the blue frame is shown"


def test_a_short_frame_is_held_for_at_least_one_output_frame(tmp_path):
    frames = [Image.new("L", (64, 48), v) for v in (0, 255, 0)]
    src = save_animation(tmp_path / "flash.gif", "GIF", frames, [200, 20, 200])
    rendition = made(tmp_path, src)
    values = greys(rendition.path)
    assert rendition.fps == 50.0 and len(values) == 21
    assert sum(v > 200 for v in values) == 1


def test_an_edit_list_hides_frames_that_are_not_published(tmp_path):
    src = write_clip(tmp_path / "edited.mp4", [solid(i * 8) for i in range(30)], 30)
    hide_with_edit_list(src, first=10, count=10, rate=30)
    rendition = made(tmp_path, src)
    values = greys(rendition.path)
    assert rendition.frames == len(values) == 10
    assert abs(values[0] - 80) <= 6 and abs(values[-1] - 152) <= 6
    assert any(note.startswith("edit list applied") for note in rendition.notes)


def test_a_120_fps_clip_keeps_its_rate_and_a_one_frame_event(tmp_path):
    frames = [solid(30) for _ in range(120)]
    frames[57] = solid(230)
    rendition = made(tmp_path, write_clip(tmp_path / "fast.mp4", frames, 120))
    values = greys(rendition.path)
    assert rendition.fps == 120.0 and len(values) == 120
    assert sum(v > 200 for v in values) == 1 and values[57] > 200


def test_rotation_in_the_display_matrix_is_applied(tmp_path):
    stored = np.asarray(upright_picture((96, 64)).transpose(Image.Transpose.ROTATE_90))  # turned left
    src = write_clip(tmp_path / "turned.mp4", [stored] * 3, 30, options={"preset": "ultrafast", "crf": "5"})
    set_rotation(src, 90)
    rendition = made(tmp_path, src)
    assert (rendition.width, rendition.height) == (96, 64)
    assert is_upright(Image.fromarray(frames_of(rendition.path)[0]))
    assert "turned upright" in rendition.notes


def test_variable_rate_becomes_a_constant_rate(tmp_path):
    times = [0, 30, 70, 100, 160, 170, 200, 260, 300, 333]
    frames = [solid(i * 20) for i in range(len(times))]
    src = write_clip(tmp_path / "vfr.mp4", frames, 30, times=times, time_base=Fraction(1, 1000))
    rendition = made(tmp_path, src)
    assert rendition.fps and float(rendition.fps).is_integer()
    assert abs(rendition.duration - 0.36) < 0.1


def test_a_long_side_over_the_limit_is_scaled_to_even_dimensions(tmp_path):
    src = write_clip(tmp_path / "wide.mp4", [solid(90, (642, 300))] * 2, 30)
    rendition = made(tmp_path, src, video_side=321)
    assert (rendition.width, rendition.height) == (320, 150)


def test_sound_is_dropped_unless_asked_for(tmp_path):
    src = write_clip(tmp_path / "sound.mp4", [solid(90)] * 30, 30, audio=True)
    silent = made(tmp_path, src)
    with av.open(str(silent.path)) as container:
        assert not silent.has_audio and not container.streams.audio
    loud = render(src, tmp_path, keep_audio=True, stem="loud")
    verify_rendition(loud.path, Kind.VIDEO)
    with av.open(str(loud.path)) as container:
        assert loud.has_audio and [s.codec_context.name for s in container.streams.audio] == ["aac"]
    assert b"Lavc" not in loud.path.read_bytes()


@pytest.mark.parametrize("transfer", [18, 16], ids=["hlg", "pq"])
def test_hdr_comes_out_sdr_with_mid_grey_still_mid_grey(tmp_path, transfer):
    # A 38% signal, in HLG and in PQ alike, is BT.2408's 18% grey card (about 26 nits).
    code = 64 + round(0.38 * 876)
    src = write_hdr_clip(tmp_path / "hdr.mp4", code, transfer)
    rendition = made(tmp_path, src)
    level = float(np.mean(frames_of(rendition.path)[0]))
    assert 85 <= level <= 135, level
    assert any("tone-mapped to SDR" in note for note in rendition.notes)


def test_an_animation_longer_than_ten_minutes_is_refused_and_leaves_nothing(tmp_path):
    frames = [Image.new("L", (8, 8), v) for v in range(0, 250, 2)]
    src = save_animation(tmp_path / "long.gif", "GIF", frames, [5000] * len(frames))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RenditionError, match="too long"):
        render(src, out)
    assert list(out.iterdir()) == []


def test_an_ordinary_clip_has_no_edit_list_note(tmp_path):
    rendition = made(tmp_path, write_clip(tmp_path / "plain.mp4", [solid(50)] * 5, 30))
    assert not any("edit list" in note for note in rendition.notes)


def test_b_frame_delay_in_an_edit_list_is_not_reported_as_hiding_frames(tmp_path):
    src = write_clip(tmp_path / "bframes.mp4", [solid(i * 9) for i in range(12)], 30, options={"preset": "medium"})
    rendition = made(tmp_path, src)
    assert rendition.frames == 12
    assert not any("edit list" in note for note in rendition.notes)


def test_a_timestamp_gap_of_hours_is_refused_and_leaves_nothing(tmp_path):
    times = [0, 33, 4 * 3600 * 1000]
    src = write_clip(tmp_path / "gap.mp4", [solid(40)] * 3, 30, times=times, time_base=Fraction(1, 1000))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RenditionError, match="too long"):
        render(src, out)
    assert list(out.iterdir()) == []


def test_animation_colours_survive_the_trip_through_yuv(tmp_path):
    colours = [(220, 30, 30), (30, 200, 40), (30, 40, 220)]
    frames = [Image.new("RGB", (64, 48), c) for c in colours]
    rendition = made(tmp_path, save_animation(tmp_path / "colours.png", "PNG", frames, [100] * 3))
    with av.open(str(rendition.path)) as container:
        decoded = [f.to_ndarray(format="rgb24", src_colorspace=av.video.reformatter.Colorspace.ITU709)
                   for f in container.decode(video=0)]
        assert container.streams.video[0].codec_context.colorspace == 1, "tagged BT.709"
    for frame, colour in zip(decoded, colours):
        assert np.abs(frame.reshape(-1, 3).mean(0) - colour).max() < 10


def test_a_full_range_clip_keeps_its_levels(tmp_path):
    src = tmp_path / "full.mp4"
    with av.open(str(src), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        stream.codec_context.color_range = 2
        for index in range(3):
            frame = av.VideoFrame(64, 48, "yuvj420p")
            for number, plane in enumerate(frame.planes):
                np.frombuffer(plane, np.uint8)[:] = 60 if number == 0 else 128
            frame.color_range, frame.pts = 2, index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    rendition = made(tmp_path, src, video_side=32)
    assert abs(float(np.mean(frames_of(rendition.path)[0])) - 60) < 3, "not stretched as if it were limited range"


@pytest.mark.parametrize("matrix", [
    (-1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30),  # mirrored
    (46341, 46341, 0, -46341, 46341, 0, 0, 0, 1 << 30),  # turned 45 degrees
    (1 << 16, 1 << 15, 0, 0, 1 << 16, 0, 0, 0, 1 << 30),  # skewed
], ids=["mirror", "45-degrees", "skew"])
def test_a_display_transform_a_rendition_cannot_copy_is_refused(tmp_path, matrix):
    src = write_clip(tmp_path / "odd.mp4", [solid(90)] * 3, 30)
    set_matrix(src, matrix)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RenditionError, match="mirror, skew or turn"):
        render(src, out)
    assert list(out.iterdir()) == []


def test_pictures_of_another_size_than_declared_are_refused_and_leave_nothing(tmp_path):
    # The sanitiser's resolution limit reads the size FFmpeg's probe of the first pictures reports;
    # in-band parameter sets after them can say anything.
    src = write_size_change(tmp_path / "grows.mp4", [solid(90, (64, 48))] * 3, [solid(200, (640, 2048))] * 3)
    with av.open(str(src)) as container:
        assert container.streams.video[0].codec_context.width == 64
        assert (640, 2048) in {(f.width, f.height) for f in container.decode(video=0)}
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RenditionError, match="where it declares 64x48"):
        render(src, out)
    assert list(out.iterdir()) == []


def test_a_last_picture_held_past_the_longest_rendition_is_refused_and_leaves_nothing(tmp_path):
    # The header says a third of a second; the last sample's own duration says 50 minutes.
    src = write_clip(tmp_path / "held.mp4", [solid(80)] * 10, rate=30)
    with av.open(str(src)) as container:
        ticks = int(3000 / container.streams.video[0].time_base)
    hold_last_sample(src, ticks)
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        assert float(stream.duration * stream.time_base) < 1
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RenditionError, match="over 600 seconds"):
        render(src, out)
    assert list(out.iterdir()) == []
