"""A vial's GS1 DataMatrix as an outside tester scans it (issue 16 item 6, clinical-reference §9.3): every way a
keyboard-wedge scanner types the symbol, the GS1 date rules, the NDC layouts inside a GTIN-14, what cannot be read
(each refused in words a person understands, nothing changed), and the scan matched to the formulary and lot list.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tpi_notes.db.models import FormularyItem, Lot, OpenVial
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.gs1 import ScanError, _check_digit, gtin_for_ndc10, parse_vial_scan
from tpi_notes.domain.permissions import Principal, permissions_for
from tpi_notes.services import vial_scan
from tpi_notes.services.context import AppContext

NDC10 = "0409488802"  # lidocaine 1 %, printed 0409-4888-02 (4-4-2)
GTIN = gtin_for_ndc10(NDC10)
TODAY = date.today()
EXPIRY = TODAY + timedelta(days=400)
YYMMDD = f"{EXPIRY:%y%m%d}"
WANT = (GTIN, NDC10, EXPIRY, "LID-B2", "SN0001")


def _read(text: str) -> tuple:
    scan = parse_vial_scan(text)
    return scan.gtin, scan.ndc10, scan.expiry, scan.lot, scan.serial


# -- the forms a scanner types ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    f"01{GTIN}17{YYMMDD}10LID-B2\x1d21SN0001",  # FNC1 as GS, lot then serial
    f"\x1d01{GTIN}17{YYMMDD}10LID-B2\x1d21SN0001",  # FNC1 in first position
    f"]d201{GTIN}17{YYMMDD}10LID-B2\x1d21SN0001",  # DataMatrix symbology prefix
    f"]C101{GTIN}17{YYMMDD}10LID-B2\x1d21SN0001",  # GS1-128 symbology prefix
    f"01{GTIN}17{YYMMDD}10LID-B2<GS>21SN0001",
    f"01{GTIN}17{YYMMDD}10LID-B2^21SN0001",
    f"01{GTIN}17{YYMMDD}10LID-B2~21SN0001",
    f"01{GTIN}17{YYMMDD}10LID-B2<FNC1>21SN0001",  # a scanner set to spell FNC1 out
    f"01{GTIN}17{YYMMDD}10LID-B2{{FNC1}}21SN0001",
    f"01{GTIN}17{YYMMDD}10LID-B2\x1d21SN0001\r\n",  # the scanner's suffix
    f"01{GTIN}17{YYMMDD}21SN0001\x1d10LID-B2",  # the lot last, without a separator after it
])
def test_every_way_a_scanner_types_the_symbol_reads_the_same(text: str) -> None:
    assert _read(text) == WANT


@pytest.mark.parametrize("text", [
    f"10LID-B2\x1d21SN0001\x1d01{GTIN}17{YYMMDD}",  # lot first (variable fields each ended by GS)
    f"21SN0001\x1d17{YYMMDD}10LID-B2\x1d01{GTIN}",  # serial first, GTIN last
    f"17{YYMMDD}01{GTIN}10LID-B2\x1d21SN0001",  # the fixed-length fields in another order
    f"]d210LID-B2\x1d01{GTIN}17{YYMMDD}21SN0001",
    f"17{YYMMDD}01{GTIN}21SN0001\x1d10LID-B2",
    f"(10)LID-B2(21)SN0001(17){YYMMDD}(01){GTIN}",  # the printed form, any order
])
def test_the_application_identifiers_may_come_in_any_order(text: str) -> None:
    """GS1 sets no order for element strings; labellers print the GTIN first, but not all of them."""
    assert _read(text) == WANT


def test_the_fields_in_another_order_without_separators_are_read_when_only_one_reading_holds() -> None:
    """The serial first, every GS dropped: "SN000101…" could hide the GTIN at either "01", but only one place gives
    a GTIN with a good check digit."""
    assert _read(f"21SN000101{GTIN}17{YYMMDD}10LID-B2") == WANT
    with pytest.raises(ScanError, match="more than one way"):  # a lot then a serial, the GS dropped: two readings
        parse_vial_scan(f"17{YYMMDD}01{GTIN}10LID21B2")


@pytest.mark.parametrize("lot", ["lid-b2", "A/12-b", "LOT.7_x", "0012345"])
def test_a_lot_keeps_its_case_and_punctuation(lot: str) -> None:
    assert parse_vial_scan(f"01{GTIN}17{YYMMDD}10{lot}").lot == lot
    assert parse_vial_scan(f"(01){GTIN}(17){YYMMDD}(10){lot}").lot == lot


# -- GS1 dates ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("yymmdd, expiry", [
    ("270200", date(2027, 2, 28)),  # day 00: the last day of that month
    ("280200", date(2028, 2, 29)),  # … February of a leap year
    ("270400", date(2027, 4, 30)),
    ("271200", date(2027, 12, 31)),
    ("280229", date(2028, 2, 29)),
])
def test_expiry_dates_follow_the_gs1_rules(yymmdd: str, expiry: date) -> None:
    assert parse_vial_scan(f"01{GTIN}17{yymmdd}10X").expiry == expiry


def test_a_two_digit_year_takes_the_century_gs1_gives_it() -> None:
    """GS1 General Specifications 7.12: a year up to 49 ahead is this century, 51 or more ahead the last."""
    this_year = TODAY.year
    ahead = (this_year + 49) % 100
    behind = (this_year + 51) % 100
    assert parse_vial_scan(f"01{GTIN}17{ahead:02d}1231\x1d10X").expiry.year == this_year + 49
    assert parse_vial_scan(f"01{GTIN}17{behind:02d}1231\x1d10X").expiry.year == this_year + 51 - 100


@pytest.mark.parametrize("yymmdd", ["271331", "270230", "270431", "280230", "27AB01"])
def test_an_impossible_expiry_is_refused_in_plain_words(yymmdd: str) -> None:
    with pytest.raises(ScanError) as caught:
        parse_vial_scan(f"01{GTIN}17{yymmdd}\x1d10X")
    message = str(caught.value)
    assert "expiry" in message and "scan it again" in message
    assert "pattern" not in message and "^" not in message and "\\d" not in message  # no regular expression


def test_text_that_reads_too_many_ways_is_refused_rather_than_searched_for_seconds() -> None:
    """A dropped separator is searched for among the places a field may start; "1010…" has a place at every other
    character (the old search took 3 s on this 82-character text, 8 s on a 100-character one)."""
    with pytest.raises(ScanError, match="too many ways.*send GS"):
        parse_vial_scan("01" + "10" * 40)


# -- the NDC inside the GTIN ----------------------------------------------------------------------------------

@pytest.mark.parametrize("printed, billing", [
    ("0409-4888-02", "00409488802"),  # 4-4-2
    ("12345-678-90", "12345067890"),  # 5-3-2
    ("12345-6789-0", "12345678900"),  # 5-4-1
])
def test_each_ndc_layout_inside_a_gtin_matches_its_billing_form(printed: str, billing: str) -> None:
    ten = printed.replace("-", "")
    for indicator in "0159":  # each packaging level
        scan = parse_vial_scan(f"01{gtin_for_ndc10(ten, indicator)}17{YYMMDD}10X")
        assert scan.ndc10 == ten and billing in scan.billing_candidates()
        assert scan.matches_ndc(printed) and scan.matches_ndc(billing)
        assert scan.matches_ndc(f"{billing[:5]}-{billing[5:9]}-{billing[9:]}")
        assert not scan.matches_ndc("99999-9999-99") and not scan.matches_ndc("") and not scan.matches_ndc("junk")


def _plain_gtin(body13: str = "0123456789012") -> str:
    return body13 + str(_check_digit(body13))


NDC12 = "123456789012"  # the FDA's 12-digit 6-4-2 NDC, 123456-7890-12 (final rule of March 2026)


@pytest.mark.parametrize("text", [
    f"01{_plain_gtin()}17{YYMMDD}715{NDC12}\x1d10LID-12",
    f"01{_plain_gtin()}17{YYMMDD}715{NDC12}10LID-12",  # its GS dropped: the NDC is 12 digits, one reading
    f"(01){_plain_gtin()}(17){YYMMDD}(715){NDC12}(10)LID-12",
    f"10LID-12\x1d715{NDC12}\x1d01{_plain_gtin()}17{YYMMDD}",
])
def test_a_12_digit_ndc_comes_in_its_own_field_715(text: str) -> None:
    """From 2033 the NDC is no longer inside the GTIN: GS1 carries it in AI (715), NHRN for the US FDA."""
    scan = parse_vial_scan(text)
    assert (scan.lot, scan.expiry) == ("LID-12", EXPIRY)
    assert scan.matches_ndc("123456-7890-12") and scan.matches_ndc(NDC12)
    assert not scan.matches_ndc("0409-4888-02") and scan.ndc_text == "123456-7890-12"


def test_a_gtin_without_an_ndc_and_no_field_715_is_refused() -> None:
    with pytest.raises(ScanError, match="no US National Drug Code"):
        parse_vial_scan(f"01{_plain_gtin()}17{YYMMDD}10X")


@pytest.mark.parametrize("text, words", [
    (f"01{GTIN[:-1]}{(int(GTIN[-1]) + 1) % 10}17{YYMMDD}10X", "check digit"),
    ("01" + "5012345678900"[:12] + "0" + str(_check_digit("0501234567890")) + f"17{YYMMDD}10X", "no US National"),
    (f"17{YYMMDD}10X", "GTIN"),  # AI 01 missing
    (f"(17){YYMMDD}(10)X", "GTIN"),  # … in the printed form too
    (f"01{GTIN}17{YYMMDD}", "no lot"),
    ("hello world", "not a drug vial"),
    ("0123", "not a drug vial"),
    ("https://example.org/01/00304094888026", "not a drug vial"),
    ("", "Nothing was scanned"),
    ("\r\n", "Nothing was scanned"),
    (f"01{GTIN}01{GTIN}17{YYMMDD}10X", "twice"),
    (GTIN[2:], "linear barcode \\(NDC 0409488802\\): it holds no lot or expiry"),  # UPC-A on the carton
    (GTIN[1:], "linear barcode"),  # … read as EAN-13
    ("]E0" + GTIN[1:], "linear barcode"),
])
def test_what_is_not_a_vials_barcode_is_refused_in_words(text: str, words: str) -> None:
    with pytest.raises(ScanError, match=words) as caught:
        parse_vial_scan(text)
    assert "pattern" not in str(caught.value) and "Failed to" not in str(caught.value)


# -- matched to the formulary and the lot list --------------------------------------------------------------

def _lot(ctx: AppContext, code: str, number: str, expiry: date, ndc: str = "") -> None:
    with ctx.transaction() as s:
        item_id = s.scalar(select(FormularyItem.id).where(FormularyItem.code == code))
        s.add(Lot(item_id=item_id, lot_number=number, expiry=expiry, ndc=ndc))


@pytest.fixture
def stocked(ctx: AppContext) -> AppContext:
    _lot(ctx, "lidocaine-1", "LID-B2", EXPIRY, "0409-4888-02")
    _lot(ctx, "lidocaine-1", "LID-TODAY", TODAY, "0409-4888-02")
    _lot(ctx, "bupivacaine-0.25", "BUP-1", EXPIRY, "12345-678-90")  # 5-3-2
    _lot(ctx, "triamcinolone-40", "TRI-1", EXPIRY, "12345-6789-0")  # 5-4-1
    return ctx


def _counts(ctx: AppContext) -> tuple[int, int]:
    with ctx.read() as s:
        return s.scalar(select(func.count()).select_from(Lot)), s.scalar(select(func.count()).select_from(OpenVial))


@pytest.mark.parametrize("ndc10, code, lot", [("0409488802", "lidocaine-1", "LID-B2"),
                                              ("1234567890", "bupivacaine-0.25", "BUP-1"),
                                              ("1234567890", "triamcinolone-40", "TRI-1")])
def test_the_ndc_names_the_formulary_item_in_every_layout(stocked: AppContext, ndc10: str, code: str,
                                                          lot: str) -> None:
    """5-3-2 "12345-678-90" and 5-4-1 "12345-6789-0" are one GTIN's ten digits (the FDA keeps ten-digit NDCs
    unique, so two items recorded that way is a slip on the list): the lot number says which is meant."""
    found = vial_scan.resolve_scan(stocked, f"01{gtin_for_ndc10(ndc10)}17{YYMMDD}10{lot}", TODAY)
    assert (found.item_code, found.lot_number, found.known) == (code, lot, True)


def test_an_ndc_two_items_carry_and_a_lot_neither_has_is_refused(stocked: AppContext) -> None:
    text = f"01{gtin_for_ndc10('1234567890')}17{YYMMDD}10NEW-1"
    with pytest.raises(ScanError, match="recorded for 2 formulary items"):
        vial_scan.resolve_scan(stocked, text, TODAY)
    # … except in the lot dialog of one of them, which says which item the new lot is of
    found = vial_scan.resolve_scan(stocked, text, TODAY, item_code="bupivacaine-0.25")
    assert (found.item_code, found.lot_number, found.known, found.ndc) == ("bupivacaine-0.25", "NEW-1", False,
                                                                           "12345-678-90")


def test_a_lowercase_scan_of_a_listed_lot_is_that_lot(stocked: AppContext) -> None:
    found = vial_scan.resolve_scan(stocked, f"01{GTIN}17{YYMMDD}10lid-b2", TODAY)
    assert (found.lot_number, found.known) == ("LID-B2", True)


def test_a_lot_is_usable_through_its_expiry_day_and_refused_the_day_after(stocked: AppContext) -> None:
    """FDA: the expiration date is the last day the drug may be used; GS1 and the lot list agree."""
    text = f"01{GTIN}17{TODAY:%y%m%d}10LID-TODAY"
    assert vial_scan.resolve_scan(stocked, text, TODAY).lot_number == "LID-TODAY"
    with pytest.raises(ScanError, match=f"expired on {TODAY.isoformat()}"):
        vial_scan.resolve_scan(stocked, text, TODAY + timedelta(days=1))  # a session dated tomorrow


def test_a_lot_expiring_before_the_sessions_date_is_refused_and_a_late_entry_takes_it(stocked: AppContext) -> None:
    _lot(stocked, "lidocaine-1", "LID-GONE", TODAY - timedelta(days=10), "0409-4888-02")
    text = f"01{GTIN}17{TODAY - timedelta(days=10):%y%m%d}10LID-GONE"
    with pytest.raises(ScanError, match="expired on"):
        vial_scan.resolve_scan(stocked, text, TODAY)
    # a session charted late for a day the lot was still in date
    assert vial_scan.resolve_scan(stocked, text, TODAY - timedelta(days=20)).lot_number == "LID-GONE"


def test_a_barcode_whose_expiry_differs_from_the_lot_list_is_refused(stocked: AppContext) -> None:
    """The note records the lot list's expiry: a vial saying otherwise means the list (or the vial) is wrong, and
    nobody should chart the later date unseen."""
    earlier = EXPIRY - timedelta(days=200)
    with pytest.raises(ScanError, match=rf"expires on {earlier.isoformat()}.*lot list.*{EXPIRY.isoformat()}"):
        vial_scan.resolve_scan(stocked, f"01{GTIN}17{earlier:%y%m%d}10LID-B2", TODAY)
    # no expiry in the barcode: the list's is the one there is
    assert vial_scan.resolve_scan(stocked, f"01{GTIN}10LID-B2", TODAY).expiry == EXPIRY


def test_a_12_digit_ndc_names_its_lot_and_a_new_lot_takes_it_dashed(stocked: AppContext) -> None:
    _lot(stocked, "lidocaine-2", "LID-12", EXPIRY, "123456-7890-12")
    found = vial_scan.resolve_scan(stocked, f"01{_plain_gtin()}17{YYMMDD}715{NDC12}\x1d10LID-12", TODAY)
    assert (found.item_code, found.lot_number, found.known) == ("lidocaine-2", "LID-12", True)
    new = vial_scan.resolve_scan(stocked, f"01{_plain_gtin()}17{YYMMDD}715{'9' * 12}\x1d10NEW-12", TODAY,
                                 item_code="lidocaine-2")
    assert (new.known, new.ndc) == (False, "999999-9999-99")  # 6-4-2: the dashes are known
    with pytest.raises(ScanError, match=r"\(999999-9999-99\) is on no lot"):
        vial_scan.resolve_scan(stocked, f"01{_plain_gtin()}17{YYMMDD}715{'9' * 12}\x1d10NEW-12", TODAY)


def test_an_unknown_ndc_is_refused_and_nothing_changes(stocked: AppContext) -> None:
    before = _counts(stocked)
    with pytest.raises(ScanError, match="is on no lot of the formulary"):
        vial_scan.resolve_scan(stocked, f"01{gtin_for_ndc10('5555566666')}17{YYMMDD}10Z", TODAY)
    assert _counts(stocked) == before


@pytest.mark.parametrize("roles, may", [(("admin",), True), (("physician",), False), (("nurse",), False),
                                        (("physician", "admin"), True)])
def test_an_unknown_lot_of_a_known_drug_is_registered_only_by_who_manages_the_lots(
        stocked: AppContext, roles: tuple[str, ...], may: bool) -> None:
    found = vial_scan.resolve_scan(stocked, f"01{GTIN}17{YYMMDD}10LID-NEW\x1d21S1", TODAY)
    assert (found.item_code, found.lot_number, found.known, found.expiry) == ("lidocaine-1", "LID-NEW", False,
                                                                            EXPIRY)
    stocked.act_as(Principal("test:" + "+".join(roles), "Tester", permissions_for(roles)))
    before = _counts(stocked)
    if may:
        assert vial_scan.register_scanned_lot(stocked, found).lot_number == "LID-NEW"
        assert _counts(stocked)[0] == before[0] + 1
    else:
        with pytest.raises(TpiError, match="not on the lot list. Ask whoever manages the formulary"):
            vial_scan.register_scanned_lot(stocked, found)
        assert _counts(stocked) == before


def test_an_unknown_lot_without_an_expiry_in_the_barcode_is_not_registered_blind(stocked: AppContext) -> None:
    found = vial_scan.resolve_scan(stocked, f"01{GTIN}10LID-NOEXP", TODAY)
    with pytest.raises(ScanError, match="no expiry"):
        vial_scan.register_scanned_lot(stocked, found)
