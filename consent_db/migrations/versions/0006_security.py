"""Security: growing throttle locks, the pending two-factor key kept server-side, cancellable
invitations, password-reset links and two-factor recovery codes.

Revision ID: 0006_security
Revises: 0004_renditions (to become 0005_outbox when that lands)
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_security"
down_revision = "0005_outbox"
branch_labels = None
depends_on = None


def _fk(column: str, table: str, target: str, ondelete: str = "RESTRICT") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    with op.batch_alter_table("sign_in_throttle") as batch:
        batch.add_column(sa.Column("lockouts", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("pending_totp_secret", sa.String(255), nullable=True))
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        _fk("account_id", "password_resets", "accounts", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        _fk("account_id", "recovery_codes", "accounts", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_codes_code_hash")),
    )
    op.create_index(op.f("ix_recovery_codes_account_id"), "recovery_codes", ["account_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recovery_codes_account_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_table("password_resets")
    with op.batch_alter_table("invitations") as batch:
        batch.drop_column("cancelled_at")
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("pending_totp_secret")
    with op.batch_alter_table("sign_in_throttle") as batch:
        batch.drop_column("lockouts")
