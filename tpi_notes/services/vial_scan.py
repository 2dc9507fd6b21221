"""A scanned vial (GS1 DataMatrix, domain/gs1.py) matched to the formulary and the lot list.

The drug is found by the NDC inside the GTIN among the NDCs the clinic recorded on its lots; the lot by its
number (without regard to case: scanners and keyboards disagree on it). An NDC recorded for two items (the same
ten digits read as 5-3-2 on one and 5-4-1 on the other: a slip on the list, the FDA keeps ten-digit NDCs unique)
is settled by the lot number when only one of them has that lot. An expired lot is refused; a listed lot whose
barcode gives another expiry is refused (the note would record the list's date, which one of the two has wrong);
an unknown NDC is refused; a lot not on the list (of a known drug) may be registered by whoever manages the lots
(Permission.MANAGE_FORMULARY), and is refused for everyone else. A lot is usable through its expiry day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from tpi_notes.db.models import FormularyItem, Lot
from tpi_notes.domain import formulary as f
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.gs1 import ScanError, VialScan, parse_vial_scan
from tpi_notes.domain.permissions import Permission
from tpi_notes.services import formulary_admin
from tpi_notes.services.context import AppContext


@dataclass(frozen=True)
class ScannedLot:
    """What a scan names: the formulary item, the lot (on the list or not yet) and its expiry."""

    scan: VialScan
    item_code: str
    item_name: str
    lot_number: str
    expiry: date | None
    ndc: str  # as the clinic records this product's NDC (from a lot of the same NDC)
    known: bool  # the lot is on the list


def resolve_scan(ctx: AppContext, text: str, day: date, item_code: str | None = None) -> ScannedLot:
    """The scan's drug and lot for a session on ``day``; TpiError (ScanError) with a clear message otherwise.

    ``item_code`` (the lot dialog's item) refuses a vial of another drug, and takes an NDC no lot has yet as this
    item's (its ten digits as scanned: which segment is short is printed on the vial, not in the barcode)."""
    ctx.require(Permission.VIEW_RECORDS)
    scan = parse_vial_scan(text)
    if scan.expiry is not None and day > scan.expiry:
        raise ScanError(f"This vial (lot {scan.lot}) expired on {scan.expiry.isoformat()}: it cannot be used.")
    with ctx.read() as s:
        rows = s.execute(select(Lot, FormularyItem).join(FormularyItem, FormularyItem.id == Lot.item_id)
                         .where(Lot.ndc != "")).all()
    matching = [(lot, item) for lot, item in rows if scan.matches_ndc(lot.ndc)]
    items = {item.code: item for _lot, item in matching}
    if not items and item_code is not None:
        with ctx.read() as s:
            own = s.scalar(select(FormularyItem).where(FormularyItem.code == item_code))
        if own is not None:
            # ten digits as scanned (which segment is short is printed on the vial only); 6-4-2 has one form
            ndc = scan.ndc_text if scan.ndc12 else scan.ndc10
            return ScannedLot(scan, own.code, own.name, scan.lot, scan.expiry, ndc, False)
    if not items:
        raise ScanError(f"The NDC in this barcode ({scan.ndc_text}) is on no lot of the formulary: the drug "
                        "is unknown here. Ask whoever manages the formulary to add it.")
    if len(items) > 1:  # the lot number may say which item the vial is, or the lot dialog's item
        having = {item.code: item for lot, item in matching if lot.lot_number.casefold() == scan.lot.casefold()}
        if len(having) != 1 and item_code in items:
            having = {item_code: items[item_code]}
        if len(having) == 1:
            items = having
            matching = [(lot, item) for lot, item in matching if item.code in having]
    if len(items) > 1:
        raise ScanError(f"The NDC in this barcode is recorded for {len(items)} formulary items "
                        f"({', '.join(sorted(i.name for i in items.values()))}); choose the lot from the list.")
    item = next(iter(items.values()))
    if item_code is not None and item.code != item_code:
        raise ScanError(f"This vial is {item.name}, not the item this lot is for.")
    if item.retired:
        raise ScanError(f"{item.name} is retired from the formulary.")
    ndc = matching[0][0].ndc
    lot = next((lot for lot, it in matching if lot.lot_number.casefold() == scan.lot.casefold()), None)
    if lot is None:  # the lot may be on the list under another NDC (none recorded on it)
        with ctx.read() as s:
            lot = s.scalar(select(Lot).where(Lot.item_id == item.id, Lot.lot_number == scan.lot))
    if lot is not None:
        if lot.retired:
            raise ScanError(f"Lot {lot.lot_number} of {item.name} is retired; it is no longer used.")
        if day > lot.expiry:
            raise ScanError(f"Lot {lot.lot_number} of {item.name} expired on {lot.expiry.isoformat()}: it cannot "
                            "be used.")
        if scan.expiry is not None and scan.expiry != lot.expiry:
            raise ScanError(f"This vial of lot {lot.lot_number} expires on {scan.expiry.isoformat()}, but the lot "
                            f"list has {lot.expiry.isoformat()}: the lot must be checked (Administration → Formulary & "
                            "lots) before it is used.")
        return ScannedLot(scan, item.code, item.name, lot.lot_number, lot.expiry, lot.ndc or ndc, True)
    return ScannedLot(scan, item.code, item.name, scan.lot, scan.expiry, ndc, False)


def unknown_lot_message(found: ScannedLot) -> str:
    """What someone who may not register lots is told about a lot not on the list."""
    return (f"Lot {found.lot_number} of {found.item_name} is not on the lot list. Ask whoever manages the "
            "formulary to register it (Administration → Formulary), or choose a listed lot.")


def register_scanned_lot(ctx: AppContext, found: ScannedLot) -> f.Lot:
    """Put a scanned lot on the list (the formulary manager's action: lot number, NDC and expiry as scanned)."""
    if not ctx.can(Permission.MANAGE_FORMULARY):
        raise TpiError(unknown_lot_message(found))
    if found.expiry is None:
        raise ScanError(f"The barcode gives no expiry for lot {found.lot_number}: add the lot by hand.")
    return formulary_admin.add_lot(ctx, found.item_code, found.lot_number, found.ndc, found.expiry)
