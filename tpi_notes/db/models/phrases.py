"""Phrases and ICD-10-CM favourites (migration 0019): the words a clinician reuses, kept per person or clinic.

A phrase belongs to one free-text field of the editor (``field``: a SessionDraft field name). With an owner it is
that person's own; without one it is the clinic's, which administrators keep. The shipped library
(resources/phrases/phrases.json) is read from the file, not stored here.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tpi_notes.db.models.base import Base, Timestamps


class Phrase(Timestamps, Base):
    __tablename__ = "phrase"
    __table_args__ = (Index("ix_phrase_field_owner", "field", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    field: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))


class Icd10Favourite(Timestamps, Base):
    __tablename__ = "icd10_favourite"
    __table_args__ = (UniqueConstraint("user_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(10))
    display: Mapped[str] = mapped_column(String(255), default="")
