"""physician optional on drafts

A nurse prepares a draft (consent, time-out, vitals) before the physician is chosen, so a draft may
have no physician yet; a signed session must name one (added to the signed_complete check).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_CHECK = "status = 'draft' OR (signed_by_id IS NOT NULL AND signed_at IS NOT NULL AND content_sha256 IS NOT NULL)"
NEW_CHECK = (
    "status = 'draft' OR (signed_by_id IS NOT NULL AND signed_at IS NOT NULL AND content_sha256 IS NOT NULL"
    " AND physician_id IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("procedure_session") as batch:
        batch.alter_column("physician_id", existing_type=sa.Integer(), nullable=True)
        batch.drop_constraint(op.f("ck_procedure_session_signed_complete"), type_="check")
        batch.create_check_constraint("signed_complete", NEW_CHECK)


def downgrade() -> None:
    with op.batch_alter_table("procedure_session") as batch:
        batch.drop_constraint(op.f("ck_procedure_session_signed_complete"), type_="check")
        batch.create_check_constraint("signed_complete", OLD_CHECK)
        batch.alter_column("physician_id", existing_type=sa.Integer(), nullable=False)
