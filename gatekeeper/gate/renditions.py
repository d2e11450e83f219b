"""Which rendition each channel gets, and making, storing and finding an item's renditions.

A rendition is the exact file a channel receives: the engine analyses it, the Manager sees it,
the approval hashes it and the publisher writes it. Channels of one size share one rendition.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from consent_db.models import Channel, MediaItem, Rendition
from gatekeeper.gate.items import file_sha256
from gatekeeper.media.base import Kind
from gatekeeper.media.rendition import (PHOTO_LONG_SIDE, VIDEO_LONG_SIDE, RenditionError, output_kind, render,
                                        verify_rendition)
from gatekeeper.media.rendition import Rendition as Made
from gatekeeper.storage.base import QuarantineError, QuarantineStore

log = logging.getLogger(__name__)
DEFAULT_SIDES = {Kind.PHOTO: PHOTO_LONG_SIDE, Kind.VIDEO: VIDEO_LONG_SIDE}

__all__ = ["DEFAULT_SIDES", "Made", "RenditionError", "Stored", "channel_profile", "make_renditions",
           "primary_rendition", "profile_key", "rendition_for", "store_key", "sides_needed", "verify_rendition"]


def profile_key(kind: Kind | str, side: int) -> str:
    """The name of a rendition's profile, e.g. 'photo2048'."""
    return f"{Kind(kind).value}{int(side)}"


def channel_profile(channel: Channel, kind: Kind | str) -> str:
    """The profile a channel receives items of this output kind in."""
    kind = Kind(kind)
    return profile_key(kind, channel.rendition_side or DEFAULT_SIDES[kind])


def sides_needed(kind: Kind, channel_sides: Iterable[int | None]) -> list[int]:
    """Every longest side the setting's channels ask for; the default always, so the Manager can look."""
    return sorted({DEFAULT_SIDES[kind]} | {int(side) for side in channel_sides if side})


def store_key(public_id: str, sha256: str) -> str:
    """The quarantine key of a rendition: bound to its bytes, so a re-render never overwrites an approved one."""
    return f"{public_id}_r{sha256[:24]}"


def rendition_for(item: MediaItem, channel: Channel) -> Rendition | None:
    """The rendition this channel would receive, or None when the item has none for its size yet."""
    if not item.renditions:
        return None
    profile = channel_profile(channel, item.renditions[0].kind)
    return next((r for r in item.renditions if r.profile == profile), None)


def primary_rendition(item: MediaItem) -> Rendition | None:
    """The rendition the Manager looks at: the default size, else the first made."""
    if not item.renditions:
        return None
    kind = Kind(item.renditions[0].kind)
    default = profile_key(kind, DEFAULT_SIDES[kind])
    return next((r for r in item.renditions if r.profile == default), item.renditions[0])


@dataclass(frozen=True)
class Stored:
    """A rendition made, verified and sealed into the quarantine."""

    profile: str
    made: Made
    sha256: str
    size_bytes: int
    key: str


def make_renditions(store: QuarantineStore, public_id: str, source: Path, scratch: Path, *,
                    channel_sides: Iterable[int | None], keep_audio: bool) -> list[Stored]:
    """Render the clean original once per size needed, verify each and seal it into the quarantine.

    Raises RenditionError (the item cannot be shown as anything) or QuarantineError.
    """
    kind = output_kind(source)
    stored: list[Stored] = []
    try:
        for side in sides_needed(kind, channel_sides):
            folder = scratch / f"rendition-{side}"
            folder.mkdir()
            made = render(source, folder, photo_side=side, video_side=side, keep_audio=keep_audio)
            verify_rendition(made.path, made.kind)
            digest = file_sha256(made.path)
            key = store_key(public_id, digest)
            store.put(key, made.path)
            stored.append(Stored(profile_key(made.kind, side), made, digest, made.path.stat().st_size, key))
    except (RenditionError, QuarantineError):
        discard(store, {s.key for s in stored})
        raise
    return stored


def discard(store: QuarantineStore, keys: Iterable[str]) -> None:
    """Delete sealed renditions no row points at any more; a failure is only logged (the object stays sealed)."""
    for key in keys:
        try:
            store.delete(key)
        except QuarantineError:
            log.warning("could not delete the stale rendition %s; it stays sealed in the quarantine", key)
