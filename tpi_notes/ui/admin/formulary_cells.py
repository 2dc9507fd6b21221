"""What the formulary tab's tables show for an item and a lot (expiry in red once past, amber within 30 days)."""

from __future__ import annotations

from datetime import date

from tpi_notes.domain.formulary import AGENT_CLASSES
from tpi_notes.domain.formulary_input import ItemUse, LotUse
from tpi_notes.domain.text_input import short_date
from tpi_notes.ui.admin.tables import Cell, danger, muted, warning

ITEM_HEADERS = ("Name", "Class", "Concentration", "HCPCS", "Lots", "Signed notes", "Status")
LOT_HEADERS = ("Lot", "NDC", "Expiry", "Signed notes", "Status")
SOON_DAYS = 30


def item_cells(use: ItemUse) -> list[Cell]:
    item = use.item

    def plain(text: str, tooltip: str = "") -> Cell:
        return muted(text, tooltip) if item.retired else Cell(text, tooltip=tooltip)

    concentration = f"{item.concentration_mg_per_ml:g} mg/mL" + (" + epinephrine" if item.with_epinephrine else "")
    hcpcs = f"{item.hcpcs_code} ({item.hcpcs_unit_mg:g} mg/unit)" if item.hcpcs_code and item.hcpcs_unit_mg else (
        item.hcpcs_code or "—")
    return [
        plain(item.name, f"{item.name} — code {item.code}\nSource: {item.source}"),
        plain(AGENT_CLASSES.get(item.agent_class, item.agent_class)),
        plain(concentration),
        plain(hcpcs),
        plain(str(use.lots)),
        plain(str(use.signed_notes) if use.signed_notes else "—",
              "Used by signed notes: it can be retired, not edited." if use.signed_notes else ""),
        muted("Retired", "No longer offered in the editor") if item.retired else Cell("Active"),
    ]


def expiry_cell(expiry: date, today: date, retired: bool) -> Cell:
    """Red once expired, amber within 30 days (what a nurse checks before drawing up)."""
    days = (expiry - today).days
    text = short_date(expiry)
    if days < 0:
        return danger(f"{text} · expired", f"Expired {-days} days ago")
    if days <= SOON_DAYS:
        return (muted if retired else warning)(f"{text} · {'today' if days == 0 else f'in {days} d'}",
                                               f"Expires in {days} days")
    return muted(text) if retired else Cell(text)


def lot_cells(use: LotUse, today: date) -> list[Cell]:
    lot = use.lot

    def plain(text: str) -> Cell:
        return muted(text) if lot.retired else Cell(text)

    return [
        plain(lot.lot_number),
        plain(lot.ndc or "—"),
        expiry_cell(lot.expiry, today, lot.retired),
        plain(str(use.signed_notes) if use.signed_notes else "—"),
        muted("Retired", "No longer offered in the editor") if lot.retired else Cell("Active"),
    ]
