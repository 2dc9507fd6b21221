"""phrases, ICD-10-CM favourites and the carried clinical frame (issue 16 items 1-2)

- ``phrase``: reusable text for one editor field, a person's own (``owner_id``) or the clinic's (NULL, kept by
  administrators). The shipped library (resources/phrases/phrases.json) stays in its file.
- ``icd10_favourite``: a physician's favourite diagnoses, offered with one click in the editor.
- ``procedure_session.carried_fields`` / ``carried_from``: the fields copy-forward or a template filled and the
  clinician has not yet confirmed, and where they came from ("as on 2026-09-04"). Signing waits for them; they
  are never under a signature (domain/signing.py lists what is).

Plain ADD COLUMN on ``procedure_session`` (no rebuild), so the lock triggers of 0003 stay in place.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("procedure_session",
                  sa.Column("carried_fields", sa.JSON(), server_default="[]", nullable=False))
    op.add_column("procedure_session",
                  sa.Column("carried_from", sa.String(length=160), server_default="", nullable=False))
    op.create_table(
        "phrase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["app_user.id"], name=op.f("fk_phrase_owner_id_app_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phrase")),
    )
    op.create_index("ix_phrase_field_owner", "phrase", ["field", "owner_id"], unique=False)
    op.create_table(
        "icd10_favourite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("display", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_icd10_favourite_user_id_app_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_icd10_favourite")),
        sa.UniqueConstraint("user_id", "code", name=op.f("uq_icd10_favourite_user_id_code")),
    )


def downgrade() -> None:
    op.drop_table("icd10_favourite")
    op.drop_index("ix_phrase_field_owner", table_name="phrase")
    op.drop_table("phrase")
    op.drop_column("procedure_session", "carried_from")
    op.drop_column("procedure_session", "carried_fields")
