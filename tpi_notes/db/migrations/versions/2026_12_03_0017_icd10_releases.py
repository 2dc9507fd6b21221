"""ICD-10-CM releases and the code-set version of each session

Issue 15 item 7: ``icd10_release`` and ``icd10_code`` hold the CMS releases an administrator loads (version,
validity dates, the order file's hash, every code); ``procedure_session.icd10_version`` is the set valid on the
session's date, set on save (NULL on sessions saved before: a signed one keeps its hash, the version being under
it only when set).

Plain ADD COLUMN (no table rebuild), so the lock triggers of 0003 stay in place.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "icd10_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("code_count", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.Column("loaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["loaded_by_id"], ["app_user.id"], name=op.f("fk_icd10_release_loaded_by_id_app_user"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_icd10_release")),
        sa.UniqueConstraint("version", name=op.f("uq_icd10_release_version")),
    )
    op.create_table(
        "icd10_code",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("short_description", sa.String(length=60), nullable=False),
        sa.Column("long_description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["icd10_release.id"], name=op.f("fk_icd10_code_release_id_icd10_release"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("release_id", "code", name=op.f("pk_icd10_code")),
    )
    op.add_column("procedure_session", sa.Column("icd10_version", sa.String(length=16), nullable=True))


def downgrade() -> None:
    kept = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM procedure_session WHERE status = 'signed' AND icd10_version IS NOT NULL")).scalar_one()
    if kept:
        raise RuntimeError(f"{kept} sessions were signed with their ICD-10-CM set version; dropping it would break "
                           "their signatures. Restore a backup from before revision 0017 instead.")
    op.execute("ALTER TABLE procedure_session DROP COLUMN icd10_version")
    op.drop_table("icd10_code")
    op.drop_table("icd10_release")
