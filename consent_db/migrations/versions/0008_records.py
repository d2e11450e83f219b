"""Records: people, guardians and channels can be archived (hidden, never deleted).

Revision ID: 0008_records
Revises: 0007_publishers
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0008_records"
down_revision = "0007_publishers"
branch_labels = None
depends_on = None

TABLES = ("people", "guardians", "channels")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("archived_at")
