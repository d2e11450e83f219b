"""Publications ended while their copy was being written owe a second removal.

A takedown that ends an intent removes what is on the channel then; the writer may still land the
object afterwards and die before it notices. The row keeps when that removal became owed until a
later removal succeeds.

Revision ID: 0012_removal_owed
Revises: 0011_degraded_pass
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0012_removal_owed"
down_revision = "0011_degraded_pass"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.add_column(sa.Column("removal_owed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.drop_column("removal_owed_at")
