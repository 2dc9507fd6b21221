"""The clinic root, its wrapped copies, signers' certificates and the signed note PDFs (migration 0018;
domain/clinic_certificates.py, domain/pdf_signatures.py).

Each certificate and each signed PDF is registered by an audit event naming its SHA-256, so `verify` catches
one swapped behind the app's back (and, with an anchor, a trail rewritten to match). Rows are added, never
changed, except a root copy re-wrapped under an administrator's new password.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tpi_notes.db.models.base import Base


class ClinicRoot(Base):
    """The clinic root: an Ed25519 key's self-signed CA certificate (DER). The newest row is the one in use."""

    __tablename__ = "clinic_root"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class ClinicRootCopy(Base):
    """The root's private key wrapped under one administrator's password (domain/signature_keys.py ``wrap``)."""

    __tablename__ = "clinic_root_copy"
    __table_args__ = (UniqueConstraint("root_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("clinic_root.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    wrapped_private_key: Mapped[str] = mapped_column(Text)
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class SignerCertificate(Base):
    """A signer's X.509 certificate (DER) for one of their keys, issued by the clinic root."""

    __tablename__ = "signer_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    signer_key_id: Mapped[int] = mapped_column(ForeignKey("signer_key.id", ondelete="RESTRICT"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"), index=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("clinic_root.id", ondelete="RESTRICT"))
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime]


class SignedNotePdf(Base):
    """A procedure note as PAdES-signed at signing (``addendum_id`` None) or at an addendum's signing."""

    __tablename__ = "signed_note_pdf"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("procedure_session.id", ondelete="RESTRICT"), index=True)
    addendum_id: Mapped[int | None] = mapped_column(ForeignKey("addendum.id", ondelete="RESTRICT"))
    certificate_id: Mapped[int] = mapped_column(ForeignKey("signer_certificate.id", ondelete="RESTRICT"))
    addenda: Mapped[int] = mapped_column(default=0)  # how many addenda it shows: one added later is not on it
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
