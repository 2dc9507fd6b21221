"""finding source

Each stored safety finding keeps the source the rule cites, so the signed note can print why it
was raised.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild), so the locking triggers of 0003 on this table stay in place.
    op.add_column("session_finding", sa.Column("source", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place, keeping the table's locking triggers.
    op.drop_column("session_finding", "source")
