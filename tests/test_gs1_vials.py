"""Scanned vials and open vials below the editor (issue 16 item 6): the GS1 text as scanners type it, the drug and
lot it names, and which open vial may be offered (28-day limit for multi-dose, one patient for single-dose)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from tpi_notes.db.models import FormularyItem, Lot
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.gs1 import ScanError, gtin_for_ndc10, parse_vial_scan
from tpi_notes.domain.open_vials import offers
from tpi_notes.domain.permissions import Principal
from tpi_notes.services import open_vials, vial_scan
from tpi_notes.services.context import AppContext

NDC10 = "0409488802"  # lidocaine 1 % as printed 0409-4888-02 (4-4-2)
GTIN = gtin_for_ndc10(NDC10)
EXPIRY = date.today() + timedelta(days=400)
YYMMDD = f"{EXPIRY:%y%m%d}"
WITH_GS = f"01{GTIN}17{YYMMDD}10LID-B2\x1d21SN0001"
WITHOUT_GS = f"01{GTIN}21SN000117{YYMMDD}10LID-B2"  # serial first, its GS dropped: one reading only
HRI = f"(01){GTIN}(17){YYMMDD}(10)LID-B2(21)SN0001"


def test_gtin_carries_the_ndc_with_a_valid_check_digit() -> None:
    assert GTIN == "00304094888026"


@pytest.mark.parametrize("text", [WITH_GS, "]d2" + WITH_GS, WITH_GS.replace("\x1d", "<GS>"),
                                  WITH_GS.replace("\x1d", "^]"), WITH_GS.replace("\x1d", "|"),
                                  WITH_GS.replace("\x1d", "\u241d"), WITHOUT_GS, HRI, HRI.replace(")", ") ") + "\r"])
def test_every_form_a_scanner_types_reads_the_same(text: str) -> None:
    scan = parse_vial_scan(text)
    assert (scan.gtin, scan.ndc10, scan.expiry, scan.lot, scan.serial) == (GTIN, NDC10, EXPIRY, "LID-B2", "SN0001")
    assert scan.matches_ndc("0409-4888-02") and scan.matches_ndc("00409-4888-02")
    assert not scan.matches_ndc("0409-4888-03")


def test_day_00_is_the_end_of_the_month() -> None:
    assert parse_vial_scan(f"01{GTIN}1727020010X1").expiry == date(2027, 2, 28)


@pytest.mark.parametrize("text, words", [
    (f"01{GTIN}17{YYMMDD}10LOT21SN9", "more than one way"),  # lot, then serial, GS dropped: ambiguous
    (f"01{GTIN[:-1]}9" + f"17{YYMMDD}10LOT", "check digit"),
    (f"01{gtin_for_ndc10(NDC10)[:1]}0412345678901" + "10X", "check digit"),
    ("https://example.org", "not a drug vial"),
    (f"01{GTIN}17{YYMMDD}", "no lot"),
    ("", "Nothing was scanned"),
])
def test_what_cannot_be_read_is_refused_in_words(text: str, words: str) -> None:
    with pytest.raises(ScanError, match=words):
        parse_vial_scan(text)


def test_a_gtin_without_an_ndc_is_refused() -> None:
    body = "0" + "40" + "1234567890"
    from tpi_notes.domain.gs1 import _check_digit
    with pytest.raises(ScanError, match="no US National Drug Code"):
        parse_vial_scan(f"01{body}{_check_digit(body)}10X")


def _lot(ctx: AppContext, code: str, number: str, expiry: date, ndc: str = "") -> None:
    with ctx.transaction() as s:
        item_id = s.scalar(select(FormularyItem.id).where(FormularyItem.code == code))
        s.add(Lot(item_id=item_id, lot_number=number, expiry=expiry, ndc=ndc))


@pytest.fixture
def stocked(ctx: AppContext) -> AppContext:
    _lot(ctx, "lidocaine-1", "LID-A1", date.today() + timedelta(days=200), "0409-4888-02")
    _lot(ctx, "lidocaine-1", "LID-B2", EXPIRY, "0409-4888-02")
    _lot(ctx, "lidocaine-1", "LID-OLD", date.today() - timedelta(days=3), "0409-4888-02")
    return ctx


def test_a_scan_names_the_formulary_drug_and_the_listed_lot(stocked: AppContext) -> None:
    found = vial_scan.resolve_scan(stocked, WITHOUT_GS, date.today())
    assert (found.item_code, found.lot_number, found.expiry, found.known) == ("lidocaine-1", "LID-B2", EXPIRY, True)


def test_an_expired_lot_and_an_unknown_ndc_are_refused(stocked: AppContext) -> None:
    old = f"01{GTIN}17{date.today() - timedelta(days=3):%y%m%d}10LID-OLD"
    with pytest.raises(ScanError, match="expired on"):
        vial_scan.resolve_scan(stocked, old, date.today())
    with pytest.raises(ScanError, match="on no lot of the formulary"):
        vial_scan.resolve_scan(stocked, f"01{gtin_for_ndc10('1234567890')}17{YYMMDD}10Z", date.today())


def test_an_unknown_lot_of_a_known_drug_is_registered_only_by_who_manages_lots(stocked: AppContext) -> None:
    text = f"01{GTIN}17{YYMMDD}10NEW-9\x1d21S1"
    found = vial_scan.resolve_scan(stocked, text, date.today())
    assert (found.item_code, found.lot_number, found.known, found.ndc) == ("lidocaine-1", "NEW-9", False,
                                                                          "0409-4888-02")
    stocked.act_as(Principal.for_user(1, "nurse", "N. Nurse", ("nurse",)))
    with pytest.raises(TpiError, match="not on the lot list. Ask whoever manages the formulary"):
        vial_scan.register_scanned_lot(stocked, found)
    stocked.act_as(Principal("test:admin", "Admin", frozenset(Principal.for_user(1, "a", "A", ("admin",))
                                                                .permissions)))
    lot = vial_scan.register_scanned_lot(stocked, found)
    assert (lot.item_code, lot.lot_number, lot.expiry, lot.ndc) == ("lidocaine-1", "NEW-9", EXPIRY, "0409-4888-02")


def test_a_multi_dose_vial_is_offered_for_28_days_then_refused(stocked: AppContext) -> None:
    opened = datetime.now().replace(microsecond=0) - timedelta(days=27, hours=23)
    vial = open_vials.record_opened(stocked, "lidocaine-1", "LID-A1", " Procedure  room 1", at=opened)
    listed = open_vials.list_open(stocked)
    now = datetime.now()
    usable, refused = offers(listed, "lidocaine-1", "procedure room 1", 1, now)
    assert [v.id for v in usable] == [vial.id] and refused == []
    assert offers(listed, "lidocaine-1", "Exam room 3", 1, now) == ([], [])  # another room: not offered
    assert open_vials.take_open_vial(stocked, vial.id, 1, now).lot_number == "LID-A1"
    later = now + timedelta(hours=2)  # 28 days and an hour after opening
    usable, refused = offers(listed, "lidocaine-1", "Procedure room 1", 1, later)
    assert usable == [] and "28 days" in refused[0]
    with pytest.raises(TpiError, match=r"opened on .* 28 days ago: a multi-dose vial is used within 28 days"):
        open_vials.take_open_vial(stocked, vial.id, 1, later)


def test_a_single_dose_vial_is_for_its_patient_alone(stocked: AppContext) -> None:
    _lot(stocked, "triamcinolone-40", "TRI-77", EXPIRY)
    from test_ui_editor_fixtures import History, PatientInput, patient_service  # noqa: PLC0415
    people = [patient_service.create_patient(stocked, PatientInput(
        mrn=f"V-{i}", family_name="Vial", given_name=f"P{i}", birth_date=date(1970, 1, 1), sex="female",
        history=History.of(allergies="no"))).id for i in (1, 2)]
    with pytest.raises(TpiError, match="single-dose vials: open one for a patient"):
        open_vials.record_opened(stocked, "triamcinolone-40", "TRI-77", "Room 1")
    vial = open_vials.record_opened(stocked, "triamcinolone-40", "TRI-77", "Room 1", patient_id=people[0])
    listed, now = open_vials.list_open(stocked), datetime.now() + timedelta(seconds=1)
    assert [v.id for v in offers(listed, "triamcinolone-40", "room 1", people[0], now)[0]] == [vial.id]
    assert offers(listed, "triamcinolone-40", "room 1", people[1], now) == ([], [])
    with pytest.raises(TpiError, match="single-dose vial opened for another patient"):
        open_vials.take_open_vial(stocked, vial.id, people[1], now)
    # and for that procedure only: not at the patient's next visit
    next_visit = now + timedelta(days=7)
    assert offers(listed, "triamcinolone-40", "room 1", people[0], next_visit) == ([], [])
    with pytest.raises(TpiError, match="for an earlier procedure: it serves one procedure only"):
        open_vials.take_open_vial(stocked, vial.id, people[0], next_visit)


def test_scanning_the_same_vial_twice_records_it_once(stocked: AppContext) -> None:
    first = open_vials.record_opened(stocked, "lidocaine-1", "LID-B2", "Room 1", serial="SN0001")
    again = open_vials.record_opened(stocked, "lidocaine-1", "LID-B2", "Room 1", serial="SN0001")
    assert again.id == first.id and len(open_vials.list_open(stocked)) == 1


@pytest.mark.parametrize("role, allowed", [("physician", True), ("nurse", True), ("admin", False)])
def test_who_records_a_vial_opened(stocked: AppContext, role: str, allowed: bool) -> None:
    from tpi_notes.domain.permissions import PermissionDenied, permissions_for  # noqa: PLC0415

    stocked.act_as(Principal(f"test:{role}", role, permissions_for((role,))))
    if allowed:
        assert open_vials.record_opened(stocked, "lidocaine-1", "LID-A1", "Room 1").opened_by == role
    else:  # an administrator reads the record but never charts (architecture.md)
        with pytest.raises(PermissionDenied, match="Not allowed"):
            open_vials.record_opened(stocked, "lidocaine-1", "LID-A1", "Room 1")
