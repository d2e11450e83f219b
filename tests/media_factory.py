"""Test media made on the spot, each file named after what it carries.

Every place a photo or video can hide personal data gets a unique marker string (or value),
so a test can say "present before, absent after" by searching the raw bytes. Pictures are
four coloured quadrants, so a test can tell upright from sideways by the corner colours.
"""
from __future__ import annotations

import fractions
import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, PngImagePlugin

# Upright picture: red top-left, green top-right, blue bottom-left, yellow bottom-right.
CORNERS = {"top_left": (220, 30, 30), "top_right": (30, 200, 40), "bottom_left": (30, 40, 220),
           "bottom_right": (230, 220, 30)}
WIDTH, HEIGHT = 96, 64

MARKERS = {
    "make": "GKMAKE-Q1Z7", "model": "GKMODEL-R2X8", "software": "GKSOFT-S3W9",
    "artist": "GKARTIST-T4V1", "serial": "GKSERIAL-5D2C91", "owner": "GKOWNER-Quill-4411",
    "maker_note": "GKMAKERNOTE-U5U2", "user_comment": "GKUSERCOMMENT-V6T3", "capture_time": "2019:07:14 09:41:27",
    "xp_author": "GKXPAUTHOR-W7S4", "gps_area": "GKGPSAREA-X8R5", "xmp": "GKXMP-CREATOR-Y9Q6",
    "xmp_city": "GKXMP-CITY-Z1P7", "iptc": "GKIPTC-BYLINE-A2O8", "iptc_city": "GKIPTC-CITY-B3N9",
    "comment": "GKCOMMENT-C4M1", "thumbnail": "GKTHUMB-D5L2", "second_image": "GKSECONDIMG-E6K3",
    "trailer": "GKTRAILER-F7J4", "motion": "GKMOTION-G8I5", "icc": "GKMX", "png_text": "GKPNGTEXT-H9H6",
    "png_itxt": "GKPNGITXT-I1G7", "gif_comment": "GKGIFCOMMENT-J2F8", "gif_xmp": "GKGIFXMP-K3E9",
    "gif_plain": "GKGIFPLAIN-L4D1", "webp_xmp": "GKWEBPXMP-M5C2",
    "title": "GKTITLE-N6B3", "video_comment": "GKVCOMMENT-O7A4", "location": "+51.5007-000.1246+012.000/",
    "apple_make": "GKAPPLEMAKE-P8Z5", "apple_model": "GKAPPLEMODEL-Q9Y6", "apple_software": "GKAPPLESW-R1X7",
    "video_handler": "GKVHANDLER-S2W8", "audio_handler": "GKAHANDLER-T3V9", "chapter": "GKCHAPTER-U4U1",
    "udta_location": "+48.8584+002.2945/", "udta_make": "GKUDTAMAKE-V5T2", "udta_author": "GKUDTAAUTH-W6S3",
    "creation_year": "2019-07-14T09:41:27",
}
# GPS seconds as a distinctive rational, findable as packed bytes in both byte orders.
GPS_SECONDS = (27131, 10000)
GPS_BYTES = struct.pack(">II", *GPS_SECONDS)


