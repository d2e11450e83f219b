"""Types come from the bytes, never from the name."""
from __future__ import annotations

import pytest

from gatekeeper.media import MediaType, sniff
from gatekeeper.media.sniffing import looks_like_markup, second_format


@pytest.mark.parametrize("head, expected", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", MediaType.JPEG),
    (b"\x89PNG\r\n\x1a\n\x00\x00", MediaType.PNG),
    (b"GIF89a\x01\x00", MediaType.GIF),
    (b"GIF87a\x01\x00", MediaType.GIF),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 ", MediaType.WEBP),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", MediaType.HEIF),
    (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", MediaType.HEIF),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", MediaType.MOV),
    (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", MediaType.MP4),
    (b"\x00\x00\x00\x20ftypmp42\x00\x00\x00\x00", MediaType.MP4),
])
def test_each_accepted_format_is_recognised_from_its_first_bytes(head, expected):
    assert sniff(head) is expected


@pytest.mark.parametrize("head", [
    b"", b"\x00" * 32, b"RIFF\x10\x00\x00\x00WAVEfmt ", b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00",
    b"II*\x00\x08\x00\x00\x00", b"%PDF-1.7", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"PK\x03\x04",
])
def test_anything_else_is_not_recognised(head):
    assert sniff(head) is None


@pytest.mark.parametrize("head", [
    b"<svg/>", b"\xef\xbb\xbf  <?xml version='1.0'?>", b"<!DOCTYPE html>", b"#!/bin/sh\n",
    b"GIF89a<script>alert(1)</script>",
])
def test_markup_and_scripts_are_spotted_whatever_their_name(head):
    assert looks_like_markup(head)


def test_binary_data_is_not_mistaken_for_markup():
    assert not looks_like_markup(b"\xff\xd8\xff\xe0<not a tag")


@pytest.mark.parametrize("data, other", [
    (b"\xff\xd8\xff" + b"\x00" * 100 + b"<ScRiPt>x</script>", "HTML or script"),
    (b"\x89PNG" + b"\x00" * 20 + b"%PDF-1.4", "PDF"),
    (b"\xff\xd8\xff" + b"\x00" * 100 + b"PK\x05\x06" + b"\x00" * 18, "ZIP archive"),
])
def test_a_second_format_inside_a_picture_is_named(data, other):
    assert second_format(data) == other


def test_an_ordinary_picture_has_no_second_format():
    assert second_format(b"\xff\xd8\xff" + bytes(range(256)) * 40) is None
