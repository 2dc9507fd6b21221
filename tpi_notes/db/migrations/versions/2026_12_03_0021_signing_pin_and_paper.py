"""signing PIN, paper size, large print per patient (issue 16 item 7)

- ``signing_pin``: a physician's second wrapped copy of their Ed25519 signing key (domain/signature_keys.py),
  wrapped under their signing PIN instead of their password (Argon2id, AES-256-GCM), the key it copies, and its
  own failure count and lock (5 wrong PINs lock the PIN; the password still signs, and sets a new PIN). At most
  one per user; it dies with the key (an administrator's reset) and survives a password change (same key).
- ``clinic_settings.paper_size``: ``letter`` or ``a4``; the documents are laid out for it and printers are sent
  it. Existing clinics get ``letter`` (the US clinics the product is for).
- ``patient.aftercare_large_print``: the last large-print choice for the patient's aftercare sheet, offered by
  default next time. A preference, not part of any signed content or the patient's row version.

Workflow data only: nothing signed refers to it, so the downgrade may drop it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_pin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("signer_key_id", sa.Integer(), nullable=False),
        sa.Column("wrapped_private_key", sa.Text(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_signing_pin_user_id_app_user"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["signer_key_id"], ["signer_key.id"],
                                name=op.f("fk_signing_pin_signer_key_id_signer_key"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_pin")),
        sa.UniqueConstraint("user_id", name=op.f("uq_signing_pin_user_id")),
    )
    op.add_column("clinic_settings", sa.Column("paper_size", sa.String(length=8), server_default="letter",
                                               nullable=False))
    op.add_column("patient", sa.Column("aftercare_large_print", sa.Boolean(), server_default=sa.false(),
                                       nullable=False))


def downgrade() -> None:
    op.execute("ALTER TABLE patient DROP COLUMN aftercare_large_print")
    op.execute("ALTER TABLE clinic_settings DROP COLUMN paper_size")
    op.drop_table("signing_pin")
