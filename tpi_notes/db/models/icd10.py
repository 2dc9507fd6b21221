"""ICD-10-CM releases an administrator loaded (migration 0017; domain/icd10.py): the version, the dates it is
valid, the order file's hash, and every code of it (billable or header), as CMS published it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tpi_notes.db.models.base import Base


class Icd10Release(Base):
    __tablename__ = "icd10_release"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(16), unique=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    file_name: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    code_count: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime]
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))


class Icd10Code(Base):
    __tablename__ = "icd10_code"

    release_id: Mapped[int] = mapped_column(ForeignKey("icd10_release.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    billable: Mapped[bool] = mapped_column(Boolean)
    short_description: Mapped[str] = mapped_column(String(60), default="")
    long_description: Mapped[str] = mapped_column(Text, default="")
