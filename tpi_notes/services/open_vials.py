"""Vials opened in a room (issue 16 item 6): record one, list those still open, and take one for a syringe.

The syringe row offers today's open vial of its drug in the session's room instead of picking a lot nobody
confirmed; taking it re-reads the vial at that moment and refuses it when discarded (perhaps on another
workstation a moment ago, before this one re-read its list), when its lot was retired (recalled) meanwhile, past its
beyond-use limit, or for another patient or procedure (domain/open_vials.py). A vial scanned again (its serial
known) is the vial recorded before, and judged the same way: a discarded one is never opened anew; scanned in
another room, it is in that room now (an audit event says so). Recording a vial
is an audit event; the note itself records the lot, as before. Whoever charts discards a vial from its syringe row;
whoever manages the formulary and lots from Administration → Formulary & lots → "Open vials…" (the vials of a lot
still on the shelves, retired lot or not: a recall is found there).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tpi_notes.db.models import FormularyItem, Lot, OpenVial
from tpi_notes.db.repositories import audit
from tpi_notes.domain import open_vials as ov
from tpi_notes.domain.errors import NotFoundError, TpiError
from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext

LISTED_DAYS = ov.BEYOND_USE_DAYS + 14  # a vial just past its limit is still listed, to say why it is not offered


def _plain(vial: OpenVial, lot: Lot, item: FormularyItem) -> ov.OpenVial:
    return ov.OpenVial(vial.id, item.code, item.name, lot.lot_number, lot.expiry, lot.ndc, vial.room,
                       vial.opened_at, vial.opened_by, item.single_dose_vial, vial.serial, vial.patient_id)


def _query():  # noqa: ANN202 - a Select of (OpenVial, Lot, FormularyItem)
    return (select(OpenVial, Lot, FormularyItem).join(Lot, Lot.id == OpenVial.lot_id)
            .join(FormularyItem, FormularyItem.id == Lot.item_id))


def list_open(ctx: AppContext, now: datetime | None = None) -> list[ov.OpenVial]:
    """Vials not discarded, opened in the last six weeks, of lots still offered (every room)."""
    ctx.require(Permission.VIEW_RECORDS)
    since = (now or datetime.now()) - timedelta(days=LISTED_DAYS)
    with ctx.read() as s:
        rows = s.execute(_query().where(OpenVial.discarded_at.is_(None), OpenVial.opened_at >= since,
                                        Lot.retired.is_(False)).order_by(OpenVial.opened_at.desc()))
        return [_plain(*row) for row in rows]


def open_of_lot(ctx: AppContext, item_code: str, lot_number: str) -> list[ov.OpenVial]:
    """Every vial of this lot not discarded, however long ago it was opened and even when the lot is retired: what
    whoever keeps the stock should find on the shelves, and discard (latest opened first)."""
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        rows = s.execute(_query().where(OpenVial.discarded_at.is_(None), FormularyItem.code == item_code,
                                        Lot.lot_number == lot_number)
                         .order_by(OpenVial.opened_at.desc(), OpenVial.id.desc()))
        return [_plain(*row) for row in rows]


def _lot(s: Session, item_code: str, lot_number: str) -> tuple[Lot, FormularyItem]:
    row = s.execute(select(Lot, FormularyItem).join(FormularyItem, FormularyItem.id == Lot.item_id)
                    .where(FormularyItem.code == item_code, Lot.lot_number == lot_number)).first()
    if row is None:
        raise NotFoundError(f"Lot {lot_number} of {item_code} is not on the lot list.")
    return row[0], row[1]


def record_opened(ctx: AppContext, item_code: str, lot_number: str, room: str, *, serial: str = "",
                  patient_id: int | None = None, at: datetime | None = None,
                  started: datetime | None = None) -> ov.OpenVial:
    """A vial of this lot opened now in ``room`` by the acting user; a single-dose vial for ``patient_id``.

    A scanned vial already recorded (same lot and serial) is that vial, not a second one: refused when it was
    discarded, and when it may not be used now for this patient's procedure (``started``), as an offer would be."""
    ctx.require(Permission.PREPARE_DRAFTS)
    when = (at or datetime.now()).replace(microsecond=0)
    with ctx.transaction() as s:
        lot, item = _lot(s, item_code, lot_number)
        if lot.retired:
            raise TpiError(f"Lot {lot.lot_number} of {item.name} is retired; it is no longer used.")
        if when.date() > lot.expiry:
            raise TpiError(f"Lot {lot.lot_number} of {item.name} expired on {lot.expiry.isoformat()}; it cannot "
                           "be opened.")
        if item.single_dose_vial and patient_id is None:
            raise TpiError(f"{item.name} comes in single-dose vials: open one for a patient's session.")
        serial = serial.strip()[:40]
        if serial:
            known = s.execute(_query().where(OpenVial.lot_id == lot.id, OpenVial.serial == serial)
                              .order_by(OpenVial.opened_at.desc(), OpenVial.id.desc())).first()
            if known is not None:
                if known[0].discarded_at is not None:
                    raise TpiError(f"This vial of {item.name} (lot {lot.lot_number}, serial {serial}) was discarded "
                                   f"on {known[0].discarded_at:%Y-%m-%d %H:%M}: it is not used again. Open a new "
                                   "vial.")
                problem = ov.vial_problem(_plain(*known), patient_id, when, started=started)
                if problem:
                    raise TpiError(problem)
                here = " ".join(room.split())[:80]
                if ov.room_key(known[0].room) != ov.room_key(here):  # the vial is where it is scanned
                    audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="open_vial",
                                 entity_id=known[0].id, patient_id=known[0].patient_id,
                                 detail=f"vial of {item.code} lot {lot.lot_number} serial {serial} moved from "
                                        f"{known[0].room or '(no room named)'} to {here or '(no room named)'}")
                    known[0].room = here
                return _plain(*known)
        name = ctx.principal.name
        row = OpenVial(lot_id=lot.id, serial=serial, room=" ".join(room.split())[:80], opened_at=when,
                       opened_by=name[:120], opened_by_id=ctx.user_id,
                       patient_id=patient_id if item.single_dose_vial else None)
        s.add(row)
        s.flush()
        where = f"in {row.room}" if row.room else "(no room named)"
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="create", entity="open_vial",
                     entity_id=row.id, patient_id=row.patient_id,
                     detail=f"vial of {item.code} lot {lot.lot_number}{' serial ' + serial if serial else ''} "
                            f"opened {where}")
        return _plain(row, lot, item)


