"""The quarantined bytes of an item, and small thumbnails, for people allowed to see them."""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

import av
from PIL import Image, ImageOps

from gatekeeper.gate.context import GateContext
from gatekeeper.gate.errors import NotInQuarantine
from gatekeeper.gate.items import get_item
from gatekeeper.gate.renditions import primary_rendition, store_key
from gatekeeper.storage.base import ItemNotFound


def viewed_rendition(session, public_id: str, *, setting_id: int | None) -> tuple[str, str, str]:
    """The quarantine key, type and kind of what the Manager sees: the item's primary rendition.

    Raises UnknownItem, or NotInQuarantine while the item has not been prepared for publishing.
    """
    item = get_item(session, public_id, setting_id=setting_id)
    rendition = primary_rendition(item)
    if rendition is None:
        raise NotInQuarantine(f"item {public_id} has not been prepared for viewing yet")
    return store_key(public_id, rendition.sha256), rendition.mime, rendition.kind


def item_bytes(ctx: GateContext, public_id: str, *, setting_id: int | None = None) -> tuple[bytes, str]:
    """The rendition the Manager sees and its type; raises UnknownItem or NotInQuarantine. Authorise first."""
    with ctx.sessions() as session:
        key, mime, _ = viewed_rendition(session, public_id, setting_id=setting_id)
    try:
        return ctx.store.open_bytes(key), mime
    except ItemNotFound:
        raise NotInQuarantine(f"item {public_id} is no longer held in quarantine") from None


def _first_frame(path: Path) -> Image.Image:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            picture = frame.to_image()
            # PyAV reports rotation counter-clockwise; PIL rotates counter-clockwise too.
            return picture.rotate(frame.rotation, expand=True) if frame.rotation else picture
    raise NotInQuarantine("the video has no frame to show")


def thumbnail(ctx: GateContext, public_id: str, max_side: int = 480, *, setting_id: int | None = None) -> bytes:
    """A JPEG no larger than max_side, the first frame for a video; raises UnknownItem or NotInQuarantine."""
    data, mime = item_bytes(ctx, public_id, setting_id=setting_id)
    if mime.startswith("video/"):
        with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
            path = Path(scratch) / "clip.mp4"
            path.write_bytes(data)
            picture = _first_frame(path)
    else:
        picture = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    picture = picture.convert("RGB")
    picture.thumbnail((max_side, max_side))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return out.getvalue()
