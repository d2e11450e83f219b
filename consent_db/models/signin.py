"""Web sign-in state: server-side sessions, sign-in throttle counters, one-time invitations,
password-reset links and two-factor recovery codes."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from consent_db.models.accounts import Role
from consent_db.models.base import Base, UtcDateTime, str_enum


class SessionStage(StrEnum):
    """How far a sign-in has got; only READY may use the app."""

    CHANGE_PASSWORD = "change_password"
    TOTP_SETUP = "totp_setup"
    TOTP = "totp"
    READY = "ready"


class WebSession(Base):
    """A browser's sign-in; the cookie holds a random token, only its hash is kept, so it can be ended here."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("devices.id", ondelete="SET NULL"))
    stage: Mapped[SessionStage] = mapped_column(str_enum(SessionStage, "session_stage"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A two-factor key being set up, sealed with the data key: kept here, never in the browser's cookie.
    pending_totp_secret: Mapped[str | None] = mapped_column(sa.String(255))


class SignInThrottle(Base):
    """Attempts counted per key (an email and address pair, a two-factor account, ...) within a window.

    lockouts counts the locks in a row, so each lock lasts twice as long as the one before.
    """

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(sa.String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lockouts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")


class Invitation(Base):
    """A one-time link to set a password and so create a staff or parent account; stored hashed, expiring."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(sa.ForeignKey("settings.id", ondelete="RESTRICT"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "invitation_role"))
    email: Mapped[str] = mapped_column(sa.String(320))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    guardian_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guardians.id", ondelete="CASCADE"))
    created_by_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="RESTRICT"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PasswordReset(Base):
    """A one-time, expiring link to choose a new password; only the token's SHA-256 is kept."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RecoveryCode(Base):
    """One single-use two-factor recovery code, shown once at set-up; only its keyed hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
