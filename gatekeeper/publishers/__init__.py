"""Official channels' stores, chosen per channel by the target JSON on its row.

A new kind is one module declaring a Publisher subclass and a ChannelKind, plus one entry in KINDS.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from gatekeeper.publishers import facebook, local_folder, newsletter, s3, served, wordpress
from gatekeeper.publishers.base import InvalidTarget, Publisher
from gatekeeper.publishers.kinds import ChannelKind, Takeback, TargetField
from gatekeeper.publishers.targets import default_target, kind_of

KINDS: dict[str, ChannelKind] = {
    kind.name: kind for kind in (
        local_folder.KIND,
        s3.KIND,
        served.DISPLAY,
        served.FAMILY_GALLERY,
        wordpress.KIND,
        facebook.KIND,
        newsletter.KIND,
    )
}
# Kept for callers that only build publishers.
PUBLISHERS: dict[str, Callable[[Mapping[str, Any]], Publisher]] = {name: kind.make for name, kind in KINDS.items()}


def channel_kind(name: str) -> ChannelKind:
    """The registered kind of this name; raises InvalidTarget naming the known kinds."""
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        raise InvalidTarget(
            f"unknown channel target kind {name!r}; known kinds: {', '.join(sorted(KINDS))}") from None


def kind_of_target(target: Any) -> ChannelKind:
    """The kind a target names; raises InvalidTarget."""
    return channel_kind(kind_of(target))


def publisher_for(target: Mapping[str, Any]) -> Publisher:
    """The publisher a channel target names; raises InvalidTarget with a sentence saying what is wrong."""
    return kind_of_target(target).make(target)


def shown_target(target: Mapping[str, Any] | None) -> dict[str, Any]:
    """A target safe to show in pages, logs and command output: secrets hidden, even for unknown kinds."""
    if not target:
        return {}
    try:
        return kind_of_target(target).shown(target)
    except InvalidTarget:
        return {key: ("(hidden)" if key != "kind" else value) for key, value in dict(target).items()}


__all__ = ["KINDS", "PUBLISHERS", "ChannelKind", "Takeback", "TargetField", "channel_kind", "default_target",
           "kind_of_target", "publisher_for", "shown_target"]
