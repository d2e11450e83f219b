"""The detector's degraded pass: items still waiting for a decision are analysed again.

Faces drawn faintly, in halftone dots or behind thin bars were missed before this version, so an
item analysed without the degraded pass must not be approved on that analysis. No schema change.

Revision ID: 0011_degraded_pass
Revises: 0010_channels
Create Date: 2026-11-30
"""
from alembic import op

revision = "0011_degraded_pass"
down_revision = "0010_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Re-render and re-analyse everything still awaiting a decision (the sweep queues the jobs). An item
    # live on a channel stays as it is: analysing it again would revoke its approvals and take down
    # every copy the Manager approved; "Check the faces again" on its page does that when wanted.
    op.execute("UPDATE media_items SET state = 'analysing' WHERE state IN ('ready', 'held') AND NOT EXISTS "
               "(SELECT 1 FROM publications WHERE publications.item_id = media_items.id "
               "AND publications.state IN ('intent', 'published'))")


def downgrade() -> None:
    # Nothing to undo: an item analysed again is as good as it was.
    pass
