"""A signed session's CSV export row, stored (issue 19, migration 0024).

A signed session never changes (addenda aside), so its CSV row is worked out once, when it is signed or gets an
addendum, instead of at every export. The row is kept as two runs of CSV text around the two cells that can still
change (the physician's and the signer's names with credentials, read live from ``app_user``), with the row
format and the clinic's e-stim payer profile it was made under: a row whose format or profile is not the current
one is not used (db/repositories/stored_export_rows.py). A cache of derived text, never part of any signature.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tpi_notes.db.models.base import Base


class SessionExportRow(Base):
    __tablename__ = "session_export_row"

    session_id: Mapped[int] = mapped_column(ForeignKey("procedure_session.id", ondelete="CASCADE"),
                                            primary_key=True, autoincrement=False)
    format_version: Mapped[str] = mapped_column(String(40))
    payer_profile: Mapped[str] = mapped_column(String(40))
    head: Mapped[str] = mapped_column(Text)  # the CSV cells before ``physician``, encoded, without a line end
    tail: Mapped[str] = mapped_column(Text)  # the cells after ``signed_by``
