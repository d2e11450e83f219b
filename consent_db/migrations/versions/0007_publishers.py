"""Publications keep the ids a web channel gave their copy (WordPress media and post, Facebook photo and post).

Revision ID: 0007_publishers
Revises: 0006_security
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_publishers"
down_revision = "0006_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.add_column(sa.Column("remote_ref", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.drop_column("remote_ref")
