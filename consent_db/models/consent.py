"""Consent decisions: an append-only history from which consent in force is derived."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from consent_db.models.base import Base, UtcDateTime, str_enum


class Decision(StrEnum):
    GRANT = "grant"
    REFUSE = "refuse"


class GivenBy(StrEnum):
    """Whose voice a decision is. A GRANT given by CHILD_OBJECTION lifts the child's objection."""

    GUARDIAN = "guardian"  # a guardian, through the portal or in person
    SELF = "self"  # a staff member for themself
    MANAGER = "manager"  # the Manager entering a signed paper form (evidence required)
    CHILD_OBJECTION = "child_objection"  # staff recording the child's own objection


class Method(StrEnum):
    """How the decision reached the records."""

    PORTAL = "portal"
    PAPER_FORM = "paper_form"
    DASHBOARD = "dashboard"
    CLI = "cli"


class ConsentDecision(Base):
    """One decision; rows are only ever inserted. channel_id is NULL for face matching."""

    __tablename__ = "consent_decisions"
    __table_args__ = (
        sa.CheckConstraint(
            "(face_matching AND channel_id IS NULL) OR (NOT face_matching AND channel_id IS NOT NULL)",
            name="one_purpose",
        ),
        sa.CheckConstraint(
            "(given_by IN ('guardian', 'manager')) OR guardian_id IS NULL",
            name="guardian_only_for_guardian_voices",
        ),
        sa.Index("ix_consent_decisions_person_purpose", "person_id", "channel_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    face_matching: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), default=False)
    decision: Mapped[Decision] = mapped_column(str_enum(Decision, "consent_decision"))
    given_by: Mapped[GivenBy] = mapped_column(str_enum(GivenBy, "consent_given_by"))
    # The guardian whose voice this is (given_by guardian, or manager for a child's paper form).
    guardian_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guardians.id", ondelete="RESTRICT"))
    method: Mapped[Method] = mapped_column(str_enum(Method, "consent_method"))
    evidence: Mapped[str | None] = mapped_column(sa.Text)
    actor_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="RESTRICT"))
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("devices.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