def _still_open(s, vial_id: int):  # noqa: ANN001, ANN202 - Session; (OpenVial, Lot, FormularyItem) row
    """The vial's row with its lot and item, refused when it is unknown or already discarded (perhaps on
    another workstation), in the words both taking and discarding use."""
    row = s.execute(_query().where(OpenVial.id == vial_id)).first()
    if row is None:
        raise NotFoundError("That vial is no longer recorded as open; choose the lot or scan the vial.")
    vial, lot, item = row
    if vial.discarded_at is not None:
        raise NotFoundError(f"That vial of {item.name} (lot {lot.lot_number}) is no longer recorded as open: it was "
                            f"discarded at {vial.discarded_at:%Y-%m-%d %H:%M}, perhaps on another workstation. "
                            "Choose the lot or scan the vial.")
    return row


def take_open_vial(ctx: AppContext, vial_id: int, patient_id: int, at: datetime, *,
                   started: datetime | None = None) -> ov.OpenVial:
    """The vial, read again, for this patient's syringe at ``at`` (in the procedure that ``started`` then);
    refused when discarded or its lot retired meanwhile, past its limit, or for another patient or procedure."""
    ctx.require(Permission.PREPARE_DRAFTS)
    with ctx.read() as s:
        row = _still_open(s, vial_id)
        vial = _plain(*row)
        lot, item = row[1], row[2]
    if lot.retired:
        raise NotFoundError(f"Lot {lot.lot_number} of {item.name} is retired (recalled) since the vial was opened: "
                            "do not draw from it. Discard the vial and choose another lot.")
    problem = ov.vial_problem(vial, patient_id, at, started=started)
    if problem:
        raise TpiError(problem)
    return vial


def discard_open_vial(ctx: AppContext, vial_id: int, at: datetime | None = None) -> ov.OpenVial:
    """The vial as discarded now (empty, dropped, past its limit, recalled): it is offered to no syringe after
    this, in any room. One already discarded (on another workstation) is refused with the same words as taking it.
    Whoever charts may discard, and whoever keeps the stock (manages the lots) though they never chart."""
    ctx.require(Permission.MANAGE_FORMULARY if ctx.can(Permission.MANAGE_FORMULARY) else Permission.PREPARE_DRAFTS)
    when = (at or datetime.now()).replace(microsecond=0)
    with ctx.transaction() as s:
        row = _still_open(s, vial_id)
        vial, lot, item = row
        vial.discarded_at = when
        where = f"in {vial.room}" if vial.room else "(no room named)"
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="open_vial",
                     entity_id=vial.id, patient_id=vial.patient_id,
                     detail=f"vial of {item.code} lot {lot.lot_number} opened {where} "
                            f"{vial.opened_at:%Y-%m-%d %H:%M} discarded")
        return _plain(vial, lot, item)
