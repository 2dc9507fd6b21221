"""audit indexes

The audit trail screen filters by user, action and record kind, newest first (clinical-reference §8.3: reports
for a chosen period, sortable by each field). One index per filter, each ending in the event time, so a
filtered page is read in order from the index instead of sorting the whole trail; ``user_id`` (a foreign key)
had no index at all.

Plain CREATE/DROP INDEX (no table rebuild), so the audit table's append-only triggers of 0003 stay in place.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_event_user", "audit_event", ["user_id", "at"])
    op.create_index("ix_audit_event_action", "audit_event", ["action", "at"])
    op.create_index("ix_audit_event_entity", "audit_event", ["entity", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_entity", table_name="audit_event")
    op.drop_index("ix_audit_event_action", table_name="audit_event")
    op.drop_index("ix_audit_event_user", table_name="audit_event")
