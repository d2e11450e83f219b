"""Official channels' stores, chosen per channel by the target JSON on its row."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from gatekeeper.publishers.base import InvalidTarget, Publisher
from gatekeeper.publishers.facebook import FacebookPagePublisher
from gatekeeper.publishers.local_folder import LocalFolderPublisher
from gatekeeper.publishers.newsletter import NewsletterPublisher
from gatekeeper.publishers.s3 import S3Publisher
from gatekeeper.publishers.targets import default_target, kind_of
from gatekeeper.publishers.wordpress import WordPressPublisher

PUBLISHERS: dict[str, Callable[[Mapping[str, Any]], Publisher]] = {
    "local": LocalFolderPublisher.from_target,
    "s3": S3Publisher.from_target,
    "wordpress": WordPressPublisher.from_target,
    "facebook": FacebookPagePublisher.from_target,
    "newsletter": NewsletterPublisher.from_target,
}


def publisher_for(target: Mapping[str, Any]) -> Publisher:
    """The publisher a channel target names; raises InvalidTarget with a sentence saying what is wrong."""
    kind = kind_of(target)
    try:
        make = PUBLISHERS[kind]
    except KeyError:
        raise InvalidTarget(
            f"unknown channel target kind {kind!r}; known kinds: {', '.join(sorted(PUBLISHERS))}") from None
    return make(target)


__all__ = ["PUBLISHERS", "publisher_for", "default_target"]
