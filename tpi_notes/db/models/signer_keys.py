"""Signers' Ed25519 keys (migration 0014; domain/signature_keys.py): the public key in the clear, the private key
only wrapped by the signer's password. A key is retired, never deleted: old signatures still verify under it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tpi_notes.db.models.base import Base


class SignerKey(Base):
    __tablename__ = "signer_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"), index=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)  # 32 raw bytes in hex
    wrapped_private_key: Mapped[str] = mapped_column(Text)
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
