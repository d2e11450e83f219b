"""Publisher: the plug-in point for an official channel's store (a folder, a bucket, a website, a page, an email)."""
from __future__ import annotations

import re
import secrets
import string
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Mapping

# The only types the sanitiser lets through; anything else is refused rather than published.
EXTENSIONS: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
}
# Letters and digits only: WordPress (and other stores) trim a leading "-" or "_" and fold "--" into
# one, so a URL-safe token could come back under another name; 24 of 62 symbols is about 143 random bits.
NAME_LENGTH = 24
_NAME_SYMBOLS = string.ascii_letters + string.digits
# The shape of every name new_object_name has made (earlier ones also used "-" and "_"), so a hand-made
# name (a child's name, a date) is refused.
_NAME = re.compile(r"^[A-Za-z0-9_-]{24}\.[a-z0-9]{2,5}$")


class PublisherError(Exception):
    """Publishing or takedown failed; the message is a sentence for the Manager or operator."""


class PublisherUnavailable(PublisherError):
    """The channel's store cannot be reached or is failing now; retrying later may work."""


class PublisherMisconfigured(PublisherError):
    """The channel's target is wrong (no such bucket, access denied, bad settings); an operator must fix it."""


class InvalidTarget(PublisherMisconfigured):
    """A channel's target mapping is malformed or unsafe; nothing was made from it."""


class PublishRefused(PublisherError):
    """The request itself is unusable (bad object name, unknown content type, unreadable file)."""


class Takeback(StrEnum):
    """Whether a copy sent to a channel can be taken back when consent ends."""

    ALWAYS = "always"  # served by the gatekeeper itself: it simply stops serving
    BY_DELETION = "by_deletion"  # a website or page: the copy is deleted there
    NEVER = "never"  # an email: once sent it is in people's inboxes

    def sentence(self) -> str:
        """What a parent reads before deciding."""
        return _TAKEBACK_WORDS[self]


_TAKEBACK_WORDS = {
    Takeback.ALWAYS: ("Can be taken back at any time: the gatekeeper itself shows it, and stops within seconds "
                      "when consent is withdrawn. No copy leaves the setting."),
    Takeback.BY_DELETION: ("Can be taken back by deleting it: when consent is withdrawn the setting deletes its "
                           "copy there, but copies other people saved before then cannot be recalled."),
    Takeback.NEVER: ("Cannot be taken back: once sent, copies stay with whoever received them. Withdrawing "
                     "consent stops future sends only."),
}


@dataclass(frozen=True)
class PublishedRef:
    """Where a published copy lives: its random object name, a location for logs (no secrets), and
    the ids the channel gave it (a WordPress media id, a Facebook photo id) that a takedown needs."""

    object_name: str
    location: str
    remote: Mapping[str, str] = field(default_factory=dict)


def extension_for(content_type: str) -> str:
    """The file extension published copies of content_type carry; raises PublishRefused for other types."""
    try:
        return EXTENSIONS[content_type]
    except (KeyError, TypeError):
        raise PublishRefused(f"{content_type!r} is not a type the gatekeeper publishes") from None


def new_object_name(extension: str) -> str:
    """A random object name that says nothing about the item or who is in it, e.g. 'q3X…_f.jpg'."""
    if not isinstance(extension, str):
        raise PublishRefused(f"extension must be text, got {type(extension).__name__}")
    suffix = extension if extension.startswith(".") else f".{extension}"
    if suffix not in EXTENSIONS.values():
        raise PublishRefused(f"{extension!r} is not an extension the gatekeeper publishes")
    return "".join(secrets.choice(_NAME_SYMBOLS) for _ in range(NAME_LENGTH)) + suffix


def check_object_name(object_name: str) -> str:
    """object_name when it is one of ours (random, one path segment); raises PublishRefused otherwise."""
    if not isinstance(object_name, str) or not _NAME.match(object_name):
        raise PublishRefused(f"{object_name!r} is not a published object name (use new_object_name)")
    return object_name


class Publisher(ABC):
    """An official channel's store. Subclasses move bytes; this class checks every request first."""

    kind: str = ""
    can_take_back: Takeback = Takeback.BY_DELETION
    # Whether the channel shows a caption next to the picture; others never receive it.
    takes_captions: bool = False
    # Items go out together in an issue the Manager sends (a newsletter), never one by one.
    sends_in_issues: bool = False
    # What the channel can carry; the gate refuses anything else at approval, not at publish time.
    media_kinds: tuple[str, ...] = ("photo", "video")

    def publish(self, source: Path, *, object_name: str, content_type: str,
                caption: str | None = None) -> PublishedRef:
        """Copy the sanitised file to the channel; the same object_name again returns the same ref, no second object.

        caption must already have passed the caption check; channels without captions ignore it.
        Raises PublishRefused, PublisherUnavailable (retry later) or PublisherMisconfigured.
        """
        check_object_name(object_name)
        expected = extension_for(content_type)
        if not object_name.endswith(expected):
            raise PublishRefused(f"{object_name!r} must end in {expected} to be served as {content_type}")
        source = Path(source)
        if not source.is_file():
            raise PublishRefused(f"{source} is not a file that can be published")
        if self.takes_captions:
            return self._publish_captioned(source, object_name, content_type, (caption or "").strip() or None)
        return self._publish(source, object_name, content_type)

    def remove(self, ref: PublishedRef | str) -> None:
        """Take the object down completely (every version, and any partial copy a crashed publish of
        this name left); removing what is already gone is fine.

        Raises PublishRefused, PublisherUnavailable (retry later) or PublisherMisconfigured.
        """
        check_object_name(ref.object_name if isinstance(ref, PublishedRef) else ref)
        self._remove_ref(ref if isinstance(ref, PublishedRef) else self.ref_for(ref))

    def exists(self, ref: PublishedRef | str) -> bool:
        """Whether the channel holds the object now; raises PublisherUnavailable or PublisherMisconfigured."""
        check_object_name(ref.object_name if isinstance(ref, PublishedRef) else ref)
        return self._exists_ref(ref if isinstance(ref, PublishedRef) else self.ref_for(ref))

    def leftovers(self, older_than_s: float) -> list[str]:
        """What crashed publishes left behind (partial copies, unfinished uploads) older than
        older_than_s seconds, as locations for doctor; raises PublisherError. None by default."""
        return []

    def clean_leftovers(self, older_than_s: float) -> list[str]:
        """Remove what leftovers() lists and return it; raises PublisherError."""
        return []

    @abstractmethod
    def _publish(self, source: Path, object_name: str, content_type: str) -> PublishedRef: ...

    def _publish_captioned(self, source: Path, object_name: str, content_type: str,
                           caption: str | None) -> PublishedRef:
        raise NotImplementedError(f"{type(self).__name__} says it takes captions but cannot publish them")

    def _remove_ref(self, ref: PublishedRef) -> None:
        # Channels that gave the copy ids of their own (a website, a page) override this to use them.
        self._remove(ref.object_name)

    def _exists_ref(self, ref: PublishedRef) -> bool:
        return self._exists(ref.object_name)

    @abstractmethod
    def _remove(self, object_name: str) -> None: ...

    @abstractmethod
    def _exists(self, object_name: str) -> bool: ...

    @abstractmethod
    def ref_for(self, object_name: str) -> PublishedRef:
        """The ref an object of this name has on this channel (whether or not it exists)."""

    @abstractmethod
    def check(self) -> None:
        """Whether the channel can be published to; raises PublisherError with a plain sentence."""

    @abstractmethod
    def describe(self) -> str:
        """What this channel's store is, for doctor and logs; never includes secrets."""
