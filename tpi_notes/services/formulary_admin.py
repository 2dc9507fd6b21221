"""Clinic administration: the formulary and its lots (Permission.MANAGE_FORMULARY).

A signed note's hash covers the item code and lot number of each syringe component, and its printed copy
shows the item's concentration and the lot's NDC and expiry. So an item or lot that a signed note used is
frozen: it can be retired (no longer offered in the editor) or restored, never edited; the database refuses
a rename too (migration 0005), and these services say so first, in words. Every change is an audit event.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from tpi_notes.db.models import FormularyItem, Lot, Preparation, PreparationComponent, ProcedureSession
from tpi_notes.db.repositories import audit
from tpi_notes.domain import formulary as f
from tpi_notes.domain.errors import NotFoundError, TpiError, ValidationError
from tpi_notes.domain.formulary_input import ItemUse, LotUse, validate_item, validate_lot
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.text_input import short_date
from tpi_notes.services.context import AppContext

_ITEM_FIELDS = [x.name for x in fields(f.FormularyItem) if x.name not in ("id", "retired")]


def _plain_item(row: FormularyItem) -> f.FormularyItem:
    return f.FormularyItem(**{x.name: getattr(row, x.name) for x in fields(f.FormularyItem)})


def _plain_lot(row: Lot, code: str) -> f.Lot:
    return f.Lot(code, row.lot_number, row.expiry, row.ndc, row.retired, row.id)


def _signed(key: InstrumentedAttribute[int] | InstrumentedAttribute[int | None]) -> Select:
    """(key, number of signed sessions) over the syringe components of signed sessions."""
    return (select(key, func.count(distinct(ProcedureSession.id))).select_from(PreparationComponent)
            .join(Preparation, Preparation.id == PreparationComponent.preparation_id)
            .join(ProcedureSession, ProcedureSession.id == Preparation.session_id)
            .where(ProcedureSession.status == "signed").group_by(key))


def _signed_uses(s: Session, *, item_id: int | None = None, lot_id: int | None = None) -> int:
    if item_id is not None:
        query = _signed(PreparationComponent.item_id).where(PreparationComponent.item_id == item_id)
    else:
        query = _signed(PreparationComponent.lot_id).where(PreparationComponent.lot_id == lot_id)
    row = s.execute(query).first()
    return row[1] if row else 0


def _notes(n: int) -> str:
    return f"{n} signed note{'s' if n != 1 else ''}"


def _item(s: Session, code: str) -> FormularyItem:
    row = s.scalar(select(FormularyItem).where(FormularyItem.code == code))
    if row is None:
        raise NotFoundError(f"The formulary has no item with the code {code!r}.")
    return row


def _lot(s: Session, lot_id: int) -> tuple[Lot, FormularyItem]:
    row = s.get(Lot, lot_id)
    if row is None:
        raise NotFoundError(f"Lot {lot_id} does not exist.")
    return row, s.get_one(FormularyItem, row.item_id)


def list_items(ctx: AppContext) -> list[ItemUse]:
    """Every item, retired ones too, by class and name, with how many signed notes used it."""
    ctx.require(Permission.MANAGE_FORMULARY)
    with ctx.read() as s:
        used = {key: n for key, n in s.execute(_signed(PreparationComponent.item_id))}
        lots = {key: n for key, n in s.execute(select(Lot.item_id, func.count(Lot.id)).group_by(Lot.item_id))}
        rows = s.scalars(select(FormularyItem).order_by(FormularyItem.agent_class, FormularyItem.name))
        return [ItemUse(_plain_item(r), used.get(r.id, 0), lots.get(r.id, 0)) for r in rows]


def list_lots(ctx: AppContext, item_code: str) -> list[LotUse]:
    """The item's lots, retired ones too, latest expiry first."""
    ctx.require(Permission.MANAGE_FORMULARY)
    with ctx.read() as s:
        item = _item(s, item_code)
        used = {key: n for key, n in
                s.execute(_signed(PreparationComponent.lot_id).where(PreparationComponent.item_id == item.id))}
        rows = s.scalars(select(Lot).where(Lot.item_id == item.id).order_by(Lot.expiry.desc(), Lot.lot_number))
        return [LotUse(_plain_lot(r, item.code), used.get(r.id, 0)) for r in rows]


def add_item(ctx: AppContext, item: f.FormularyItem) -> f.FormularyItem:
    """A new item (every field of product.md §3 checked); its code must be new."""
    ctx.require(Permission.MANAGE_FORMULARY)
    clean = validate_item(item)
    with ctx.transaction() as s:
        if s.scalar(select(FormularyItem.id).where(func.lower(FormularyItem.code) == clean.code)) is not None:
            raise ValidationError({"code": f"The code {clean.code!r} is taken (perhaps by a retired item)."})
        row = FormularyItem(**{name: getattr(clean, name) for name in _ITEM_FIELDS}, retired=False)
        s.add(row)
        s.flush()
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="create", entity="formulary_item",
                     entity_id=row.id, detail=f"formulary item {clean.code} added: {clean.name}")
        return _plain_item(row)