def upright_picture(size=(WIDTH, HEIGHT)) -> Image.Image:
    w, h = size
    im = Image.new("RGB", size)
    for name, box in (("top_left", (0, 0, w // 2, h // 2)), ("top_right", (w // 2, 0, w, h // 2)),
                      ("bottom_left", (0, h // 2, w // 2, h)), ("bottom_right", (w // 2, h // 2, w, h))):
        im.paste(CORNERS[name], box)
    return im


# The transpose that undoes each orientation: stored pixels = upright.transpose(this).
_STORE = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
          4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,
          7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}


def stored_for(orientation: int) -> Image.Image:
    im = upright_picture()
    method = _STORE[orientation]
    return im.transpose(method) if method is not None else im


# --- EXIF (TIFF) writer: enough to put every tag where a camera would ---------------------

def _ascii(text: str) -> tuple[int, bytes]:
    return 2, text.encode() + b"\x00"


def _tiff(ifd0: dict, exif: dict, gps: dict, thumbnail: bytes | None) -> bytes:
    """A big-endian TIFF block: IFD0 -> Exif IFD and GPS IFD, then IFD1 with a thumbnail."""
    order = ">"

    def size_of(entries: dict) -> int:
        data = sum(len(v) + (len(v) & 1) for _, v in entries.values() if len(v) > 4)
        return 2 + 12 * len(entries) + 4 + data

    ifd0 = dict(ifd0)
    ifd0[0x8769] = (4, b"\x00" * 4)
    ifd0[0x8825] = (4, b"\x00" * 4)
    ifd1 = {0x0103: (3, struct.pack(">H", 6) + b"\x00\x00"), 0x0201: (4, b"\x00" * 4), 0x0202: (4, b"\x00" * 4)}
    off0 = 8
    off_exif = off0 + size_of(ifd0)
    off_gps = off_exif + size_of(exif)
    off1 = off_gps + size_of(gps)
    off_thumb = off1 + size_of(ifd1)
    ifd0[0x8769] = (4, struct.pack(">I", off_exif))
    ifd0[0x8825] = (4, struct.pack(">I", off_gps))
    thumb = thumbnail or b""
    ifd1[0x0201] = (4, struct.pack(">I", off_thumb))
    ifd1[0x0202] = (4, struct.pack(">I", len(thumb)))

    def pack(entries: dict, offset: int, next_ifd: int) -> bytes:
        head, data = [], b""
        data_at = offset + 2 + 12 * len(entries) + 4
        for tag in sorted(entries):
            kind, value = entries[tag]
            unit = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1}[kind]
            count = len(value) // unit
            if len(value) <= 4:
                head.append(struct.pack(order + "HHI", tag, kind, count) + value.ljust(4, b"\x00"))
            else:
                head.append(struct.pack(order + "HHII", tag, kind, count, data_at + len(data)))
                data += value + (b"\x00" if len(value) & 1 else b"")
        return struct.pack(order + "H", len(entries)) + b"".join(head) + struct.pack(order + "I", next_ifd) + data

    body = (pack(ifd0, off0, off1 if thumbnail else 0) + pack(exif, off_exif, 0) + pack(gps, off_gps, 0))
    if thumbnail:
        body += pack(ifd1, off1, 0) + thumb
    return b"MM\x00\x2a" + struct.pack(">I", 8) + body


def exif_block(orientation: int = 1, thumbnail: bytes | None = None) -> bytes:
    """A TIFF block with GPS, serial number, owner, capture times, maker notes and more."""
    m = MARKERS
    ifd0 = {
        0x010F: _ascii(m["make"]), 0x0110: _ascii(m["model"]), 0x0131: _ascii(m["software"]),
        0x013B: _ascii(m["artist"]), 0x0132: _ascii(m["capture_time"]),
        0x0112: (3, struct.pack(">H", orientation) + b"\x00\x00"),
        0x9C9D: (1, (m["xp_author"] + "\x00").encode("utf-16-le")),
    }
    exif = {
        0x9003: _ascii(m["capture_time"]), 0xA431: _ascii(m["serial"]), 0xA430: _ascii(m["owner"]),
        0x927C: (7, b"Apple iOS\x00" + m["maker_note"].encode()),
        0x9286: (7, b"ASCII\x00\x00\x00" + m["user_comment"].encode()),
    }
    rational = struct.pack(">IIII", 51, 1, 30, 1) + GPS_BYTES
    gps = {
        0x0001: _ascii("N"), 0x0002: (5, rational), 0x0003: _ascii("W"), 0x0004: (5, rational),
        0x001C: (7, b"ASCII\x00\x00\x00" + m["gps_area"].encode()),
    }
    return _tiff(ifd0, exif, gps, thumbnail)


def xmp_packet(marker_key: str = "xmp") -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        f'photoshop:City="{MARKERS["xmp_city"]}"><dc:creator><rdf:Seq><rdf:li>{MARKERS[marker_key]}</rdf:li>'
        '</rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def iptc_block() -> bytes:
    def dataset(number: int, text: str) -> bytes:
        raw = text.encode()
        return b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(raw)) + raw

    iptc = dataset(80, MARKERS["iptc"]) + dataset(90, MARKERS["iptc_city"])
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    if len(iptc) & 1:
        resource += b"\x00"
    return b"Photoshop 3.0\x00" + resource


def marked_icc_profile() -> bytes:
    """The sRGB profile renamed so its description carries a UTF-16 marker (and is not 'sRGB')."""
    raw = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return raw.replace("sRGB".encode("utf-16-be"), MARKERS["icc"].encode("utf-16-be"), 1)


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def plain_jpeg(im: Image.Image, quality: int = 95) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def thumbnail_jpeg() -> bytes:
    """A thumbnail that shows something else (all magenta), marked in its own comment."""
    raw = plain_jpeg(Image.new("RGB", (16, 12), (255, 0, 255)), quality=80)
    return raw[:2] + _segment(0xFE, MARKERS["thumbnail"].encode()) + raw[2:]


def jpeg_with_everything(orientation: int = 1, *, icc: bool = False) -> bytes:
    """EXIF (GPS, serial, owner, times, maker notes, thumbnail), XMP, IPTC, comment, a
    multi-picture index, a second image and motion-photo data after EOI; optionally an ICC
    profile (which sends the picture down the colour-managed path)."""
    base = plain_jpeg(stored_for(orientation))
    profile = [_segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + marked_icc_profile())] if icc else []
    segments = b"".join([
        _segment(0xE1, b"Exif\x00\x00" + exif_block(orientation, thumbnail_jpeg())),
        _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet()),
        *profile,
        _segment(0xE2, b"MPF\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"),
        _segment(0xED, iptc_block()),
        _segment(0xFE, MARKERS["comment"].encode()),
        _segment(0xFE, MARKERS["comment"].encode("utf-16-le")),
    ])
    second = plain_jpeg(Image.new("RGB", (24, 16), (0, 255, 255)))
    second = second[:2] + _segment(0xFE, MARKERS["second_image"].encode()) + second[2:]
    motion = struct.pack(">I4s4s", 16, b"ftyp", b"mp42") + b"\x00" * 4 + MARKERS["motion"].encode()
    return base[:2] + segments + base[2:] + second + motion + MARKERS["trailer"].encode()


