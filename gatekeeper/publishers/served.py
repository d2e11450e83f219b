"""Channels the gatekeeper shows itself (the entrance display, the family gallery): no copy is written.

Publishing only records the publication; the web layer serves the approved rendition from the
quarantine, re-checking consent and approval through the gate on every request. Taking down is
ending the publication row, which stops serving at once, so there is nothing to remove here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from gatekeeper.publishers.base import PublishedRef, Publisher
from gatekeeper.publishers.kinds import ChannelKind, Takeback, TargetField

MIN_SLIDE_SECONDS = 3
MAX_SLIDE_SECONDS = 600


class ServedPublisher(Publisher):
    """Records, never copies: the gatekeeper serves the approved rendition while consent holds."""

    can_take_back = Takeback.ALWAYS

    def __init__(self, kind: str, settings: Mapping[str, Any] | None = None):
        self.kind = kind
        self.settings = dict(settings or {})

    def ref_for(self, object_name: str) -> PublishedRef:
        return PublishedRef(object_name=object_name, location=f"served by the gatekeeper ({self.kind})")

    def _publish(self, source: Path, object_name: str, content_type: str) -> PublishedRef:
        return self.ref_for(object_name)

    def _remove(self, object_name: str) -> None:
        # Serving stops when the publication ends; no copy exists anywhere to remove.
        return None

    def _exists(self, object_name: str) -> bool:
        return False

    def check(self) -> None:
        return None

    def describe(self) -> str:
        return f"served by the gatekeeper itself ({self.kind}; consent re-checked on every request)"


def _slide_seconds(value: int) -> str | None:
    if not MIN_SLIDE_SECONDS <= value <= MAX_SLIDE_SECONDS:
        return f"seconds_per_picture must be between {MIN_SLIDE_SECONDS} and {MAX_SLIDE_SECONDS}"
    return None


def display_from_target(target: Mapping[str, Any]) -> ServedPublisher:
    """From {"kind": "display", "seconds_per_picture": 8}; raises InvalidTarget."""
    return ServedPublisher("display", DISPLAY.read(target))


def gallery_from_target(target: Mapping[str, Any]) -> ServedPublisher:
    """From {"kind": "family_gallery"}; raises InvalidTarget."""
    return ServedPublisher("family_gallery", FAMILY_GALLERY.read(target))


DISPLAY = ChannelKind(
    name="display", label="Entrance display (a screen paired with the gatekeeper)",
    where="on the screen in the setting's entrance, shown by the gatekeeper while consent holds",
    takeback=Takeback.ALWAYS, make=display_from_target, served=True,
    fields=(TargetField("seconds_per_picture", "Seconds per picture", type=int, check=_slide_seconds,
                        help=f"{MIN_SLIDE_SECONDS} to {MAX_SLIDE_SECONDS}; 8 when empty"),),
)

FAMILY_GALLERY = ChannelKind(
    name="family_gallery", label="Family gallery (parents see photos of their own child)",
    where=("in the private family gallery: only the parents and carers of a child in the photo see it, "
           "after signing in"),
    takeback=Takeback.ALWAYS, make=gallery_from_target, served=True,
)
