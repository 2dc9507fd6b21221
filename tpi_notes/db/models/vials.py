"""Vials opened in a room (issue 16 item 6, migration 0020): the open vial the syringe row offers instead of a lot
nobody confirmed.

A row says: this vial of this lot (its serial when scanned) was opened in this room, at this time, by this person;
a single-dose vial also names the patient it was opened for (it is for that patient alone). A multi-dose vial is
offered until its 28-day beyond-use limit (clinical-reference §9.3, domain/open_vials.py); ``discarded_at`` ends
it earlier. Rows are workflow data, not part of any signed note: the note records the lot, as before.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tpi_notes.db.models.base import Base


class OpenVial(Base):
    __tablename__ = "open_vial"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), index=True)
    serial: Mapped[str] = mapped_column(String(40), default="")
    room: Mapped[str] = mapped_column(String(80), default="", index=True)
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(120))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    discarded_at: Mapped[datetime | None]