def png_with_everything(orientation: int = 1) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", MARKERS["png_text"])
    info.add_itxt("Description", MARKERS["png_itxt"], lang="en", tkey="Description")
    info.add_text("Comment", MARKERS["png_text"] + "-z", zip=True)
    buf = io.BytesIO()
    stored_for(orientation).save(buf, format="PNG", pnginfo=info, exif=exif_block(orientation),
                                 icc_profile=marked_icc_profile())
    raw = buf.getvalue()
    time_chunk = _png_chunk(b"tIME", struct.pack(">HBBBBB", 2019, 7, 14, 9, 41, 27))
    at = raw.index(b"IDAT") - 4
    return raw[:at] + time_chunk + raw[at:] + MARKERS["trailer"].encode()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


GIF_DURATIONS = [100, 250, 400]
GIF_COLOURS = [(220, 30, 30), (30, 200, 40), (30, 40, 220)]


def gif_with_everything() -> bytes:
    """Three frames with their own timings, a comment, an XMP block, plain text, trailing data."""
    frames = [Image.new("RGB", (WIDTH, HEIGHT), c) for c in GIF_COLOURS]
    for frame in frames:
        frame.paste((255, 255, 255), (0, 0, 8, 8))  # a white mark in the top-left corner
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=GIF_DURATIONS, loop=0,
                   comment=MARKERS["gif_comment"].encode())
    raw = buf.getvalue()
    table = 3 * (2 << (raw[10] & 7)) if raw[10] & 0x80 else 0
    at = 13 + table
    xmp = b"!\xff\x0bXMP DataXMP" + _sub_blocks(xmp_packet("gif_xmp")) + b"\x00"
    plain = b"!\x01\x0c" + b"\x00" * 12 + _sub_blocks(MARKERS["gif_plain"].encode()) + b"\x00"
    return raw[:at] + xmp + plain + raw[at:] + MARKERS["trailer"].encode()


