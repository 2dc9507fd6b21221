"""The patient search's words, one row per word and patient (issue 19, migration 0025).

Each patient's folded name words (``search_key``), MRN and date of birth, tagged so they never mix: ``n:garcia``,
``m:ab-1234`` (ASCII letters lower-cased), ``b:1975-06-30``. A typed word is then a range on the primary key
(``token >= 'n:gar' AND token < 'n:gas'``) instead of a LIKE over every patient. Kept by
db/repositories/patient_tokens.py whenever a patient is written; derived data, rebuilt from the patient row.
On PostgreSQL the column compares bytewise (``COLLATE "C"``), as SQLite's BINARY does, so a prefix is one range.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from tpi_notes.db.models.base import Base

TOKEN_TYPE = Text().with_variant(Text(collation="C"), "postgresql")


class PatientSearchToken(Base):
    __tablename__ = "patient_search_token"
    __table_args__ = {"sqlite_with_rowid": False}

    token: Mapped[str] = mapped_column(TOKEN_TYPE, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False, index=True)