def update_item(ctx: AppContext, code: str, item: f.FormularyItem) -> f.FormularyItem:
    """Correct an item no signed note has used yet (a used one is refused: retire it and add a new one)."""
    ctx.require(Permission.MANAGE_FORMULARY)
    clean = validate_item(item)
    with ctx.transaction() as s:
        row = _item(s, code)
        changed = [name for name in _ITEM_FIELDS if getattr(row, name) != getattr(clean, name)]
        if not changed:
            return _plain_item(row)
        uses = _signed_uses(s, item_id=row.id)
        if uses:
            raise ValidationError({"code": f"{row.name} is part of {_notes(uses)}, which must keep showing it as "
                                           "signed; it cannot be changed. Retire it and add a new item instead."})
        if clean.code != row.code and s.scalar(select(FormularyItem.id).where(
                func.lower(FormularyItem.code) == clean.code, FormularyItem.id != row.id)) is not None:
            raise ValidationError({"code": f"The code {clean.code!r} is taken (perhaps by a retired item)."})
        for name in changed:
            setattr(row, name, getattr(clean, name))
        s.flush()
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="formulary_item",
                     entity_id=row.id, detail=f"formulary item {code}: changed {', '.join(changed)}")
        return _plain_item(row)


def _set_item_retired(ctx: AppContext, code: str, retired: bool) -> f.FormularyItem:
    ctx.require(Permission.MANAGE_FORMULARY)
    with ctx.transaction() as s:
        row = _item(s, code)
        if row.retired != retired:
            row.retired = retired
            s.flush()
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="formulary_item",
                         entity_id=row.id, detail=f"formulary item {code} {'retired' if retired else 'restored'}")
        return _plain_item(row)


def retire_item(ctx: AppContext, code: str) -> f.FormularyItem:
    """No longer offered in the editor; signed notes that used it still show it."""
    return _set_item_retired(ctx, code, True)


def restore_item(ctx: AppContext, code: str) -> f.FormularyItem:
    return _set_item_retired(ctx, code, False)


def add_lot(ctx: AppContext, item_code: str, lot_number: str, ndc: str, expiry: date | None) -> f.Lot:
    """A new lot of an active item; an expiry already past, or a lot number the item has, is refused."""
    ctx.require(Permission.MANAGE_FORMULARY)
    number, clean_ndc, day = validate_lot(lot_number, ndc, expiry, ctx.today())
    with ctx.transaction() as s:
        item = _item(s, item_code)
        if item.retired:
            raise TpiError(f"{item.name} is retired; restore it before adding a lot.")
        _refuse_duplicate(s, item, number)
        row = Lot(item_id=item.id, lot_number=number, ndc=clean_ndc, expiry=day, retired=False)
        s.add(row)
        try:
            s.flush()
        except IntegrityError:
            raise ValidationError({"lot_number": f"{item.name} already has lot {number}."}) from None
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="create", entity="lot", entity_id=row.id,
                     detail=f"lot {number} of {item.code} added (NDC {clean_ndc or 'none'}, expires {day})")
        return _plain_lot(row, item.code)


def _refuse_duplicate(s: Session, item: FormularyItem, number: str, lot_id: int | None = None) -> None:
    query = select(Lot.id).where(Lot.item_id == item.id, func.lower(Lot.lot_number) == number.lower())
    if lot_id is not None:
        query = query.where(Lot.id != lot_id)
    if s.scalar(query) is not None:
        raise ValidationError({"lot_number": f"{item.name} already has lot {number}."})


def update_lot(ctx: AppContext, lot_id: int, lot_number: str, ndc: str, expiry: date | None) -> f.Lot:
    """Correct a lot no signed note has used yet (a used one is refused: retire it and add a new one)."""
    ctx.require(Permission.MANAGE_FORMULARY)
    with ctx.transaction() as s:
        row, item = _lot(s, lot_id)
        number, clean_ndc, day = validate_lot(lot_number, ndc, expiry, ctx.today(),
                                              check_expiry=expiry != row.expiry)
        changes = [f"{what}: {old or 'none'} → {new or 'none'}" for what, old, new in (
            ("lot number", row.lot_number, number), ("NDC", row.ndc, clean_ndc), ("expiry", row.expiry, day))
            if old != new]
        if not changes:
            return _plain_lot(row, item.code)
        uses = _signed_uses(s, lot_id=row.id)
        if uses:
            raise ValidationError({"lot_number": f"Lot {row.lot_number} is part of {_notes(uses)}, which must keep "
                                                 "showing it as signed; it cannot be changed. Retire it and add a "
                                                 "new lot instead."})
        _refuse_duplicate(s, item, number, row.id)
        row.lot_number, row.ndc, row.expiry = number, clean_ndc, day
        s.flush()
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="lot", entity_id=row.id,
                     detail=f"lot of {item.code}: " + "; ".join(changes))
        return _plain_lot(row, item.code)


def _set_lot_retired(ctx: AppContext, lot_id: int, retired: bool) -> f.Lot:
    ctx.require(Permission.MANAGE_FORMULARY)
    with ctx.transaction() as s:
        row, item = _lot(s, lot_id)
        if not retired and row.retired and row.expiry < ctx.today():
            raise TpiError(f"Lot {row.lot_number} expired on {short_date(row.expiry)}; an expired lot cannot be "
                           "offered again.")
        if row.retired != retired:
            row.retired = retired
            s.flush()
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="lot", entity_id=row.id,
                         detail=f"lot {row.lot_number} of {item.code} {'retired' if retired else 'restored'}")
        return _plain_lot(row, item.code)


def retire_lot(ctx: AppContext, lot_id: int) -> f.Lot:
    """No longer offered in the editor; signed notes that used it still show it."""
    return _set_lot_retired(ctx, lot_id, True)


def restore_lot(ctx: AppContext, lot_id: int) -> f.Lot:
    return _set_lot_retired(ctx, lot_id, False)


def blank_item(today: date) -> f.FormularyItem:
    """The starting values of the Add item dialog."""
    return replace(f.FormularyItem("", "", "", "local_anesthetic", "", 0.0), effective_date=today)
