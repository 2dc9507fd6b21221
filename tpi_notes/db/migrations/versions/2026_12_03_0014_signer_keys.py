"""signer keys

Issue 14 item 1: signatures only the signer can make.
- ``signer_key``: each signer's Ed25519 key pair (domain/signature_keys.py): the public key in hex, the private key
  only wrapped (AES-256-GCM under an Argon2id key from the signer's password, with its own salt), when it was made
  and when it was retired (an administrator's password reset issues a new pair; the old public key stays for the
  signatures it made).
- ``procedure_session.signature`` and ``addendum.signature``: the Ed25519 signature, "ed25519:<fingerprint>:<b64>".
  Sessions and addenda signed before this revision have none: they keep verifying by their content hash alone
  and are reported as "hash-only signature (before v5)".

Plain ADD COLUMN (no table rebuild), so the lock triggers of 0003 stay in place and cover the new columns.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signer_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("wrapped_private_key", sa.Text(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_signer_key_user_id_app_user"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signer_key")),
        sa.UniqueConstraint("public_key", name=op.f("uq_signer_key_public_key")),
    )
    op.create_index(op.f("ix_signer_key_user_id"), "signer_key", ["user_id"], unique=False)
    op.add_column("procedure_session", sa.Column("signature", sa.Text(), nullable=True))
    op.add_column("addendum", sa.Column("signature", sa.Text(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 on, PostgreSQL): a batch rebuild would trip over the lock triggers of 0003.
    # The signatures go with it: sessions signed at version 5 keep their hash, which verifies as before.
    op.execute("ALTER TABLE addendum DROP COLUMN signature")
    op.execute("ALTER TABLE procedure_session DROP COLUMN signature")
    op.drop_index("ix_signer_key_user_id", table_name="signer_key")
    op.drop_table("signer_key")
