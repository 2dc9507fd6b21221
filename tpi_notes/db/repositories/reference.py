"""Formulary, lots and clinic settings."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from tpi_notes.db.models import ClinicSettings, FormularyItem, Lot
from tpi_notes.domain import formulary as f
from tpi_notes.domain.clinic import ClinicDetails, ClinicInfo


def item_count(s: Session) -> int:
    return s.scalar(select(func.count(FormularyItem.id))) or 0


def add_items(s: Session, items: tuple[f.FormularyItem, ...]) -> None:
    for item in items:
        values = {k: v for k, v in vars(item).items() if k not in {"id"}}
        s.add(FormularyItem(**values))
    s.flush()


_ITEM_FIELDS = tuple(f.FormularyItem.__dataclass_fields__)
_ITEMS = select(*(FormularyItem.__table__.c[k] for k in _ITEM_FIELDS)).order_by(
    FormularyItem.__table__.c.agent_class, FormularyItem.__table__.c.name)
_CURRENT_ITEMS = _ITEMS.where(FormularyItem.__table__.c.retired.is_(False))


def list_items(s: Session, include_retired: bool = False) -> list[f.FormularyItem]:
    # Plain columns, statements built once: every save and assessment reads the whole formulary (issue 19).
    rows = s.execute(_ITEMS if include_retired else _CURRENT_ITEMS)
    return [f.FormularyItem(**dict(zip(_ITEM_FIELDS, row, strict=True))) for row in rows]


def list_lots(s: Session) -> list[f.Lot]:
    # Plain columns, not ORM objects: every save and assessment reads all of them (issue 19).
    rows = s.execute(select(FormularyItem.code, Lot.lot_number, Lot.expiry, Lot.ndc, Lot.retired, Lot.id)
                     .join(FormularyItem, FormularyItem.id == Lot.item_id).order_by(FormularyItem.code, Lot.expiry))
    return [f.Lot(*row) for row in rows]


_LOTS_NAMED = (select(FormularyItem.code, Lot.lot_number, Lot.expiry, Lot.ndc, Lot.retired, Lot.id)
               .join(FormularyItem, FormularyItem.id == Lot.item_id)
               .where(Lot.lot_number.in_(bindparam("numbers", expanding=True)))
               .order_by(FormularyItem.code, Lot.expiry))


def lots_named(s: Session, numbers: set[str]) -> list[f.Lot]:
    """The lots with these numbers (of any item): what a save checks its syringes against, not the whole list
    (a clinic keeps every lot it ever had; issue 19)."""
    return [f.Lot(*row) for row in s.execute(_LOTS_NAMED, {"numbers": sorted(numbers)})] if numbers else []


# PostgreSQL advisory lock for the first run's settings row and formulary (any constant bigint of its own).
FIRST_RUN_LOCK = 0x7470_695F_6669_7273  # "tpi_firs"


def settings(s: Session) -> ClinicSettings:
    row = s.get(ClinicSettings, 1)
    if row is None and s.get_bind().dialect.name == "postgresql":
        # The first run on a server: workstations starting together would each insert the row (and then the
        # formulary, services.context.ensure_reference_data). The others wait here for the first to commit,
        # then find its row; the lock lasts until this transaction ends.
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FIRST_RUN_LOCK})
        row = s.get(ClinicSettings, 1)
    if row is None:
        row = ClinicSettings(id=1)
        s.add(row)
        s.flush()
    return row


def update_clinic_details(s: Session, details: ClinicDetails) -> None:
    row = settings(s)
    row.name, row.address, row.phone, row.after_hours_phone = (details.name, details.address, details.phone,
                                                               details.after_hours_phone)
    s.flush()


def clinic_info(s: Session) -> ClinicInfo:
    row = settings(s)
    return ClinicInfo(
        name=row.name,
        address=row.address,
        phone=row.phone,
        after_hours_phone=row.after_hours_phone,
        strenuous_activity_hours=row.strenuous_activity_hours,
        inactivity_lock_minutes=row.inactivity_lock_minutes,
        steroid_12_month_limit_mg=row.steroid_12_month_limit_mg,
        formulary_version=row.formulary_version,
        demo=row.demo_seed is not None,
        logo_png=row.logo_png,
    )
