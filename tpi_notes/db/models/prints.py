"""Which aftercare sheets were printed: one row per print, each backed by its audit event (migration 0012).

The procedure note prints "Aftercare sheet: printed … (Spanish, large print) by …" from these rows, so a
note printed after signing shows a sheet printed after signing, and nothing in the signed content changes.
When and by whom come from the audit event (whose hash chain ``verify`` checks); the row adds what the
note needs in a form it can read: the language, large print and the text version.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tpi_notes.db.models.base import Base


class AftercarePrint(Base):
    __tablename__ = "aftercare_print"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("procedure_session.id", ondelete="CASCADE"), index=True)
    audit_event_id: Mapped[int] = mapped_column(ForeignKey("audit_event.id", ondelete="RESTRICT"), unique=True)
    lang: Mapped[str] = mapped_column(String(16))
    large_print: Mapped[bool] = mapped_column(default=False)
    version: Mapped[str] = mapped_column(String(32))
