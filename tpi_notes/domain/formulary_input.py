"""Checks on a formulary item and a lot entered by an administrator (product.md §3), and the NDC format.

Plain functions: each returns the value tidied or raises ValidationError naming every wrong field, under the
attribute names of :class:`~tpi_notes.domain.formulary.FormularyItem` (and ``lot_number``, ``ndc``,
``expiry`` for a lot).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.formulary import AGENT_CLASSES, FormularyItem, Lot
from tpi_notes.domain.ndc import FORMS, HINT, parse_ndc
from tpi_notes.domain.text_input import short_date

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
HCPCS_PATTERN = re.compile(r"^[A-Z][0-9]{4}$")
LOT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]*$")
# NDC segment lengths (labeler-product-package): the three 10-digit forms, the 11-digit billing form and the
# FDA's 12-digit 6-4-2 format (domain/ndc.py).
NDC_FORMS = FORMS
NDC_HINT = HINT
LOT_MAX_YEARS = 10


@dataclass(frozen=True)
class ItemUse:
    """A formulary item with the number of signed notes that used it (which freezes it)."""

    item: FormularyItem
    signed_notes: int
    lots: int = 0


@dataclass(frozen=True)
class LotUse:
    lot: Lot
    signed_notes: int


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def _positive(errors: dict[str, str], name: str, value: float | None, high: float, what: str,
              required: str | None = None) -> None:
    if value is None:
        if required:
            errors[name] = required
        return
    if value != value or not 0 < value <= high:
        errors[name] = f"{what} must be more than 0 and at most {high:g}."


def validate_item(item: FormularyItem) -> FormularyItem:
    """The item tidied (code in lower case, HCPCS in upper case, spaces collapsed)."""
    errors: dict[str, str] = {}
    code = (item.code or "").strip().lower()
    if not code:
        errors["code"] = "The code is required (e.g. lidocaine-1); notes refer to the item by it."
    elif len(code) > 64 or not CODE_PATTERN.match(code):
        errors["code"] = "Use at most 64 lower-case letters, digits, dots, dashes and underscores."
    name, generic, strength, source = _text(item.name), _text(item.generic), _text(item.strength_label), \
        _text(item.source)
    for key, value, limit, what in (("name", name, 120, "The name"), ("generic", generic, 120, "The generic name"),
                                    ("strength_label", strength, 40, "The strength")):
        if not value:
            errors[key] = f"{what} is required."
        elif len(value) > limit:
            errors[key] = f"{what} can be at most {limit} characters."
    cls = item.agent_class
    if cls not in AGENT_CLASSES:
        errors["agent_class"] = f"Choose a class: {', '.join(AGENT_CLASSES.values())}."
    conc = item.concentration_mg_per_ml
    if conc is None or conc != conc or not 0 <= conc <= 1000:
        errors["concentration_mg_per_ml"] = "The concentration is 0 to 1000 mg/mL."
    elif conc == 0 and cls in ("local_anesthetic", "corticosteroid"):
        errors["concentration_mg_per_ml"] = "A drug's concentration must be more than 0 mg/mL."
    if item.with_epinephrine and cls != "local_anesthetic":
        errors["with_epinephrine"] = "Only a local anesthetic comes with epinephrine."
    _positive(errors, "max_mg_per_kg", item.max_mg_per_kg, 50, "The maximum mg/kg")
    _positive(errors, "max_total_mg", item.max_total_mg, 10000, "The absolute maximum")
    if cls == "local_anesthetic" and item.max_mg_per_kg is None and item.max_total_mg is None \
            and "max_total_mg" not in errors:
        errors["max_total_mg"] = ("A local anesthetic needs a maximum dose (mg/kg, absolute, or both) for the "
                                  "dose checks.")
    if cls == "corticosteroid":
        _positive(errors, "mpe_factor", item.mpe_factor, 100, "The methylprednisolone-equivalent factor",
                  "A corticosteroid needs its methylprednisolone-equivalent factor (1 for methylprednisolone).")
    elif item.mpe_factor is not None:
        errors["mpe_factor"] = "Only a corticosteroid has a methylprednisolone-equivalent factor."
    hcpcs = (item.hcpcs_code or "").strip().upper() or None
    if hcpcs is not None and not HCPCS_PATTERN.match(hcpcs):
        errors["hcpcs_code"] = "A HCPCS code is a letter and four digits (e.g. J3301)."
    if hcpcs is None and item.hcpcs_unit_mg is not None:
        errors["hcpcs_unit_mg"] = "A billing unit belongs to a HCPCS code; enter the code or clear the unit."
    else:
        _positive(errors, "hcpcs_unit_mg", item.hcpcs_unit_mg, 1000, "The billing unit",
                  "Enter the mg per billing unit of the HCPCS code (e.g. 10 for J3301)." if hcpcs else None)
    _positive(errors, "vial_volume_ml", item.vial_volume_ml, 1000, "The vial volume")
    if not source:
        errors["source"] = "Name the source of the dose limits (label, guideline), as the default formulary does."
    elif len(source) > 2000:
        errors["source"] = "The source can be at most 2000 characters."
    if item.effective_date is None:
        errors["effective_date"] = "Enter the date from which this entry applies."
    if errors:
        raise ValidationError(errors)
    return replace(item, code=code, name=name, generic=generic, strength_label=strength, source=source,
                   hcpcs_code=hcpcs)


def normalise_ndc(text: str) -> str:
    """A dashed NDC as typed (spaces removed; the package's 10-digit form is kept, claims pad it later), an 11- or
    12-digit one without dashes as 5-4-2 or 6-4-2; "" stays "".

    Raises ValueError with a message for a person when it is not an NDC."""
    if not "".join(text.split()):
        return ""
    return parse_ndc(text).dashed


def validate_lot(lot_number: str, ndc: str, expiry: date | None, today: date, *,
                 check_expiry: bool = True) -> tuple[str, str, date]:
    """The lot number trimmed and the NDC normalised; an expiry already past is refused."""
    errors: dict[str, str] = {}
    number = " ".join(lot_number.split())
    if not number:
        errors["lot_number"] = "The lot number is required (it is printed on the vial)."
    elif len(number) > 40 or not LOT_PATTERN.match(number):
        errors["lot_number"] = "Use at most 40 letters, digits, spaces, dots, slashes and dashes."
    try:
        clean_ndc = normalise_ndc(ndc)
    except ValueError as exc:
        errors["ndc"] = str(exc)
        clean_ndc = ""
    if expiry is None:
        errors["expiry"] = "Enter the expiry date printed on the vial."
    elif check_expiry and expiry < today:
        errors["expiry"] = (f"This lot expired on {short_date(expiry)}; an expired lot cannot be added. "
                            "Check the date on the vial.")
    elif check_expiry and expiry > today + timedelta(days=365 * LOT_MAX_YEARS):
        errors["expiry"] = f"An expiry more than {LOT_MAX_YEARS} years ahead is probably a typing error."
    if errors:
        raise ValidationError(errors)
    assert expiry is not None
    return number, clean_ndc, expiry
