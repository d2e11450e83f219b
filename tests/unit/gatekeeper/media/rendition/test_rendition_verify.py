"""verify_rendition accepts exactly what render() writes; planted units and bytes are refused,
and rendering such a file publishes none of them. Bad input changes nothing."""
from __future__ import annotations

import pytest
from PIL import Image

from gatekeeper.media.base import Kind
from gatekeeper.media.rendition import RenditionError, output_kind, render, verify_rendition
from tests.rendition_clips import PLANTED, set_rotation, solid, tampered, write_clip


@pytest.fixture
def clean(tmp_path):
    src = write_clip(tmp_path / "source.mp4", [solid(i * 10) for i in range(20)], 25)
    out = tmp_path / "clean"
    out.mkdir()
    return render(src, out).path


def test_a_clean_rendition_verifies(clean):
    verify_rendition(clean, Kind.VIDEO)
    assert b"x264" not in clean.read_bytes(), "the encoder's own SEI is removed"


@pytest.mark.parametrize("unit_type", [0, 12, 6], ids=["unspecified", "filler", "sei"])
def test_planted_nal_units_are_refused_and_never_published(tmp_path, clean, unit_type):
    bent = tampered(clean, tmp_path / "bent.mp4", unit_type=unit_type)
    assert PLANTED in bent.read_bytes()
    with pytest.raises(RenditionError, match=f"NAL unit of type {unit_type}"):
        verify_rendition(bent, Kind.VIDEO)
    again = render(bent, tmp_path, stem="again")
    verify_rendition(again.path, Kind.VIDEO)
    assert PLANTED not in again.path.read_bytes()


def test_bytes_after_the_avcc_record_are_refused_and_never_published(tmp_path, clean):
    bent = tampered(clean, tmp_path / "padded.mp4", avcc_tail=PLANTED)
    with pytest.raises(RenditionError, match="bytes after the codec configuration"):
        verify_rendition(bent, Kind.VIDEO)
    again = render(bent, tmp_path, stem="again")
    assert PLANTED not in again.path.read_bytes()


def test_bytes_between_samples_are_refused(tmp_path, clean):
    data = bytearray(clean.read_bytes())
    mdat = data.rindex(b"mdat")
    size = int.from_bytes(data[mdat - 4:mdat], "big")
    data[mdat - 4:mdat] = (size + len(PLANTED)).to_bytes(4, "big")
    (tmp_path / "grown.mp4").write_bytes(bytes(data) + PLANTED)
    with pytest.raises(RenditionError, match="belong to no frame"):
        verify_rendition(tmp_path / "grown.mp4", Kind.VIDEO)


def test_a_photo_rendition_verifies_and_a_video_is_not_a_photo(tmp_path, clean):
    src = tmp_path / "p.png"
    Image.new("RGB", (50, 40), "olive").save(src)
    verify_rendition(render(src, tmp_path).path, Kind.PHOTO)
    with pytest.raises(RenditionError):
        verify_rendition(clean, Kind.PHOTO)


def test_a_jpeg_with_a_comment_is_not_a_rendition(tmp_path):
    path = tmp_path / "c.jpg"
    Image.new("RGB", (50, 40), "olive").save(path, comment=b"hello")
    with pytest.raises(RenditionError):
        verify_rendition(path, Kind.PHOTO)


def test_a_16_bit_png_is_not_a_photo_rendition(tmp_path):
    path = tmp_path / "g.png"
    Image.new("I;16", (8, 8)).save(path)
    with pytest.raises(RenditionError, match="not a JPEG"):
        verify_rendition(path, Kind.PHOTO)


def truncated_jpeg(tmp_path):
    path = tmp_path / "in" / "cut.jpg"
    Image.new("RGB", (400, 300), "red").save(path, quality=90)
    path.write_bytes(path.read_bytes()[:600])
    return path


@pytest.mark.parametrize("make", [
    lambda d: (d / "garbage.bin", b"\x00garbage" * 100),
    lambda d: (d / "picture.bmp", b"BM" + b"\x00" * 200),
    lambda d: (d / "cut.mp4", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2\x00\x00\x00\x08mdat"),
    lambda d: (d / "empty.png", b"\x89PNG\r\n\x1a\n"),
], ids=["garbage", "bmp", "truncated-mp4", "truncated-png"])
def test_bad_input_is_refused_and_leaves_nothing(tmp_path, make):
    (tmp_path / "in").mkdir()
    path, data = make(tmp_path / "in")
    path.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RenditionError):
        render(path, out)
    assert list(out.iterdir()) == []


def test_a_truncated_jpeg_is_refused_and_leaves_nothing(tmp_path):
    (tmp_path / "in").mkdir()
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RenditionError):
        render(truncated_jpeg(tmp_path), out)
    assert list(out.iterdir()) == []


def test_output_kind_refuses_what_it_does_not_know(tmp_path):
    path = tmp_path / "x.bmp"
    Image.new("RGB", (4, 4)).save(path, format="BMP")
    with pytest.raises(RenditionError, match="not a photo or video type"):
        output_kind(path)
    with pytest.raises(RenditionError, match="cannot be read"):
        output_kind(tmp_path / "missing.jpg")


def test_a_display_rotation_is_refused(tmp_path, clean):
    turned = tmp_path / "turned.mp4"
    turned.write_bytes(clean.read_bytes())
    set_rotation(turned, 90)
    with pytest.raises(RenditionError, match="rotation"):
        verify_rendition(turned, Kind.VIDEO)


def test_a_stem_that_is_not_a_plain_name_is_a_programming_error(tmp_path, clean):
    for stem in ("../x", "", ".hidden", "a/b"):
        with pytest.raises(ValueError):
            render(clean, tmp_path, stem=stem)


def test_a_colour_description_other_than_a_bare_nclx_is_refused():
    from gatekeeper.media.rendition.checks import _check_colr

    _check_colr(b"nclx\x00\x01\x00\x01\x00\x01\x00")
    for payload in (b"nclx\x00\x01\x00\x01\x00\x01\x00X", b"prof" + b"\x00" * 7, b"nclx\x00\x01\x00\x01\x00\x01\x01"):
        with pytest.raises(RenditionError, match="colour description"):
            _check_colr(payload)


def test_a_track_size_other_than_the_coded_size_is_refused(tmp_path, clean):
    import struct

    from gatekeeper.media.containers import mp4

    root = mp4.read_moov(clean)
    moov = root.find("moov")[0]
    tkhd = moov.find("trak", "tkhd")[0]
    matrix_at = (4 + 8 + 8 + 4 + 4 + 8 if tkhd.payload[0] == 1 else 4 + 4 + 4 + 4 + 4 + 4) + 16
    data = bytearray(clean.read_bytes())
    struct.pack_into(">I", data, moov.offset + tkhd.offset + tkhd.header + matrix_at + 36, 640 << 16)
    stretched = tmp_path / "stretched.mp4"
    stretched.write_bytes(bytes(data))
    with pytest.raises(RenditionError, match="stretch"):
        verify_rendition(stretched, Kind.VIDEO)
