"""The pure rules: NAL allowlists, the avcC walk, frame rates and frame placement."""
from __future__ import annotations

from fractions import Fraction

import pytest

from gatekeeper.media import nal
from gatekeeper.media.rendition.base import RenditionError, fit
from gatekeeper.media.rendition.timing import (ConstantRate, animation_copies, animation_rate, shown_ms,
                                               video_rate)

SPS = bytes([0x67, 100, 0, 31, 0xAC])
PPS = bytes([0x68, 0xEE, 0x3C, 0x80])


def avcc(profile=100, tail=b"", extension=True) -> bytes:
    record = bytes([1, profile, 0, 31, 0xFF, 0xE1]) + len(SPS).to_bytes(2, "big") + SPS
    record += bytes([1]) + len(PPS).to_bytes(2, "big") + PPS
    if extension:
        record += bytes([0xFD, 0xF8, 0xF8, 0])
    return record + tail


def test_a_plain_avcc_is_allowed_and_gives_its_length_size():
    assert nal.check_avcc(avcc()) == 4
    assert nal.check_avcc(avcc(profile=77, extension=False)) == 4


@pytest.mark.parametrize("record, reason", [
    (avcc(tail=b"X"), "1 bytes after"),
    (avcc(profile=77), "4 bytes after"),
    (avcc(extension=False), "High-profile fields"),
    (b"\x02" + avcc()[1:], "version 2"),
    (avcc()[:9], "cut short|wrong type"),
    (avcc()[:6] + len(PPS).to_bytes(2, "big") + PPS + avcc()[6 + 2 + len(SPS):], "wrong type"),
    (avcc()[:-4] + bytes([0xFD, 0xF8, 0xF8, 1]), "SPS extensions"),
])
def test_anything_else_in_an_avcc_is_refused(record, reason):
    with pytest.raises(nal.NotAllowed, match=reason):
        nal.check_avcc(record)


def sample(*units: bytes) -> bytes:
    return b"".join(len(u).to_bytes(4, "big") + u for u in units)


def test_a_sample_of_slices_passes_and_any_other_unit_fails():
    nal.check_sample(sample(b"\x65\x88\x84", b"\x41\x9a"), 4)
    for kind in (0, 6, 9, 12, 7, 8, 31):
        with pytest.raises(nal.NotAllowed, match=f"type {kind}"):
            nal.check_sample(sample(b"\x65\x88", bytes([kind]) + b"text"), 4)


@pytest.mark.parametrize("data", [b"", sample(b"\x65\x88") + b"\x00\x00", b"\x00\x00\x00\x09\x65"],
                         ids=["empty", "tail", "overrun"])
def test_a_sample_that_does_not_tile_fails(data):
    with pytest.raises(nal.NotAllowed):
        nal.check_sample(data, 4)


def test_annexb_units_split_on_start_codes_and_keep_units_drops_by_type():
    stream = b"\x00\x00\x00\x01\x06SEI\x00\x00\x01\x65slice\x00\x00\x00\x01\x0cfill\x00"
    units = nal.annexb_units(stream)
    assert units == [b"\x06SEI", b"\x65slice", b"\x0cfill"]
    assert nal.keep_units(units, nal.H264_SLICE_TYPES) == ([b"\x65slice"], {6, 12})
    with pytest.raises(nal.NotAllowed):
        nal.annexb_units(b"junk\x00\x00\x01\x65")


@pytest.mark.parametrize("average, rate", [(Fraction(30000, 1001), Fraction(30000, 1001)), (Fraction(2987, 100), 30),
                                           (Fraction(240), 120), (None, 30), (Fraction(1, 3), 1)])
def test_the_video_rate_is_the_average_rounded_sensibly(average, rate):
    assert video_rate(average) == rate


def test_constant_rate_repeats_into_gaps_and_drops_frames_sharing_a_slot():
    clock, shown, previous = ConstantRate(Fraction(10)), [], None
    for seconds, name in ((0, "a"), (0.1, "b"), (0.12, "c"), (0.35, "d")):
        shown += [previous] * clock.place(seconds)
        previous = name
    shown += [previous] * clock.finish(0.45)
    assert shown == ["a", "c", "c", "d", "d"]


def test_every_animation_frame_gets_an_output_frame():
    durations = shown_ms([0, 5, 40, 100_000, 100])
    assert durations == [100, 100, 40, 5000, 100]
    rate = animation_rate(durations)
    assert rate == 50
    copies = animation_copies(durations, rate)
    assert min(copies) >= 1 and copies == [5, 5, 2, 250, 5]
    assert animation_rate([11, 13]) == 91 and min(animation_copies([11, 13], Fraction(91))) == 1


def test_fit_never_enlarges_and_keeps_video_sizes_even():
    assert fit(4000, 3000, 2048) == (2048, 1536)
    assert fit(300, 200, 2048) == (300, 200)
    assert fit(1921, 1081, 1280, even=True) == (1280, 720)
    with pytest.raises(RenditionError):
        fit(0, 10, 100)


def test_an_encoder_thread_error_reaches_the_caller_and_the_thread_ends():
    from gatekeeper.media.rendition.h264 import _Pipe

    seen = []

    def work(item):
        seen.append(item)
        raise RenditionError("encoder broke")

    pipe = _Pipe(work)
    pipe.put(1)
    with pytest.raises(RenditionError, match="encoder broke"):
        for item in range(2, 100):
            pipe.put(item)
    with pytest.raises(RenditionError):
        pipe.join()
    assert seen == [1] and not pipe._thread.is_alive()
