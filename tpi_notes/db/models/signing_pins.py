"""Signing PINs (migration 0021; services/signing_pin.py): a second copy of a physician's signing key, wrapped
under a short PIN for use inside their own signed-in session. Its own failure count locks it after five wrong
PINs; the password still signs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tpi_notes.db.models.base import Base


class SigningPin(Base):
    __tablename__ = "signing_pin"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), unique=True)
    signer_key_id: Mapped[int] = mapped_column(ForeignKey("signer_key.id", ondelete="CASCADE"))
    wrapped_private_key: Mapped[str] = mapped_column(Text)
    salt: Mapped[str] = mapped_column(String(64))
    failed_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
