"""Clinic administration of the formulary and lots: checks on every field, who may change them, and items
and lots a signed note used (frozen: retire and restore only)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.formulary_input import normalise_ndc
from tpi_notes.domain.permissions import PermissionDenied, Principal
from tpi_notes.services import clinic, formulary_admin
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import DEMO_END, build_demo

MEPIVACAINE = FormularyItem(
    code="mepivacaine-1", name="Mepivacaine 1 %", generic="mepivacaine", agent_class="local_anesthetic",
    strength_label="1 %", concentration_mg_per_ml=10.0, max_mg_per_kg=7.0, max_total_mg=400.0,
    vial_volume_ml=30.0, source="Mepivacaine label (clinic review 2026)", effective_date=date(2026, 1, 1),
)


def _dump(db_path: Path) -> tuple[list, list, list]:
    conn = sqlite3.connect(db_path)
    try:
        return (conn.execute("SELECT * FROM formulary_item ORDER BY id").fetchall(),
                conn.execute("SELECT * FROM lot ORDER BY id").fetchall(),
                conn.execute("SELECT id, action, entity, detail FROM audit_event ORDER BY id").fetchall())
    finally:
        conn.close()


def _signed_lot(db_path: Path) -> tuple[int, str, str]:
    """An active, in-date lot (id, item code, lot number) that a signed note used."""
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(
            "SELECT l.id, i.code, l.lot_number FROM preparation_component pc JOIN lot l ON l.id = pc.lot_id "
            "JOIN formulary_item i ON i.id = l.item_id JOIN preparation p ON p.id = pc.preparation_id "
            "JOIN procedure_session s ON s.id = p.session_id WHERE s.status = 'signed' AND l.retired = 0 "
            "AND l.expiry >= ? ORDER BY l.id LIMIT 1", (DEMO_END.isoformat(),)).fetchone()
    finally:
        conn.close()


@pytest.fixture
def demo(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    """A small demo clinic on its last day; the context acts as its administrator Lena Grant (user 8)."""
    build_demo(ctx, patients=8, sessions=30, seed=3)
    monkeypatch.setattr(ctx, "today", lambda: DEMO_END)
    ctx.act_as(Principal.for_user(8, "lgrant", "Lena Grant", ("admin",)))
    return ctx


def test_an_admin_adds_an_item_that_the_editor_offers(demo: AppContext, db_path: Path) -> None:
    added = formulary_admin.add_item(demo, replace(MEPIVACAINE, code=" Mepivacaine-1 ", name="Mepivacaine  1 %"))
    assert (added.code, added.name, added.retired) == ("mepivacaine-1", "Mepivacaine 1 %", False)
    assert added.max_mg_for(70) == 400.0
    assert "mepivacaine-1" in {i.code for i in clinic.list_formulary(demo)}
    assert _dump(db_path)[2][-1][1:] == ("create", "formulary_item", "formulary item mepivacaine-1 added: "
                                                                     "Mepivacaine 1 %")
    with pytest.raises(ValidationError, match="taken"):
        formulary_admin.add_item(demo, MEPIVACAINE)


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"code": ""}, "code", "required"),
    ({"code": "Mepi vacaine"}, "code", "lower-case"),
    ({"name": " "}, "name", "required"),
    ({"generic": ""}, "generic", "required"),
    ({"agent_class": "opioid"}, "agent_class", "Choose a class"),
    ({"strength_label": "x" * 41}, "strength_label", "at most 40"),
    ({"concentration_mg_per_ml": -1.0}, "concentration_mg_per_ml", "0 to 1000"),
    ({"concentration_mg_per_ml": 0.0}, "concentration_mg_per_ml", "more than 0"),
    ({"concentration_mg_per_ml": float("nan")}, "concentration_mg_per_ml", "0 to 1000"),
    ({"agent_class": "saline", "with_epinephrine": True, "max_mg_per_kg": None, "max_total_mg": None},
     "with_epinephrine", "Only a local anesthetic"),
    ({"max_mg_per_kg": 0.0}, "max_mg_per_kg", "more than 0"),
    ({"max_total_mg": -5.0}, "max_total_mg", "more than 0"),
    ({"max_mg_per_kg": None, "max_total_mg": None}, "max_total_mg", "needs a maximum dose"),
    ({"mpe_factor": 1.0}, "mpe_factor", "Only a corticosteroid"),
    ({"agent_class": "corticosteroid", "max_mg_per_kg": None, "max_total_mg": None}, "mpe_factor",
     "methylprednisolone-equivalent"),
    ({"hcpcs_code": "J33"}, "hcpcs_code", "letter and four digits"),
    ({"hcpcs_code": "J3301"}, "hcpcs_unit_mg", "mg per billing unit"),
    ({"hcpcs_unit_mg": 10.0}, "hcpcs_unit_mg", "belongs to a HCPCS code"),
    ({"vial_volume_ml": 0.0}, "vial_volume_ml", "more than 0"),
    ({"source": ""}, "source", "source"),
    ({"effective_date": None}, "effective_date", "date"),
])
def test_every_field_of_an_item_is_checked(demo: AppContext, db_path: Path, changes: dict, field: str,
                                           words: str) -> None:
    before = _dump(db_path)
    with pytest.raises(ValidationError) as caught:
        formulary_admin.add_item(demo, replace(MEPIVACAINE, **changes))
    assert field in caught.value.errors and words in caught.value.errors[field]
    assert _dump(db_path) == before


def test_a_corticosteroid_with_its_billing_code(demo: AppContext) -> None:
    item = replace(MEPIVACAINE, code="kenalog-10", name="Kenalog 10", generic="triamcinolone acetonide",
                   agent_class="corticosteroid", strength_label="10 mg/mL", max_mg_per_kg=None, max_total_mg=None,
                   mpe_factor=1.0, hcpcs_code="j3301", hcpcs_unit_mg=10.0)
    assert formulary_admin.add_item(demo, item).hcpcs_code == "J3301"


def test_retired_items_and_lots_stay_but_are_no_longer_offered(demo: AppContext, db_path: Path) -> None:
    lot_id, code, number = _signed_lot(db_path)
    formulary_admin.retire_lot(demo, lot_id)
    assert next(lot for lot in clinic.list_lots(demo) if lot.id == lot_id).retired
    formulary_admin.retire_item(demo, code)
    assert code not in {i.code for i in clinic.list_formulary(demo)}
    assert code in {i.code for i in clinic.list_formulary(demo, include_retired=True)}
    listed = {use.item.code: use for use in formulary_admin.list_items(demo)}
    assert listed[code].item.retired and listed[code].signed_notes > 0
    details = [row[3] for row in _dump(db_path)[2][-2:]]
    assert details == [f"lot {number} of {code} retired", f"formulary item {code} retired"]
    with pytest.raises(TpiError, match="restore it before adding a lot"):
        formulary_admin.add_lot(demo, code, "NEW-1", "", demo.today() + timedelta(days=400))
    formulary_admin.restore_item(demo, code)
    assert code in {i.code for i in clinic.list_formulary(demo)}


def test_lot_expiry_and_ndc_are_checked(demo: AppContext, db_path: Path) -> None:
    today = demo.today()
    before = _dump(db_path)
    with pytest.raises(ValidationError) as caught:
        formulary_admin.add_lot(demo, "lidocaine-1", "LX-1", "12345-6789-01", today - timedelta(days=1))
    assert "expired on" in caught.value.errors["expiry"]
    with pytest.raises(ValidationError) as caught:
        formulary_admin.add_lot(demo, "lidocaine-1", "LX-1", "1234-56789-0", today + timedelta(days=365 * 11))
    assert set(caught.value.errors) == {"ndc", "expiry"}
    with pytest.raises(ValidationError) as caught:
        formulary_admin.add_lot(demo, "lidocaine-1", "", "", None)
    assert set(caught.value.errors) == {"lot_number", "expiry"}
    assert _dump(db_path) == before

    lot = formulary_admin.add_lot(demo, "lidocaine-1", " LX-1 ", "12345678901", today)  # usable through today
    assert (lot.lot_number, lot.ndc, lot.expiry, lot.item_code) == ("LX-1", "12345-6789-01", today, "lidocaine-1")
    assert [use.lot.lot_number for use in formulary_admin.list_lots(demo, "lidocaine-1")][0] != ""
    with pytest.raises(ValidationError, match="already has lot"):
        formulary_admin.add_lot(demo, "lidocaine-1", "lx-1", "", today + timedelta(days=30))


@pytest.mark.parametrize(("text", "expected"), [
    ("1234-5678-90", "1234-5678-90"), ("12345-678-90", "12345-678-90"), ("12345-6789-0", "12345-6789-0"),
    ("12345-6789-01", "12345-6789-01"), (" 12345 6789 01 ", "12345-6789-01"), ("12345678901", "12345-6789-01"), ("", ""),
    ("1234567890", None), ("12345-67890-1", None), ("ABCDE-6789-01", None), ("١٢٣٤٥-6789-01", None),
])
def test_ndc_formats(text: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="not an NDC"):
            normalise_ndc(text)
    else:
        assert normalise_ndc(text) == expected


def test_what_a_signed_note_used_cannot_be_edited(demo: AppContext, db_path: Path) -> None:
    lot_id, code, number = _signed_lot(db_path)
    item = next(use.item for use in formulary_admin.list_items(demo) if use.item.code == code)
    before = _dump(db_path)
    with pytest.raises(ValidationError) as caught:
        formulary_admin.update_item(demo, code, replace(item, code=code + "-x"))
    assert "signed note" in caught.value.errors["code"] and "Retire it" in caught.value.errors["code"]
    with pytest.raises(ValidationError) as caught:
        formulary_admin.update_item(demo, code, replace(item, concentration_mg_per_ml=item.concentration_mg_per_ml * 2))
    assert "signed note" in caught.value.errors["code"]
    lot = next(use.lot for use in formulary_admin.list_lots(demo, code) if use.lot.id == lot_id)
    with pytest.raises(ValidationError) as caught:
        formulary_admin.update_lot(demo, lot_id, number + "B", lot.ndc, lot.expiry)
    assert "signed note" in caught.value.errors["lot_number"]
    assert _dump(db_path) == before
    # Saving it unchanged is no change at all.
    assert formulary_admin.update_lot(demo, lot_id, number, lot.ndc, lot.expiry) == lot
    assert _dump(db_path) == before


def test_an_unused_item_and_lot_can_be_corrected(demo: AppContext, db_path: Path) -> None:
    formulary_admin.add_item(demo, MEPIVACAINE)
    lot = formulary_admin.add_lot(demo, "mepivacaine-1", "MP-1", "", demo.today() + timedelta(days=200))
    fixed = formulary_admin.update_item(demo, "mepivacaine-1", replace(MEPIVACAINE, code="mepivacaine-1.5",
                                                                        max_total_mg=350.0))
    assert (fixed.code, fixed.max_total_mg) == ("mepivacaine-1.5", 350.0)
    moved = formulary_admin.update_lot(demo, lot.id, "MP-2", "12345-678-90", lot.expiry)
    assert (moved.item_code, moved.lot_number, moved.ndc) == ("mepivacaine-1.5", "MP-2", "12345-678-90")
    details = [row[3] for row in _dump(db_path)[2][-2:]]
    assert details == ["formulary item mepivacaine-1: changed code, max_total_mg",
                       "lot of mepivacaine-1.5: lot number: MP-1 → MP-2; NDC: none → 12345-678-90"]


def test_an_expired_retired_lot_is_not_offered_again(demo: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    lot = formulary_admin.add_lot(demo, "lidocaine-1", "OLD-1", "", DEMO_END + timedelta(days=1))
    formulary_admin.retire_lot(demo, lot.id)
    monkeypatch.setattr(demo, "today", lambda: DEMO_END + timedelta(days=10))
    with pytest.raises(TpiError, match="expired on"):
        formulary_admin.restore_lot(demo, lot.id)


ACTIONS: dict[str, Callable[[AppContext, tuple[int, str, str]], object]] = {
    "list_items": lambda ctx, used: formulary_admin.list_items(ctx),
    "list_lots": lambda ctx, used: formulary_admin.list_lots(ctx, used[1]),
    "add_item": lambda ctx, used: formulary_admin.add_item(ctx, MEPIVACAINE),
    "update_item": lambda ctx, used: formulary_admin.update_item(ctx, "saline-0.9", MEPIVACAINE),
    "retire_item": lambda ctx, used: formulary_admin.retire_item(ctx, used[1]),
    "restore_item": lambda ctx, used: formulary_admin.restore_item(ctx, used[1]),
    "add_lot": lambda ctx, used: formulary_admin.add_lot(ctx, used[1], "Z-9", "", ctx.today() + timedelta(days=90)),
    "update_lot": lambda ctx, used: formulary_admin.update_lot(ctx, used[0], "Z-9", "", ctx.today()),
    "retire_lot": lambda ctx, used: formulary_admin.retire_lot(ctx, used[0]),
    "restore_lot": lambda ctx, used: formulary_admin.restore_lot(ctx, used[0]),
}


@pytest.mark.parametrize("who", [(2, "rortiz", "Rafael Ortiz", ("physician",)),
                                 (5, "jsoto", "Julia Soto", ("nurse",))])
def test_physicians_and_nurses_are_refused_and_nothing_changes(demo: AppContext, db_path: Path,
                                                               who: tuple) -> None:
    used = _signed_lot(db_path)
    before = _dump(db_path)
    demo.act_as(Principal.for_user(*who))
    for name, action in ACTIONS.items():
        with pytest.raises(PermissionDenied, match="may not manage the formulary"):
            action(demo, used)
        assert _dump(db_path) == before, name


def test_an_admin_may_do_each_action(demo: AppContext, db_path: Path) -> None:
    used = _signed_lot(db_path)
    for name in ("list_items", "list_lots", "add_item", "retire_item", "restore_item", "add_lot", "retire_lot",
                 "restore_lot"):
        ACTIONS[name](demo, used)
    entries = [row[3] for row in _dump(db_path)[2]]
    assert sum(1 for d in entries if d.startswith(("formulary item", "lot "))) == 6
