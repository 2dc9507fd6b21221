"""signed sessions' CSV export rows, stored (issue 19)

``session_export_row`` (db/models/export_row.py): one row per signed session, the CSV cells worked out when it
was signed (or got its last addendum), kept as two runs of CSV text around the physician and signer cells, which
the export reads live. ``format_version`` and ``payer_profile`` say what the row was made under; the export uses
a row only when both are current and works out any other session as before.

Nothing is backfilled here: doses and codes come from today's Python rules, which a migration must not import
(a later migration's column would break this one's SELECT). Existing signed sessions get their rows from the
first CSV export after the upgrade, which stores what it worked out (services/exports.py), and from
``stored_export_rows.fill`` (the demo). A cache of derived text, never signed, so the downgrade may drop it.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_export_row",
        sa.Column("session_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("format_version", sa.String(length=40), nullable=False),
        sa.Column("payer_profile", sa.String(length=40), nullable=False),
        sa.Column("head", sa.Text(), nullable=False),
        sa.Column("tail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["procedure_session.id"],
                                name=op.f("fk_session_export_row_session_id_procedure_session"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_session_export_row")),
    )


def downgrade() -> None:
    op.drop_table("session_export_row")
