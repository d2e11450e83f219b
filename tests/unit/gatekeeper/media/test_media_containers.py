"""The structure walkers: they name what they find and never repair a broken file."""
from __future__ import annotations

import struct

import pytest

from gatekeeper.media import Refused
from gatekeeper.media.containers import BrokenFile, gif, isobmff, jpeg, png, webp
from gatekeeper.media.exif import summarise
from gatekeeper.media.nal import hvcc_without_sei, without_sei
from tests.media_factory import exif_block, gif_with_everything, jpeg_with_everything, plain_jpeg, plain_png
from tests.media_factory import thumbnail_jpeg, upright_picture, webp_with_everything


def test_jpeg_segments_are_named_and_trailing_data_is_measured():
    data = jpeg_with_everything()
    layout = jpeg.walk(data)
    names = [s.name for s in layout.segments]
    assert names[:2] == ["SOI", "APP1:Exif"] and "APP13:Photoshop" in names and names[-1] == "EOI"
    assert layout.end < len(data)


def test_a_plain_encoded_jpeg_is_clean_and_each_addition_is_named():
    assert jpeg.check_clean(plain_jpeg(upright_picture())) == []
    found = jpeg.check_clean(jpeg_with_everything())
    assert "COM segment" in found and "APP1:XMP segment" in found and any("after the end" in f for f in found)


def test_a_jpeg_cut_inside_its_picture_data_is_broken():
    with pytest.raises(BrokenFile, match="before the end-of-image marker"):
        jpeg.walk(plain_jpeg(upright_picture())[:-10])


def test_a_png_chunk_with_a_bad_checksum_is_broken():
    data = bytearray(plain_png())
    data[20] ^= 1
    with pytest.raises(BrokenFile, match="checksum"):
        png.walk(bytes(data))


def test_a_png_without_its_end_chunk_is_broken():
    with pytest.raises(BrokenFile, match="before the IEND chunk"):
        png.walk(plain_png()[:-12])


def test_gif_extensions_are_named():
    kinds = gif.walk(gif_with_everything()).kinds()
    assert "comment" in kinds and "plain text" in kinds and "application 'XMP DataXMP'" in kinds
    assert kinds.count("image") == 3


def test_webp_metadata_chunks_and_flags_are_reported():
    found = webp.check_clean(webp_with_everything())
    assert "EXIF chunk" in found and "XMP chunk" in found and "metadata flags in the VP8X header" in found


def test_an_mp4_box_running_past_the_end_is_broken():
    data = struct.pack(">I4s", 24, b"ftyp") + b"isom" * 4 + struct.pack(">I4s", 1000, b"mdat")
    with pytest.raises(BrokenFile, match="runs past the end"):
        isobmff.walk(data)


@pytest.mark.parametrize("matrix, degrees", [
    ((0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000), 0),
    ((0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000), 90),
    ((-0x10000, 0, 0, 0, -0x10000, 0, 0, 0, 0x40000000), 180),
    ((0, -0x10000, 0, 0x10000, 0, 0, 0, 0, 0x40000000), 270),
])
def test_a_track_matrix_reads_as_a_clockwise_turn(matrix, degrees):
    assert isobmff.rotation_of(matrix) == degrees


def test_exif_fields_are_named_in_words_with_the_orientation():
    names, orientation = summarise(exif_block(6, thumbnail_jpeg()))
    assert orientation == 6
    assert {"GPS position", "serial number", "owner name", "embedded thumbnail", "maker notes"} <= set(names)


def test_an_unreadable_exif_block_is_still_reported():
    assert summarise(b"MM\x00\x2a\x00\x00\xff\xff") == (["EXIF block (partly unreadable)"], 1)


def _nal(kind_byte: int, body: bytes) -> bytes:
    unit = bytes([kind_byte]) + body
    return struct.pack(">I", len(unit)) + unit


def test_sei_units_are_dropped_from_an_h264_sample_and_others_kept():
    sample = _nal(0x06, b"x264 settings") + _nal(0x65, b"picture")
    assert without_sei("h264", sample, 4) == _nal(0x65, b"picture")
    assert without_sei("h264", _nal(0x65, b"picture"), 4) is None


def test_a_sample_whose_units_overrun_it_is_refused():
    with pytest.raises(Refused, match="corrupt"):
        without_sei("hevc", struct.pack(">I", 99) + b"\x26\x01", 4)


def test_sei_arrays_are_dropped_from_an_hvcc_record():
    def array(kind: int, unit: bytes) -> bytes:
        return bytes([0x80 | kind]) + struct.pack(">HH", 1, len(unit)) + unit

    record = b"\x01" + b"\x00" * 20 + b"\x03" + b"\x02" + array(32, b"vps") + array(39, b"x265 settings")
    cleaned, dropped = hvcc_without_sei(record)
    assert dropped and b"x265" not in cleaned and cleaned.endswith(array(32, b"vps")) and cleaned[22] == 1
