"""open vials per drug and room (issue 16 item 6)

``open_vial``: a vial of a lot (its serial when scanned) opened in a room at a time by a person; a single-dose vial
also names the patient it was opened for. The syringe row offers today's open vial instead of auto-picking a lot,
a multi-dose vial until its 28-day beyond-use limit (clinical-reference §9.3). Workflow data only: no signed note
refers to it, so the downgrade may drop it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "open_vial",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("room", sa.String(length=80), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by", sa.String(length=120), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("discarded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_open_vial_lot_id_lot"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["opened_by_id"], ["app_user.id"], name=op.f("fk_open_vial_opened_by_id_app_user"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], name=op.f("fk_open_vial_patient_id_patient"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_vial")),
    )
    op.create_index(op.f("ix_open_vial_lot_id"), "open_vial", ["lot_id"], unique=False)
    op.create_index(op.f("ix_open_vial_room"), "open_vial", ["room"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_open_vial_room"), table_name="open_vial")
    op.drop_index(op.f("ix_open_vial_lot_id"), table_name="open_vial")
    op.drop_table("open_vial")
