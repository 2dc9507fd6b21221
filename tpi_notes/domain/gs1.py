"""A vial's GS1 DataMatrix as a USB scanner types it (clinical-reference §9.3): GTIN with the NDC inside, expiry,
lot and serial, parsed with the `biip` library.

A keyboard-wedge scanner types the symbol's text and Enter. The group separator (GS, ASCII 29) that ends a
variable-length field is often lost or replaced on the way: a text field drops control characters, and scanners
are set to send a substitute ("<GS>", "{GS}", "<FNC1>", "^]", "~", "|", "^" …; none of them is in the GS1 character
set a lot or serial may use). Every substitute is read as GS. GS1 sets no order for the element strings: most
labellers put the GTIN first, but (10) lot or (17) expiry may lead. When the separators were dropped altogether, the
text may read more than one way ("10LOT21SER": lot "LOT21SER", or lot "LOT" then serial "SER"); each reading that
holds a GTIN with a good check digit, expiry and lot is tried, and a scan that still reads two ways is refused rather
than guessed. The printed human-readable form "(01)…(17)…(10)…(21)…" is read too, in any order.

What cannot be read is said in a person's words (the field and the text it held), never as biip's pattern.

For a US drug the GTIN-14 is an indicator digit, "03", the 10-digit NDC without dashes, and a check digit. Which
segment of those ten digits is short (4-4-2, 5-3-2, 5-4-1) is not in the barcode, so an NDC is matched against the
ones the clinic recorded by their 11-digit billing form. The FDA's 12-digit 6-4-2 NDC (final rule of March 2026, in
force from 2033) no longer fits inside the GTIN: GS1 carries it in its own field, AI (715) "NHRN, US FDA", beside a
GTIN of the labeller's own; when the barcode has that field, it is the NDC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from biip import ParseConfig, ParseError
from biip.gs1_messages import GS1Message

from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.ndc import parse_ndc

GS = "\x1d"
# Longest first, so "^]" is read before "^".
SUBSTITUTES = ("<FNC1>", "{FNC1}", "[FNC1]", "<fnc1>", "{fnc1}", "[fnc1]", "<GS>", "{GS}", "[GS]", "<gs>", "{gs}",
               "[gs]", "^]", "\u241d", "~", "|", "^")
SYMBOLOGY_PREFIXES = ("]d2", "]C1", "]Q3", "]e0", "]E0", "]A0")  # DataMatrix, GS1-128, QR, DataBar, EAN/UPC, …
_MAX_SPLITS = 3
_MAX_TRIES = 3000  # readings tried for a scan without separators (a real one takes tens, a hard one ~1,200)
_SPLIT_AIS = ("01", "10", "17", "21", "715")  # where a dropped GS may have stood: before another field of a vial's code
_AI_IN_ERROR = re.compile(r"AI \((\d{2,4})\)")
_FIELD_NAMES = {"01": "GTIN", "17": "expiry date", "10": "lot number", "21": "serial number", "715": "NDC"}


class ScanError(TpiError):
    """The scanned text is not a drug vial's GS1 barcode the app can read (the message says why)."""


@dataclass(frozen=True)
class VialScan:
    gtin: str
    ndc10: str  # the 10 NDC digits the GTIN carries, without dashes (segments unknown); "" with a 12-digit NDC
    expiry: date | None
    lot: str
    serial: str = ""
    ndc12: str = ""  # the 12-digit 6-4-2 NDC of field (715), without dashes

    def billing_candidates(self) -> frozenset[str]:
        """The 11-digit 5-4-2 billing forms the ten digits may stand for (4-4-2, 5-3-2 or 5-4-1 on the package); a
        12-digit NDC as it is (it has no other form)."""
        if self.ndc12:
            return frozenset({self.ndc12})
        d = self.ndc10
        return frozenset({"0" + d, d[:5] + "0" + d[5:], d[:9] + "0" + d[9:]})

    @property
    def ndc_text(self) -> str:
        """The NDC for people: "123456-7890-12"; ten digits read every way they may be printed."""
        if self.ndc12:
            d = self.ndc12
            return f"{d[:6]}-{d[6:10]}-{d[10:]}"
        d = self.ndc10
        return f"{d[:4]}-{d[4:8]}-{d[8:]} / {d[:5]}-{d[5:8]}-{d[8:]} / {d[:5]}-{d[5:9]}-{d[9:]}"

    def matches_ndc(self, stored: str | None) -> bool:
        """Whether a recorded NDC (any form the app accepts) is this scan's product."""
        if not stored or not stored.strip():
            return False
        try:
            return parse_ndc(stored).billing in self.billing_candidates()
        except ValueError:
            return False


