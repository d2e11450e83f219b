"""A still of a quarantined video at a given time, for showing the Manager the frames where faces were held."""
from __future__ import annotations

import io
from pathlib import Path

import av
from PIL import Image

from gatekeeper.gate.access import item_facts, item_on_disk
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.errors import GateError


class NoSuchFrame(GateError):
    """The video has no frame at that time (or cannot be decoded)."""


def _frame_at(path: Path, seconds: float) -> Image.Image:
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if stream.time_base:
                container.seek(int(max(0.0, seconds) / stream.time_base), stream=stream, backward=True)
            chosen = None
            for frame in container.decode(stream):
                chosen = frame
                if frame.time is not None and frame.time >= seconds - 1e-3:
                    break
    except (av.FFmpegError, IndexError) as exc:
        raise NoSuchFrame(f"the video cannot be read at {seconds:.1f} s ({exc.__class__.__name__})") from None
    if chosen is None or (chosen.time is not None and chosen.time < seconds - 1.0):
        raise NoSuchFrame(f"the video has no frame at {seconds:.1f} s")
    picture = chosen.to_image()
    return picture.rotate(chosen.rotation, expand=True) if chosen.rotation else picture


def frame_jpeg(ctx: GateContext, public_id: str, seconds: float, *, setting_id: int | None, max_side: int = 640) -> bytes:
    """A JPEG of the frame at `seconds`; raises UnknownItem, NotInQuarantine or NoSuchFrame."""
    facts = item_facts(ctx, public_id, setting_id=setting_id)
    if not facts.mime.startswith("video/"):
        raise NoSuchFrame("only videos have frames")
    with item_on_disk(ctx, facts.key, facts.extension) as path:
        picture = _frame_at(path, seconds).convert("RGB")
    picture.thumbnail((max_side, max_side))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return out.getvalue()
