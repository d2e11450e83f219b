"""GIF: every frame re-encoded from pixels with its timing; comments and extensions dropped."""
from __future__ import annotations

from pathlib import Path

from gatekeeper.media import pictures
from gatekeeper.media.base import Cleaned, Handler, Kind, Limits, MediaType
from gatekeeper.media.containers import BrokenFile, gif
from gatekeeper.media.formats import refuse_broken, unique


class GifHandler(Handler):
    accepts = MediaType.GIF
    produces = MediaType.GIF
    kind = Kind.PHOTO
    keeps = gif.CLEAN_BLOCKS

    def clean(self, data: bytes, src: Path, dst: Path, limits: Limits) -> Cleaned:
        try:
            layout = gif.walk(data)
        except BrokenFile as exc:
            raise refuse_broken(exc) from None
        # Not the logical screen alone: a frame declared larger than it would be decoded at its own size.
        width, height = gif.canvas_size(data, layout)
        count = sum(1 for b in layout.blocks if b.kind == "image")
        if count == 0:
            raise refuse_broken(BrokenFile("it holds no frames"))
        pictures.check_pixels(width, height, count, limits)
        frames = pictures.decode_frames(pictures.open_strict(data, "GIF"))
        with open(dst, "wb") as out:
            pictures.save_gif(frames, out)
        w, h = frames.size
        return Cleaned(Kind.PHOTO, MediaType.GIF, w, h, removed=describe(layout, len(data)))


def describe(layout: gif.GifLayout, size: int) -> tuple[str, ...]:
    removed = []
    for block in layout.blocks:
        if block.kind in gif.CLEAN_BLOCKS:
            continue
        if block.kind.startswith("application 'XMP Data"):
            removed.append("XMP block")
        else:
            removed.append(f"{block.kind} block")
    if layout.end < size:
        removed.append(f"{size - layout.end} bytes after the end of the picture")
    return unique(removed)
