"""The quarantined bytes of an item, and small thumbnails, for people allowed to see them.

Nothing here holds a whole video in memory: the file is streamed in verified chunks, and
thumbnails and frames are decoded from a private temporary copy in the work folder that is
removed as soon as the picture is made.
"""
from __future__ import annotations

import io
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import av
from PIL import Image, ImageOps

from gatekeeper.gate.context import GateContext
from gatekeeper.gate.errors import NotInQuarantine
from gatekeeper.gate.items import get_item
from gatekeeper.gate.renditions import primary_rendition, store_key
from gatekeeper.storage.base import ItemNotFound, PlaintextChunks


@dataclass(frozen=True)
class ItemFacts:
    """What a reader needs to know about what the Manager sees of an item (its primary rendition)."""

    key: str  # the rendition's quarantine key
    mime: str
    kind: str  # "photo" or "video": an animated picture is shown as a video
    extension: str
    size: int | None  # plaintext bytes, when recorded


def item_facts(ctx: GateContext, public_id: str, *, setting_id: int | None) -> ItemFacts:
    """The viewed rendition's key, type and size; raises UnknownItem, or NotInQuarantine before it is made."""
    with ctx.sessions() as session:
        item = get_item(session, public_id, setting_id=setting_id)
        rendition = primary_rendition(item)
        if rendition is None or item.purged_at is not None:
            raise NotInQuarantine(f"item {public_id} has no prepared copy to show")
        return ItemFacts(key=store_key(public_id, rendition.sha256), mime=rendition.mime, kind=rendition.kind,
                         extension=rendition.extension, size=rendition.size_bytes)


def item_bytes(ctx: GateContext, public_id: str, *, setting_id: int | None) -> tuple[bytes, str]:
    """The viewed rendition in memory and its type, for photos; raises UnknownItem or NotInQuarantine."""
    facts = item_facts(ctx, public_id, setting_id=setting_id)
    try:
        return ctx.store.open_bytes(facts.key), facts.mime
    except ItemNotFound:
        raise NotInQuarantine(f"item {public_id} is no longer held in quarantine") from None


class StreamLengthMismatch(Exception):
    """The stored file is not as long as recorded (replaced while it was read); the stream stops."""


def item_chunks(ctx: GateContext, key: str, *, start: int = 0, stop: int | None = None,
                expected: int | None = None) -> "ExactLength":
    """The quarantined file from start (to stop, or its end) as verified chunks; close it when done.

    expected is the position the stream must end at exactly (the recorded size, or stop): reading
    raises StreamLengthMismatch rather than end cleanly anywhere else. Raises NotInQuarantine,
    QuarantineError or EnvelopeError before the first byte; iterating raises EnvelopeError where the
    stored object was cut or altered. Authorise first.
    """
    try:
        chunks = ctx.store.open_chunks(key, start=start, length=None if stop is None else stop - start)
    except ItemNotFound:
        raise NotInQuarantine(f"{key} is no longer held in quarantine") from None
    return ExactLength(chunks, None if expected is None else expected - start)


class ExactLength:
    """Chunks passed through that raise, instead of ending, when they are not exactly `expected`
    bytes: a client must never see a clean end of a body that is not the whole file. A class, not
    a generator, so that close() releases the stored file even when the body was never read."""

    def __init__(self, chunks: PlaintextChunks, expected: int | None):
        self._chunks = chunks
        self._expected = expected
        self._sent = 0

    def __iter__(self) -> "ExactLength":
        return self

    def __next__(self) -> bytes:
        try:
            piece = next(self._chunks)
        except StopIteration:
            if self._expected is not None and self._sent != self._expected:
                raise StreamLengthMismatch(f"the stored file ended after {self._sent} of {self._expected} bytes")
            raise
        self._sent += len(piece)
        if self._expected is not None and self._sent > self._expected:
            self.close()
            raise StreamLengthMismatch(f"the stored file is longer than the {self._expected} bytes recorded")
        return piece

    def close(self) -> None:
        self._chunks.close()


@contextmanager
def item_on_disk(ctx: GateContext, key: str, extension: str) -> Iterator[Path]:
    """A private plaintext copy of a quarantined object in the work folder, removed when the block ends."""
    with tempfile.TemporaryDirectory(dir=ctx.work_dir, prefix="view-") as scratch:
        path = Path(scratch) / f"clip.{extension or 'bin'}"
        try:
            ctx.store.fetch_to(key, path)
        except ItemNotFound:
            raise NotInQuarantine(f"{key} is no longer held in quarantine") from None
        yield path


def _first_frame(path: Path) -> Image.Image:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            picture = frame.to_image()
            # PyAV reports rotation counter-clockwise; PIL rotates counter-clockwise too.
            return picture.rotate(frame.rotation, expand=True) if frame.rotation else picture
    raise NotInQuarantine("the video has no frame to show")


def thumbnail(ctx: GateContext, public_id: str, max_side: int = 480, *, setting_id: int | None) -> bytes:
    """A JPEG no larger than max_side, the first frame for a video; raises UnknownItem or NotInQuarantine."""
    facts = item_facts(ctx, public_id, setting_id=setting_id)
    if facts.kind == "video":
        with item_on_disk(ctx, facts.key, facts.extension) as path:
            picture = _first_frame(path)
    else:
        data, _ = item_bytes(ctx, public_id, setting_id=setting_id)
        picture = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    picture = picture.convert("RGB")
    picture.thumbnail((max_side, max_side))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return out.getvalue()
