"""signed context

A signature now also fixes the patient and clinic values its note prints (identifiers, weight, risk history,
letterhead): ``procedure_session.signed_context`` holds them as signed, and ``content_version`` says which
content the hash covers (NULL or 1: the session's own fields, as before; 2: with the signed context).

Plain ADD COLUMN (no table rebuild), so the lock triggers of 0003 stay in place. A downgrade would drop what
version-2 signatures cover, so it refuses while any session was signed that way.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("procedure_session", sa.Column("signed_context", sa.JSON(), nullable=True))
    op.add_column("procedure_session", sa.Column("content_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    signed = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM procedure_session WHERE content_version >= 2")).scalar_one()
    if signed:
        raise RuntimeError(f"{signed} sessions were signed with their patient and clinic context; dropping it "
                           "would break their signatures. Restore a backup from before revision 0008 instead.")
    op.drop_column("procedure_session", "content_version")
    op.drop_column("procedure_session", "signed_context")
