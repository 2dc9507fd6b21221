"""The lots last used per drug, in the session's room and in the clinic: what the findings panel may offer for a
syringe drug without a lot (domain/lot_offers.py decides; this only reads).

Only signed sessions count (a draft's lot may be a slip nobody confirmed), and only the most recent ones
(``RECENT``): the lot a clinic draws from changes within weeks, and a clinic of a million sessions answers this
from the status index without reading its history.
"""

from __future__ import annotations

from sqlalchemy import select

from tpi_notes.db.models import FormularyItem, Lot, Preparation, PreparationComponent, ProcedureSession
from tpi_notes.domain.lot_offers import LastUse
from tpi_notes.domain.open_vials import room_key
from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext

RECENT = 200  # signed sessions looked at, latest first


def last_used_lots(ctx: AppContext, room: str, *, exclude_session: int | None = None) -> list[LastUse]:
    """Per drug, the lot of its latest use in ``room`` (``here``) and of its latest use anywhere."""
    ctx.require(Permission.VIEW_RECORDS)
    recent = (select(ProcedureSession.id).where(ProcedureSession.status == "signed")
              .order_by(ProcedureSession.performed_start.desc()).limit(RECENT).subquery())
    query = (select(FormularyItem.code, Lot.lot_number, ProcedureSession.performed_start, ProcedureSession.location,
                    ProcedureSession.id)
             .select_from(ProcedureSession)
             .join(Preparation, Preparation.session_id == ProcedureSession.id)
             .join(PreparationComponent, PreparationComponent.preparation_id == Preparation.id)
             .join(FormularyItem, FormularyItem.id == PreparationComponent.item_id)
             .join(Lot, Lot.id == PreparationComponent.lot_id)
             .where(ProcedureSession.id.in_(select(recent.c.id)))
             .order_by(ProcedureSession.performed_start.desc(), ProcedureSession.id.desc()))
    here_key = room_key(room)
    found: dict[tuple[str, bool], LastUse] = {}
    with ctx.read() as s:
        for code, lot_number, start, location, session_id in s.execute(query):
            if session_id == exclude_session:
                continue
            if room_key(location or "") == here_key:
                found.setdefault((code, True), LastUse(code, lot_number, start.date(), True))
            found.setdefault((code, False), LastUse(code, lot_number, start.date(), False))
    return list(found.values())
