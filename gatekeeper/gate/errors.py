"""What the gate's services refuse; every message is a sentence a Manager can act on."""
from __future__ import annotations


class GateError(Exception):
    """A refused gate action; nothing was changed."""


class UnknownItem(GateError):
    """No such media item in this setting."""


class UnknownFace(GateError):
    """The item has no face with that number."""


class IllegalTransition(GateError):
    """The item's state does not allow that step."""


class NotCleared(GateError):
    """The item is held for the channel; the message carries the reasons."""


class StaleItem(GateError):
    """Someone else changed the item at the same moment; reload and try again."""


class CannotRedact(GateError):
    """Redaction is not possible for this item (e.g. a video)."""


class NotInQuarantine(GateError):
    """The item's quarantined copy has been purged or is unreadable."""


class SentInIssues(GateError):
    """The channel is a newsletter: approved items go out with the next issue the Manager sends, not one by one."""
