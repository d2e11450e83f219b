"""The front door: sniff, check limits, hand to the one handler for the type, verify the
result, and only then give the clean file its name. A refusal leaves nothing behind."""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from gatekeeper.media import video
from gatekeeper.media.base import DEFAULT_LIMITS, Handler, Kind, Limits, Refused, SanitisedMedia
from gatekeeper.media.registry import REGISTRY
from gatekeeper.media.sniffing import looks_like_markup, second_format, sniff
from gatekeeper.media.verify import verify_file

log = logging.getLogger(__name__)

_SNIFF_BYTES = 4096
_VIDEO_SCAN_BYTES = 65_536


def sanitize_file(src: Path, dst_dir: Path, limits: Limits = DEFAULT_LIMITS, *, stem: str) -> SanitisedMedia:
    """Write a clean copy of src into dst_dir as stem + extension; raises Refused (and writes
    nothing) when the file is unknown, over a limit, broken, or cannot be made clean."""
    src, dst_dir = Path(src), Path(dst_dir)
    _check_stem(stem)
    handler, data = _admit(src, limits)
    dst = dst_dir / f"{stem}{handler.extension}"
    cleaned = _write_verified(dst, lambda tmp: handler.clean(data, src, tmp, limits))
    return SanitisedMedia(
        kind=cleaned.kind, mime=cleaned.produces.mime, extension=handler.extension, path=dst,
        width=cleaned.width, height=cleaned.height, duration=cleaned.duration,
        has_audio=cleaned.has_audio, removed=cleaned.removed,
    )


def without_audio(src: Path, dst: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Write dst as src (a sanitised MP4) with only its video stream; raises Refused."""
    src, dst = Path(src), Path(dst)
    verify_file(src)
    _write_verified(dst, lambda tmp: video.remux(src, tmp, limits, keep_audio=False))


def _check_stem(stem: str) -> None:
    if not stem or stem.startswith(".") or any(c in stem for c in "/\\\x00") or len(stem) > 200:
        raise ValueError(f"output stem {stem!r} must be a plain file name")


def _admit(src: Path, limits: Limits) -> tuple[Handler, bytes | None]:
    """The handler for src's real type, and its bytes for a photo; raises Refused."""
    try:
        size = src.stat().st_size
        with open(src, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise Refused(f"The file cannot be read ({exc.strerror or exc}).") from None
    if size == 0:
        raise Refused("The file is empty.")
    if size > limits.max_bytes:
        raise Refused(f"The file is {_mib(size)}, over the limit of {_mib(limits.max_bytes)}.")
    media_type = sniff(head)
    handler = REGISTRY.get(media_type) if media_type else None
    if handler is None:
        if looks_like_markup(head):
            raise Refused("The file is SVG, HTML or script text, not a photo or video.")
        raise Refused("The file is not a photo or video in a format this service accepts.")
    if handler.kind is Kind.VIDEO:
        _refuse_polyglot(_ends(src, size), media_type.name)
        return handler, None
    if size > limits.max_photo_bytes:
        raise Refused(f"The photo is {_mib(size)}, over the limit of {_mib(limits.max_photo_bytes)}.")
    data = src.read_bytes()
    _refuse_polyglot(data, media_type.name)
    return handler, data


def _ends(src: Path, size: int) -> bytes:
    with open(src, "rb") as fh:
        head = fh.read(_VIDEO_SCAN_BYTES)
        fh.seek(max(size - _VIDEO_SCAN_BYTES, len(head)))
        return head + fh.read()


def _refuse_polyglot(data: bytes, type_name: str) -> None:
    other = second_format(data)
    if other:
        raise Refused(f"The file is a {type_name} that is also {other} (a polyglot), so it is refused.")


def _write_verified(dst: Path, write) -> object:
    """Run write(tmp), verify tmp, then rename it to dst; on any failure remove tmp and raise."""
    fd, tmp_name = tempfile.mkstemp(dir=dst.parent, prefix=".sanitising-", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            result = write(tmp)
        except Refused:
            raise
        except Exception as exc:  # noqa: BLE001 - hostile input may trip any decoder bug: fail closed
            log.exception("sanitising crashed")
            raise Refused(f"The file could not be processed safely ({exc.__class__.__name__}).") from exc
        verify_file(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MiB"
