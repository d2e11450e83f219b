"""render() and output_kind(): one rendition per item and channel kind, from the sanitised file."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from PIL import Image

from gatekeeper.media.base import Kind, MediaType
from gatekeeper.media.rendition import stills
from gatekeeper.media.rendition.animations import render_animation
from gatekeeper.media.rendition.base import PHOTO_LONG_SIDE, VIDEO_LONG_SIDE, Rendition, RenditionError
from gatekeeper.media.rendition.videos import Written, render_video
from gatekeeper.media.sniffing import HEAD_BYTES, sniff

# What sanitize_file writes, and the Pillow decoder each picture type may use.
_PICTURES = {MediaType.JPEG: "JPEG", MediaType.PNG: "PNG", MediaType.GIF: "GIF", MediaType.WEBP: "WEBP"}
_OUTPUT = {Kind.PHOTO: ("image/jpeg", "jpg"), Kind.VIDEO: ("video/mp4", "mp4")}


def _media_type(src: Path) -> MediaType:
    try:
        with open(src, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise RenditionError(f"The file cannot be read ({exc.strerror or exc}).") from None
    media_type = sniff(head)
    if media_type not in _PICTURES and media_type is not MediaType.MP4:
        raise RenditionError("The file is not a photo or video type the sanitiser writes (JPEG, PNG, GIF, WebP, MP4).")
    return media_type


def _frame_count(im: Image.Image) -> int:
    try:
        return getattr(im, "n_frames", 1)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise RenditionError(f"The animation data is corrupt or cut short ({exc}).") from None


def output_kind(src: Path) -> Kind:
    """PHOTO for a still picture, VIDEO for a video or an animated picture; raises RenditionError."""
    src = Path(src)
    media_type = _media_type(src)
    if media_type is MediaType.MP4:
        return Kind.VIDEO
    with stills.open_picture(src, _PICTURES[media_type]) as im:
        return Kind.VIDEO if _frame_count(im) > 1 else Kind.PHOTO


def render(src: Path, dst_dir: Path, *, photo_side: int = PHOTO_LONG_SIDE, video_side: int = VIDEO_LONG_SIDE,
           keep_audio: bool = False, stem: str = "rendition") -> Rendition:
    """Write src's rendition as dst_dir/<stem>.jpg or .mp4; raises RenditionError and then
    leaves nothing behind in dst_dir."""
    src, dst_dir = Path(src), Path(dst_dir)
    if not stem or Path(stem).name != stem or stem.startswith("."):
        raise ValueError(f"stem must be a plain file name, not {stem!r}")
    partial = dst_dir / f".{stem}.{secrets.token_hex(6)}.partial"
    try:
        kind, written = _render_to(src, partial, photo_side, video_side, keep_audio)
        mime, extension = _OUTPUT[kind]
        final = dst_dir / f"{stem}.{extension}"
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    duration = float(written.frames / written.rate) if kind is Kind.VIDEO else None
    return Rendition(path=final, kind=kind, mime=mime, extension=extension, width=written.width,
                     height=written.height, duration=duration, frames=written.frames,
                     fps=float(written.rate) if kind is Kind.VIDEO else None, has_audio=written.has_audio,
                     notes=tuple(dict.fromkeys(written.notes)))


def _render_to(src: Path, dst: Path, photo_side: int, video_side: int, keep_audio: bool) -> tuple[Kind, Written]:
    media_type = _media_type(src)
    if media_type is MediaType.MP4:
        return Kind.VIDEO, render_video(src, dst, video_side, keep_audio)
    with stills.open_picture(src, _PICTURES[media_type]) as im:
        if _frame_count(im) > 1:
            return Kind.VIDEO, render_animation(im, dst, video_side)
        notes: list[str] = []
        stills.draft_jpeg(im, photo_side, notes)
        picture = stills.prepare(stills.load(im), photo_side, notes)
        stills.write_jpeg(picture, dst)
    return Kind.PHOTO, Written(picture.width, picture.height, 1, 0, False, notes)