def _normalise(text: str) -> str:
    value = text.strip(" \r\n\t")
    for prefix in SYMBOLOGY_PREFIXES:
        if value.startswith(prefix):
            value = value[len(prefix):]
            break
    for substitute in SUBSTITUTES:
        value = value.replace(substitute, GS)
    return value.lstrip(GS)  # an FNC1 in first position only says "GS1"


def _fields(message: GS1Message) -> dict[str, object]:
    out: dict[str, object] = {}
    for element in message.element_strings:
        ai = element.ai.ai
        if ai in out:
            raise ScanError(f"The barcode holds field ({ai}) twice; scan it again.")
        out[ai] = element.date if ai == "17" else element.value
    return out


def _readings(value: str, splits: int = 0, start: int = 2, tries: list[int] | None = None) -> list[dict[str, object]]:
    """Every way to read ``value`` (GS inserted where a variable field may hide another) holding a GTIN with a good
    check digit, 17 and 10.

    A GS goes only after the last one inserted (each set of places is tried once); one inside a fixed-length
    field makes that reading fail, one after it changes nothing (the same reading, counted once). Text that could
    be read too many ways (digits "1010…" all along) is refused rather than searched for seconds."""
    tries = [0] if tries is None else tries
    tries[0] += 1
    if tries[0] > _MAX_TRIES:
        raise ScanError("The scan can be read too many ways (the scanner dropped the group separators); set it to "
                        "send GS, or choose the lot from the list.")
    try:
        fields = _fields(GS1Message.parse(value, config=ParseConfig(separator_chars=[GS])))
        gtin = str(fields.get("01") or "")
        found = [fields] if {"01", "10", "17"} <= fields.keys() and _good_gtin(gtin) else []
    except (ParseError, ScanError):
        found = []
    if splits >= _MAX_SPLITS or (GS in value and splits == 0):
        return found
    for at in range(start, len(value) - 2):
        if value[at - 1] != GS and value.startswith(_SPLIT_AIS, at):
            found += _readings(value[:at] + GS + value[at:], splits + 1, at + 2, tries)
    return found


def _good_gtin(gtin: str) -> bool:
    return len(gtin) == 14 and gtin.isdigit() and _check_digit(gtin[:13]) == int(gtin[13])


def _explain(exc: ParseError, value: str, printed: bool = False) -> ScanError:
    """biip's refusal in a person's words: which field held what (biip's own text quotes its pattern)."""
    text = str(exc)
    found = _AI_IN_ERROR.search(text)
    quoted = re.search(r"'([^']*)'", text)
    held = quoted.group(1) if quoted else ""
    if found is None:
        if value[:2].isdigit() and len(value) > 16:
            return ScanError("The barcode could not be read as GS1 fields (it may have been scanned in part); "
                             "scan it again.")
        return ScanError("This is not a drug vial's GS1 barcode (no GTIN, field 01, could be read); scan the "
                         "vial's 2D code.")
    ai = found.group(1)
    if held.startswith(ai) and len(held) > len(ai) + 1 and "pattern" in text:
        held = held[len(ai):]
    name = _FIELD_NAMES.get(ai, "field")
    where = "printed barcode text" if printed else "barcode"
    if ai == "17":
        return ScanError(f"The expiry in the {where} (field 17: “{held}”) is not a date (YYMMDD); scan it again.")
    if ai == "01" and len(value) < 16:
        return ScanError("This is not a drug vial's GS1 barcode (too short for a GTIN, field 01); scan the vial's "
                         "2D code.")
    return ScanError(f"The {name} in the {where} (field {ai}: “{held}”) could not be read; scan it again.")


