"""Every model, and the Base whose metadata Alembic compares against the migrations."""
from consent_db.models.accounts import Account, Device, PairingCode, Role
from consent_db.models.audit import AuditChainHead, AuditEvent
from consent_db.models.base import Base, UtcDateTime
from consent_db.models.channels import Channel
from consent_db.models.consent import ConsentDecision, Decision, GivenBy, Method
from consent_db.models.media import (Approval, ItemKind, ItemState, MediaFace, MediaItem, Publication,
                                     PublicationState, Rendition)
from consent_db.models.notifications import Notification, NotificationPreference
from consent_db.models.outbox import OutboxRow
from consent_db.models.people import Guardian, GuardianLink, Person, PersonKind
from consent_db.models.setting import Setting
from consent_db.models.signin import Invitation, SessionStage, SignInThrottle, WebSession
from consent_db.models.templates import FaceTemplate

__all__ = [
    "Account",
    "Approval",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "Channel",
    "ConsentDecision",
    "Decision",
    "Device",
    "FaceTemplate",
    "GivenBy",
    "Guardian",
    "GuardianLink",
    "Invitation",
    "ItemKind",
    "ItemState",
    "MediaFace",
    "MediaItem",
    "Method",
    "Notification",
    "NotificationPreference",
    "OutboxRow",
    "PairingCode",
    "Person",
    "Publication",
    "Rendition",
    "PublicationState",
    "PersonKind",
    "Role",
    "SessionStage",
    "Setting",
    "SignInThrottle",
    "UtcDateTime",
    "WebSession",
]
