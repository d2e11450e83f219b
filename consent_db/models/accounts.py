"""Sign-in accounts, registered setting tablets, and the one-time codes that pair them."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from consent_db.models.base import Base, UtcDateTime, str_enum


class Role(StrEnum):
    MANAGER = "manager"
    STAFF = "staff"
    PARENT = "parent"


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(sa.ForeignKey("settings.id", ondelete="RESTRICT"))
    # Stored lower-cased: sign-in is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "account_role"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="RESTRICT"))
    guardian_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guardians.id", ondelete="RESTRICT"))
    must_change_password: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), default=False)
    disabled: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), default=False)
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))  # sealed and base85-encoded (about 80 characters)
    # The 30-second step of the last code accepted: a code overheard or replayed in its window is refused.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Device(Base):
    """A setting-owned tablet; only its token's hash is kept, so a database leak pairs nothing."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(sa.ForeignKey("settings.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    paired_by_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="RESTRICT"))
    paired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set for an entrance display: it shows that channel's slideshow and is never a staff tablet.
    display_channel_id: Mapped[int | None] = mapped_column(sa.ForeignKey("channels.id", ondelete="RESTRICT"))

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_display(self) -> bool:
        return self.display_channel_id is not None


class PairingCode(Base):
    """A short one-time code the Manager reads out to pair a tablet; stored hashed, expiring."""

    __tablename__ = "pairing_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(sa.ForeignKey("settings.id", ondelete="RESTRICT"))
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("devices.id", ondelete="RESTRICT"))
    # A code for an entrance display pairs a display of this channel, not a tablet.
    display_channel_id: Mapped[int | None] = mapped_column(sa.ForeignKey("channels.id", ondelete="RESTRICT"))
