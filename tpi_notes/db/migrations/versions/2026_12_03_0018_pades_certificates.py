"""PAdES: the clinic root, signer certificates and signed note PDFs (issue 14 item 2)

- ``clinic_root``: the clinic's Ed25519 root CA certificate (DER), made at setup or, for a clinic from before this
  revision, at the next administrator sign-in (db/models/certificates.py).
- ``clinic_root_copy``: the root's private key wrapped under one administrator's password, one row per
  administrator who holds it.
- ``signer_certificate``: each signer key's X.509 certificate issued by the root.
- ``signed_note_pdf``: a procedure note PAdES-signed at signing or at an addendum's signing, with its SHA-256 and
  how many addenda it shows (one added later by a signer whose certificate is pending is not on it).

New tables only: nothing existing changes, so every signature made before verifies unchanged; sessions signed
before this revision have no signed PDF and print as before, saying so.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinic_root",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_root")),
        sa.UniqueConstraint("sha256", name=op.f("uq_clinic_root_sha256")),
    )
    op.create_table(
        "clinic_root_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("root_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("wrapped_private_key", sa.Text(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["root_id"], ["clinic_root.id"], name=op.f("fk_clinic_root_copy_root_id_clinic_root"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_clinic_root_copy_user_id_app_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_root_copy")),
        sa.UniqueConstraint("root_id", "user_id", name=op.f("uq_clinic_root_copy_root_id_user_id")),
    )
    op.create_index(op.f("ix_clinic_root_copy_user_id"), "clinic_root_copy", ["user_id"], unique=False)
    op.create_table(
        "signer_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signer_key_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("root_id", sa.Integer(), nullable=False),
        sa.Column("certificate", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["signer_key_id"], ["signer_key.id"],
                                name=op.f("fk_signer_certificate_signer_key_id_signer_key"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_signer_certificate_user_id_app_user"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["root_id"], ["clinic_root.id"],
                                name=op.f("fk_signer_certificate_root_id_clinic_root"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signer_certificate")),
        sa.UniqueConstraint("signer_key_id", name=op.f("uq_signer_certificate_signer_key_id")),
        sa.UniqueConstraint("sha256", name=op.f("uq_signer_certificate_sha256")),
    )
    op.create_index(op.f("ix_signer_certificate_user_id"), "signer_certificate", ["user_id"], unique=False)
    op.create_table(
        "signed_note_pdf",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("addendum_id", sa.Integer(), nullable=True),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("addenda", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["procedure_session.id"],
                                name=op.f("fk_signed_note_pdf_session_id_procedure_session"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["addendum_id"], ["addendum.id"], name=op.f("fk_signed_note_pdf_addendum_id_addendum"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["certificate_id"], ["signer_certificate.id"],
                                name=op.f("fk_signed_note_pdf_certificate_id_signer_certificate"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signed_note_pdf")),
    )
    op.create_index(op.f("ix_signed_note_pdf_session_id"), "signed_note_pdf", ["session_id"], unique=False)


def downgrade() -> None:
    # The signed PDFs go with it; the sessions keep their Ed25519 signatures and hashes, which verify as before.
    op.drop_index(op.f("ix_signed_note_pdf_session_id"), table_name="signed_note_pdf")
    op.drop_table("signed_note_pdf")
    op.drop_index(op.f("ix_signer_certificate_user_id"), table_name="signer_certificate")
    op.drop_table("signer_certificate")
    op.drop_index(op.f("ix_clinic_root_copy_user_id"), table_name="clinic_root_copy")
    op.drop_table("clinic_root_copy")
    op.drop_table("clinic_root")
