"""Re-read a written file and refuse it if anything outside its format's allowlist is left."""
from __future__ import annotations

import logging
from pathlib import Path

import exifread

from gatekeeper.media.base import MediaType, MetadataLeft, Refused
from gatekeeper.media.containers import gif, jpeg, mp4, png, webp
from gatekeeper.media.sniffing import HEAD_BYTES, sniff

_PHOTO_CHECKS = {
    MediaType.JPEG: jpeg.check_clean,
    MediaType.PNG: png.check_clean,
    MediaType.GIF: gif.check_clean,
    MediaType.WEBP: webp.check_clean,
}


def verify_file(path: Path) -> None:
    """Raise MetadataLeft when the file holds anything outside its allowlist, Refused when it
    is not a type this service writes."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    media_type = sniff(head)
    if media_type is MediaType.MP4:
        found = mp4.check_clean(path)
    elif media_type in _PHOTO_CHECKS:
        data = path.read_bytes()
        found = _PHOTO_CHECKS[media_type](data) + _exifread_tags(path)
    else:
        raise Refused("The file is not a photo or video type that the sanitiser writes.")
    if found:
        raise MetadataLeft("The cleaned file still holds " + "; ".join(dict.fromkeys(found)) + ".")


def _exifread_tags(path: Path) -> list[str]:
    """A second, independent reader: exifread must find no tag at all in a clean picture."""
    logger = logging.getLogger("exifread")
    level = logger.level
    logger.setLevel(logging.ERROR)  # it warns on every file without EXIF, which is every clean file
    try:
        with open(path, "rb") as fh:
            tags = exifread.process_file(fh, details=True)
    except Exception as exc:  # noqa: BLE001 - exifread raises bare errors on unusual files
        return [f"something exifread cannot parse ({exc.__class__.__name__})"]
    finally:
        logger.setLevel(level)
    return [f"EXIF tag {name}" for name in tags]