def _sub_blocks(data: bytes) -> bytes:
    return b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255))


def webp_with_everything(orientation: int = 1, *, lossless: bool = False) -> bytes:
    buf = io.BytesIO()
    stored_for(orientation).save(buf, format="WEBP", lossless=lossless, quality=95,
                                 exif=b"Exif\x00\x00" + exif_block(orientation), xmp=xmp_packet("webp_xmp"),
                                 icc_profile=marked_icc_profile())
    return buf.getvalue() + MARKERS["trailer"].encode()


def animated_webp() -> bytes:
    frames = [Image.new("RGB", (WIDTH, HEIGHT), c) for c in GIF_COLOURS]
    buf = io.BytesIO()
    frames[0].save(buf, format="WEBP", save_all=True, append_images=frames[1:], duration=GIF_DURATIONS, loop=0,
                   lossless=True, exif=b"Exif\x00\x00" + exif_block(1), xmp=xmp_packet("webp_xmp"))
    return buf.getvalue()


def heic_with_everything(orientation: int = 6) -> bytes:
    """HEIC with EXIF (GPS, serial...), XMP, a thumbnail, the container rotation and a second image."""
    import pillow_heif

    heif = pillow_heif.from_pillow(stored_for(orientation))
    heif.add_from_pillow(Image.new("RGB", (32, 24), (0, 255, 255)))
    buf = io.BytesIO()
    heif.save(buf, quality=90, exif=b"Exif\x00\x00" + exif_block(orientation), xmp=xmp_packet(),
              thumbnails=[32], primary_index=0)
    return buf.getvalue()


# --- videos --------------------------------------------------------------------------------

VIDEO_FRAMES = 30
VIDEO_RATE = 30


def _video_frames(width: int, height: int):
    import av

    stored = np.asarray(upright_picture((width, height)))
    for i in range(VIDEO_FRAMES):
        frame = av.VideoFrame.from_ndarray(stored, format="rgb24")
        frame.pts = i
        yield frame


def write_clip(path: Path, *, fmt: str, codec: str = "libx264", rotation: int = 0, tagged: bool = True,
               extra_audio: bool = False, width: int = WIDTH, height: int = HEIGHT, frames: int = VIDEO_FRAMES) -> Path:
    """A short clip with audio; tagged=True adds every container, stream and chapter tag."""
    import av

    m = MARKERS
    options = {"movflags": "use_metadata_tags"} if tagged else {}
    with av.open(str(path), "w", format=fmt, options=options) as out:
        if tagged:
            out.metadata.update({
                "title": m["title"], "comment": m["video_comment"], "creation_time": m["creation_year"],
                "com.apple.quicktime.location.ISO6709": m["location"], "com.apple.quicktime.make": m["apple_make"],
                "com.apple.quicktime.model": m["apple_model"], "com.apple.quicktime.software": m["apple_software"],
                "com.apple.quicktime.creationdate": m["creation_year"],
            })
        video = out.add_stream(codec, rate=VIDEO_RATE)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if codec == "libx265":
            video.codec_tag = "hvc1"
            video.options = {"x265-params": "log-level=none"}
        if rotation:
            # FFmpeg counts counter-clockwise; a player turns the picture clockwise by `rotation`.
            video.set_display_rotation(-rotation % 360)
        audios = [out.add_stream("aac", rate=44100) for _ in range(2 if extra_audio else 1)]
        if tagged:
            video.metadata.update({"handler_name": m["video_handler"], "timecode": "09:41:27:00",
                                   "creation_time": m["creation_year"]})
            for audio in audios:
                audio.metadata.update({"handler_name": m["audio_handler"], "creation_time": m["creation_year"]})
            out.set_chapters([{"id": 1, "start": 0, "end": VIDEO_FRAMES // 2,
                               "time_base": fractions.Fraction(1, VIDEO_RATE), "metadata": {"title": m["chapter"]}}])
        for i, frame in enumerate(_video_frames(width, height)):
            if i >= frames:
                break
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for audio in audios:
            _write_audio(out, audio, seconds=frames / VIDEO_RATE)
    return path


