"""The CSV export (product.md §8): one row per session under a stable, documented header.

UTF-8 with a byte-order mark so spreadsheets read any script; every cell goes through ``safe_cell`` so a value
starting with = + - @ is never run as a formula. Lists inside a cell are separated by "; ". The header and its
meaning live in ``CSV_COLUMNS`` only: docs/export-format.md lists the same columns (a test compares them).

Milligrams of different drugs are never added up (issue 15 item 8): each drug has its own columns (mg and % of
its maximum), the class totals of the first version are filled only when one drug of the class was given, and
saline is in mL (its salt is not a dose).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from functools import lru_cache

from tpi_notes.domain.coding import CodeLine
from tpi_notes.domain.csv_cells import safe_cell
from tpi_notes.domain.export_records import ExportRecord, muscles_with_sides
from tpi_notes.domain.muscle_parts import absorbed, counts_group_once
from tpi_notes.domain.ndc import billing_ndc
from tpi_notes.domain.outcomes_export import peg_score_cell
from tpi_notes.paths import resources_dir

BOM = "\ufeff".encode()
SEP = "; "

# (column, meaning): the order is the file's; add new columns at the end so scripts keep working.
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("session_id", "The session's number in tpi-notes."),
    ("performed_date", "Day of the procedure, YYYY-MM-DD (the clinic's local date)."),
    ("performed_time", "Start time, HH:MM, 24-hour clock (the clinic's local time)."),
    ("status", "draft or signed."),
    ("patient_mrn", "The patient's medical record number."),
    ("patient_family_name", "Family name, as registered (any script)."),
    ("patient_given_name", "Given name(s), as registered (any script)."),
    ("patient_birth_date", "Date of birth, YYYY-MM-DD."),
    ("physician", "Performing physician with credentials (\"Amelia Hart, MD\"); empty on a draft without one."),
    ("signed_by", "Who signed the note, with credentials; empty on a draft."),
    ("signed_at", "When the note was signed, YYYY-MM-DD HH:MM; empty on a draft."),
    ("techniques", "injection and/or dry_needling."),
    ("muscles", "Distinct muscles treated, each with the patient's side: \"L upper trapezius; R upper trapezius\"."),
    ("muscle_count", "Number of distinct muscles, each side counted separately, a group beside its own part once "
                     "(what CPT counts)."),
    ("site_count", "Number of sites marked on the body diagram."),
    ("injected_ml", "Total volume injected, mL."),
    ("agents", "Each agent given with its total: \"Lidocaine 1 %: 40 mg\" (saline in mL)."),
    ("local_anesthetic_mg", "The local anesthetic's total, mg, when one was given; empty when two or more were (mg of "
                            "different drugs do not add up: see the per-drug columns)."),
    ("corticosteroid_mg", "The corticosteroid's total, mg as labelled, when one was given; empty when two or more "
                          "were (see the per-drug columns)."),
    ("diagnoses", "ICD-10-CM codes of the indication."),
    ("cpt", "Procedure codes with modifiers and units: \"20553 x1; 97032 x2\" (CPT; G0283 is HCPCS Level II)."),
    ("hcpcs", "HCPCS drug codes with modifiers and billing units: \"J3301-JZ x4\"."),
    ("pain_before", "Pain before the procedure, 0-10 numeric rating scale; empty if not recorded."),
    ("pain_after", "Pain after the procedure, 0-10; empty if not recorded."),
    ("relief_pct", "Immediate relief, percent; empty if not recorded."),
    ("complications", "Complications as recorded (\"None\" when there were none)."),
    ("addenda", "Number of addenda, corrections and late entries."),
    ("content_sha256", "SHA-256 of the signed content; empty on a draft."),
    # issue 15 item 8: per-drug columns (all strengths of a drug together), never sums across drugs
    ("local_anesthetic_pct_of_max", "All local anesthetics together as % of this patient's maximum (each drug's "
                                    "share of its own maximum, added); empty without a weight."),
    ("lidocaine_mg", "Lidocaine given, mg (all strengths)."),
    ("lidocaine_pct_of_max", "Lidocaine as % of its maximum for this patient."),
    ("bupivacaine_mg", "Bupivacaine given, mg."),
    ("bupivacaine_pct_of_max", "Bupivacaine as % of its maximum for this patient."),
    ("ropivacaine_mg", "Ropivacaine given, mg."),
    ("ropivacaine_pct_of_max", "Ropivacaine as % of its maximum for this patient."),
    ("saline_ml", "Normal saline injected, mL."),
    ("triamcinolone_mg", "Triamcinolone acetonide given, mg (all strengths)."),
    ("methylprednisolone_mg", "Methylprednisolone acetate given, mg."),
    ("dexamethasone_mg", "Dexamethasone sodium phosphate given, mg."),
    ("betamethasone_mg", "Betamethasone given, mg."),
    ("other_drugs", "Any other drug given (a clinic's own formulary item): \"Mepivacaine 1 %: 40 mg (10 % of max)\"."),
    ("ndc", "Each drug's NDC in the 11-digit billing form: \"Triamcinolone acetonide 40 mg/mL: 12345678901\"."),
    ("discarded", "Drug discarded from single-dose vials (billed with JW): \"triamcinolone acetonide: 20 mg (2 vials "
                  "opened)\"."),
    ("peg_score", "PEG-3 score measured at this visit (mean of pain, enjoyment and activity, 0-10, one decimal); "
                  "empty if not recorded."),
)
# Per-drug columns: column prefix → the formulary's generic name (saline is in mL, below).
PER_DRUG = (("lidocaine", "lidocaine", True), ("bupivacaine", "bupivacaine", True),
            ("ropivacaine", "ropivacaine", True), ("triamcinolone", "triamcinolone acetonide", False),
            ("methylprednisolone", "methylprednisolone acetate", False),
            ("dexamethasone", "dexamethasone sodium phosphate", False), ("betamethasone", "betamethasone", False))
SALINE = "sodium chloride"
CSV_HEADER: tuple[str, ...] = tuple(name for name, _ in CSV_COLUMNS)

# A signed session's row is stored (issue 19, db/repositories/stored_export_rows.py) as two runs of CSV text
# around the two cells that can still change after signing: the physician's and the signer's names with
# credentials, which are the users' as they are now. Everything else in the row is fixed by the signature (the
# patient as signed, the formulary items and lots a signed note used are frozen), except the codes, which also
# depend on the clinic's e-stim payer profile (stored with the row) and the addenda count (the row is worked
# out again with each addendum). ``row_format()`` names what made a row: bump ROW_CODE whenever the code of
# ``csv_row`` or of the dose and coding rules changes what a row says; a column added, or a change to the data
# files those rules read (ROW_DATA), changes the digest by itself. A stored row of another format is not used,
# and the next export stores it again.
ROW_CODE = 1
ROW_DATA = (("rules", "clinical-rules.json"), ("atlas", "muscle-parts.json"), ("scales", "functional-scales.json"))
LIVE_FROM = CSV_HEADER.index("physician")  # the live cells: physician, signed_by
LIVE_TO = CSV_HEADER.index("signed_by") + 1


def number(value: float | None) -> str:
    """At most two decimals, no trailing zeros: 40.0 → "40", 13.3333 → "13.33"."""
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def code_text(line: CodeLine) -> str:
    mods = "".join(f"-{m}" for m in line.modifiers)
    return f"{line.code}{mods} x{line.units}"


def _by_drug(record: ExportRecord) -> dict[str, tuple[float, float | None, list[str]]]:
    """Generic → (mg, % of max or None, the item names), every strength of a drug together."""
    out: dict[str, tuple[float, float | None, list[str]]] = {}
    generics = record.generics or tuple(r.name for r in record.doses.rows)
    for row, generic in zip(record.doses.rows, generics, strict=False):
        mg, pct, names = out.get(generic, (0.0, 0.0, []))
        share = None if pct is None or row.pct_of_max is None else pct + row.pct_of_max
        out[generic] = (mg + (row.total_ml if generic == SALINE else row.total_mg), share, [*names, row.name])
    return out


def _per_drug_cells(record: ExportRecord) -> list[object]:
    """The cells from ``local_anesthetic_pct_of_max`` to ``discarded``, in ``CSV_COLUMNS`` order."""
    drugs = _by_drug(record)
    cells: list[object] = [number(record.doses.local_anesthetic_pct)]
    for _column, generic, with_max in PER_DRUG:
        if generic == "triamcinolone acetonide":  # saline sits between the anesthetics and the steroids
            cells.append(number(drugs[SALINE][0]) if SALINE in drugs else "")
        mg, pct, _names = drugs.get(generic, (None, None, []))
        cells.append(number(mg))
        if with_max:
            cells.append(number(pct) if mg is not None else "")
    known = {g for _c, g, _m in PER_DRUG} | {SALINE}
    others = [f"{', '.join(names)}: {number(mg)} mg" + (f" ({number(pct)} % of max)" if pct is not None else "")
              for generic, (mg, pct, names) in drugs.items() if generic not in known]
    ndcs: dict[str, None] = {}
    for m in record.medications:
        if billing_ndc(m.ndc):
            ndcs.setdefault(f"{m.name}: {billing_ndc(m.ndc)}", None)
    discarded = [f"{w.generic}: {number(w.discarded_mg)} mg ({w.vials} vial{'s' if w.vials != 1 else ''} opened)"
                 for w in record.coding.waste]
    return [*cells, SEP.join(others), SEP.join(ndcs), SEP.join(discarded)]


def csv_row(record: ExportRecord) -> list[str]:
    """The cells of one session, in ``CSV_HEADER`` order, already neutralised."""
    s = record.session
    p = s.patient
    rows = record.doses.rows
    start = s.performed_start.isoformat(" ")
    muscles = muscles_with_sides(s.sites)
    generics = record.generics or tuple(r.name for r in rows)
    la = [r.total_mg for r in rows if r.agent_class == "local_anesthetic"]
    steroid = [r.total_mg for r in rows if r.agent_class == "corticosteroid"]
    one_la = len({g for r, g in zip(rows, generics, strict=False) if r.agent_class == "local_anesthetic"}) == 1
    one_steroid = len({g for r, g in zip(rows, generics, strict=False) if r.agent_class == "corticosteroid"}) == 1
    cells = (
        s.id,
        start[:10],
        start[11:16],
        s.status,
        p.mrn,
        p.family_name,
        p.given_name,
        p.birth_date.isoformat(),
        s.physician.label if s.physician else "",
        s.signed_by.label if s.signed_by else "",
        s.signed_at.isoformat(" ")[:16] if s.signed_at else "",
        SEP.join(sorted({site.technique for site in s.sites})),
        SEP.join(muscles),
        len(muscles) - (len(absorbed((x.muscle_id, x.side) for x in s.sites)) if counts_group_once(s) else 0),
        len(s.sites),
        number(record.doses.injected_ml),
        SEP.join(f"{r.name}: {number(r.total_ml)} mL" if r.agent_class == "saline" else
                 f"{r.name}: {number(r.total_mg)} mg" for r in rows),
        number(sum(la)) if la and one_la else "",  # the same drug in two strengths is one drug
        number(sum(steroid)) if steroid and one_steroid else "",
        SEP.join(d.code for d in s.diagnoses),
        SEP.join(map(code_text, record.coding.cpt)),
        SEP.join(map(code_text, record.coding.hcpcs)),
        s.pain_before,
        s.pain_after,
        s.relief_pct,
        s.complications,
        len(s.addenda),
        s.content_sha256 or "",
        *_per_drug_cells(record),
        peg_score_cell(s.scales),
    )
    return list(map(safe_cell, cells))


@lru_cache(maxsize=1)
def row_format() -> str:
    """The format a stored row must have to be used: ROW_CODE and a digest of the header and ROW_DATA."""
    digest = hashlib.sha256("\x1f".join(CSV_HEADER).encode())
    for parts in ROW_DATA:
        digest.update(resources_dir().joinpath(*parts).read_bytes())
    return f"{ROW_CODE}:{digest.hexdigest()[:16]}"


def encode_cells(cells: list[str]) -> str:
    """The cells as one CSV line without its line end, as ``CsvWriter`` writes them (two or more cells: a single
    empty cell would be written quoted)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def stored_parts(cells: list[str]) -> tuple[str, str]:
    """A signed session's row (``csv_row``) as the two runs of CSV text that are stored: before and after the
    live cells."""
    return encode_cells(cells[:LIVE_FROM]), encode_cells(cells[LIVE_TO:])


def live_cells(physician: str, signed_by: str) -> str:
    """The live cells (names with credentials, as ``csv_row`` writes them), encoded, to go between the parts."""
    return encode_cells([safe_cell(physician), safe_cell(signed_by)])


class CsvWriter:
    """Bytes for a CSV export: ``begin()`` (BOM and header), ``rows(batch)``, ``end()``."""

    media_type = "text/csv"

    def begin(self) -> bytes:
        return BOM + self._encode([list(CSV_HEADER)])

    def rows(self, records: Iterable[ExportRecord]) -> bytes:
        return self._encode(csv_row(r) for r in records)

    def end(self) -> bytes:
        return b""

    @staticmethod
    def _encode(rows: Iterable[list[str]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        return buffer.getvalue().encode("utf-8")
