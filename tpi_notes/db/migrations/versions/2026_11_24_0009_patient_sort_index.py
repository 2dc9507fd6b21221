"""patient sort index

The history browser's patient column sorted by the names' bytes, so "Álvarez" and "Øvrebø" came after "Zhou"
and lower-case names after upper-case ones. It now sorts by ``search_key`` (the case- and accent-folded
" family given " the patient search already uses), as the patient list does; (search_key, id) lets a broad
filter walk patients in that order and stop after a page. Plain CREATE INDEX (no table rebuild).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_patient_sort", "patient", ["search_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_patient_sort", table_name="patient")