def _distinct(readings: list[dict[str, object]]) -> list[dict[str, object]]:
    unique: dict[tuple, dict[str, object]] = {}
    for r in readings:
        unique.setdefault((r.get("01"), r.get("17"), r.get("10"), r.get("21")), r)
    return list(unique.values())


def _parse_hri(value: str) -> dict[str, object]:
    text = "".join(value.replace(GS, "").split())
    try:
        return _fields(GS1Message.parse_hri(text))
    except ParseError as exc:
        raise _explain(exc, text, printed=True) from None


def parse_vial_scan(text: str) -> VialScan:
    """The vial's GTIN, NDC, expiry, lot and serial; ScanError with a message for a person otherwise."""
    value = _normalise(text)
    if not value:
        raise ScanError("Nothing was scanned.")
    _refuse_linear(value)
    if value.startswith("("):
        fields = _parse_hri(value)
    else:
        if not value[:2].isdigit():
            raise ScanError("This is not a drug vial's GS1 barcode (it does not begin with a GS1 field such as the "
                            "GTIN, field 01); scan the vial's 2D code.")
        readings = _distinct(_readings(value))
        if not readings:
            try:
                fields = _fields(GS1Message.parse(value, config=ParseConfig(separator_chars=[GS])))
            except ParseError as exc:
                raise _explain(exc, value) from None
        elif len(readings) > 1:
            ways = " or ".join(f"lot {r['10']}" + (f" with serial {r['21']}" if r.get("21") else "") for r in readings)
            raise ScanError(f"The scan reads more than one way ({ways}): the scanner dropped the group "
                            "separator. Set it to send GS, or choose the lot from the list.")
        else:
            fields = readings[0]
    return _vial(fields)


def _vial(fields: dict[str, object]) -> VialScan:
    gtin = str(fields.get("01") or "")
    if len(gtin) != 14 or not gtin.isdigit():
        raise ScanError("The barcode holds no GTIN (field 01): it is not a drug vial's barcode.")
    if _check_digit(gtin[:13]) != int(gtin[13]):
        raise ScanError(f"The GTIN {gtin} fails its check digit: scan it again.")
    nhrn = "".join(str(fields.get("715") or "").split("-"))
    if nhrn and not (len(nhrn) == 12 and nhrn.isdigit()):
        raise ScanError(f"The NDC in the barcode (field 715: “{nhrn}”) is not a 12-digit NDC; choose the lot from "
                        "the list.")
    if not nhrn and gtin[1:3] != "03":
        raise ScanError(f"The GTIN {gtin} holds no US National Drug Code (it does not start with 03 after the "
                        "indicator digit, and there is no NDC field 715).")
    lot = str(fields.get("10") or "").strip()
    if not lot:
        raise ScanError("The barcode holds no lot number (field 10); choose the lot from the list.")
    expiry = fields.get("17")
    return VialScan(gtin, "" if nhrn else gtin[3:13], expiry if isinstance(expiry, date) else None, lot,
                    str(fields.get("21") or ""), nhrn)


def _refuse_linear(value: str) -> None:
    """The vial's linear barcode (UPC-A or EAN-13, "3" + the NDC) holds the product alone: say so, by its NDC."""
    if value.isdigit() and len(value) in (12, 13, 14):
        gtin = value.zfill(14)
        if _good_gtin(gtin) and gtin[1:3] == "03":
            raise ScanError(f"This is the vial's linear barcode (NDC {gtin[3:13]}): it holds no lot or expiry. Scan "
                            "its 2D code (the small square), or choose the lot from the list.")


def _check_digit(body: str) -> int:
    """The GS1 mod-10 check digit: weights 3 and 1 from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_for_ndc10(ndc10: str, indicator: str = "0") -> str:
    """The GTIN-14 of a 10-digit NDC (indicator, 03, NDC, check digit): for tests and the demo's vials."""
    body = indicator + "03" + ndc10
    return body + str(_check_digit(body))