def _write_audio(out, stream, seconds: float) -> None:
    import av

    samples = int(44100 * seconds)
    for start in range(0, samples, 1024):
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 44100, start
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def add_udta(path: Path) -> Path:
    """Append a QuickTime user-data box (©xyz location, ©mak, ©aut) to a moov at the end of the file."""
    data = bytearray(path.read_bytes())
    pos = 0
    while pos < len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        if kind == b"moov":
            break
        pos += size
    assert pos + size == len(data), "moov must be the last box"

    def text_atom(kind: bytes, text: str) -> bytes:
        raw = text.encode()
        body = struct.pack(">HH", len(raw), 0x15C7) + raw
        return struct.pack(">I", 8 + len(body)) + kind + body

    atoms = (text_atom(b"\xa9xyz", MARKERS["udta_location"]) + text_atom(b"\xa9mak", MARKERS["udta_make"])
             + text_atom(b"\xa9aut", MARKERS["udta_author"]))
    udta = struct.pack(">I", 8 + len(atoms)) + b"udta" + atoms
    struct.pack_into(">I", data, pos, size + len(udta))
    path.write_bytes(bytes(data) + udta)
    return path


# --- the corpus: every file built once per test session, on first use -----------------------

class Corpus:
    """Files by name, built lazily into one folder shared by the whole test session."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def __getitem__(self, name: str) -> Path:
        path = self.folder / name
        if not path.exists():
            builder = BUILDERS[name]
            tmp = path.with_name(f".{name}.building")
            result = builder(tmp)
            if isinstance(result, bytes):
                tmp.write_bytes(result)
            tmp.replace(path)
        return path


def _bytes(make):
    return lambda tmp: make()


def _clip(**kwargs):
    return lambda tmp: write_clip(tmp, **kwargs)


def _png_bomb() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 60001 * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _gif_bomb() -> bytes:
    raw = bytearray(gif_with_everything())
    struct.pack_into("<HH", raw, 6, 12000, 12000)  # three frames on a 12000x12000 screen
    return bytes(raw)


def _jpeg_declaring(width: int, height: int) -> bytes:
    raw = bytearray(plain_jpeg(upright_picture()))
    at = raw.index(b"\xff\xc0")
    struct.pack_into(">HH", raw, at + 5, height, width)
    return bytes(raw)


def _truncated(name: str, keep: float):
    def build(tmp: Path) -> bytes:
        source = CORPUS_SOURCES[name]()
        return source[: int(len(source) * keep)]
    return build


def _flip_png_byte() -> bytes:
    raw = bytearray(plain_png())
    at = raw.index(b"IDAT") + 8
    raw[at] ^= 0xFF
    return bytes(raw)


def plain_png() -> bytes:
    buf = io.BytesIO()
    upright_picture().save(buf, format="PNG")
    return buf.getvalue()


def _faststart_clip() -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        import av

        with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            video = out.add_stream("libx264", rate=VIDEO_RATE)
            video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
            for frame in _video_frames(WIDTH, HEIGHT):
                out.mux(video.encode(frame))
            out.mux(video.encode(None))
        return path.read_bytes()


def _polyglot_zip() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("payload.html", "<p>hello</p>")
    return plain_jpeg(upright_picture()) + buf.getvalue()


CORPUS_SOURCES = {
    "jpeg": lambda: jpeg_with_everything(1), "png": plain_png, "gif": gif_with_everything,
    "webp": lambda: webp_with_everything(1), "heic": lambda: heic_with_everything(6), "mp4": _faststart_clip,
}

BUILDERS = {
    # photos carrying everything, at each orientation the issue names
    "everything.jpg": _bytes(lambda: jpeg_with_everything(1, icc=True)),
    "orientation_6_icc_profile.jpg": _bytes(lambda: jpeg_with_everything(6, icc=True)),
    "orientation_3.jpg": _bytes(lambda: jpeg_with_everything(3)),
    "orientation_6.jpg": _bytes(lambda: jpeg_with_everything(6)),
    "orientation_8.jpg": _bytes(lambda: jpeg_with_everything(8)),
    "everything.png": _bytes(lambda: png_with_everything(1)),
    "orientation_8.png": _bytes(lambda: png_with_everything(8)),
    "animated_everything.gif": _bytes(gif_with_everything),
    "everything_lossy.webp": _bytes(lambda: webp_with_everything(1)),
    "orientation_6_lossless.webp": _bytes(lambda: webp_with_everything(6, lossless=True)),
    "animated_everything.webp": _bytes(animated_webp),
    "orientation_6_thumbnail_second_image.heic": _bytes(lambda: heic_with_everything(6)),
    "everything_upright.heic": _bytes(lambda: heic_with_everything(1)),
    # videos carrying everything
    "gps_in_keys_udta_rotated_90.mov": lambda tmp: add_udta(write_clip(tmp, fmt="mov", rotation=90,
                                                                       extra_audio=True)),
    "tagged_hevc_rotated_180.mp4": _clip(fmt="mp4", codec="libx265", rotation=180),
    "untagged_h264.mp4": _clip(fmt="mp4", tagged=False),
    # hostile and broken files
    "zero_bytes.jpg": _bytes(lambda: b""),
    "truncated.jpg": _truncated("jpeg", 0.5),
    "truncated_in_scan.jpg": _bytes(lambda: plain_jpeg(upright_picture())[:-40]),
    "truncated.png": _truncated("png", 0.6),
    "truncated.gif": _truncated("gif", 0.5),
    "truncated.webp": _truncated("webp", 0.6),
    "truncated.heic": _truncated("heic", 0.6),
    "truncated.mp4": _truncated("mp4", 0.6),
    "corrupt_checksum.png": _bytes(_flip_png_byte),
    "decompression_bomb.png": _bytes(_png_bomb),
    "decompression_bomb.gif": _bytes(_gif_bomb),
    "declares_30000x30000.jpg": _bytes(lambda: _jpeg_declaring(30000, 30000)),
    "svg_named.jpg": _bytes(lambda: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
                                    b'<script>alert(1)</script></svg>'),
    "html_named.png": _bytes(lambda: b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"),
    "shell_script.gif": _bytes(lambda: b"#!/bin/sh\necho owned\n"),
    "jpeg_with_script_comment.jpg": _bytes(lambda: (lambda raw: raw[:2] + _segment(
        0xFE, b"<script>alert(document.cookie)</script>") + raw[2:])(plain_jpeg(upright_picture()))),
    "jpeg_then_zip.jpg": _bytes(_polyglot_zip),
    "pdf_in_png.png": _bytes(lambda: plain_png()[:33] + _png_chunk(b"tEXt", b"x\x00%PDF-1.4 obj") + plain_png()[33:]),
    "random_bytes.jpg": _bytes(lambda: bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8))),
    "avif_brand.heic": _bytes(lambda: struct.pack(">I4s4sI4s", 20, b"ftyp", b"avif", 0, b"avif") + b"\x00" * 64),
    "tiff_image.jpg": _bytes(lambda: (lambda b: (upright_picture().save(b, format="TIFF"), b.getvalue())[1])(
        io.BytesIO())),
}
