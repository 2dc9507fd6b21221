"""The CSV export (product.md §8): one row per session under a stable, documented header.

UTF-8 with a byte-order mark so spreadsheets read any script; every cell goes through ``safe_cell`` so a value
starting with = + - @ is never run as a formula. Lists inside a cell are separated by "; ". The header and its
meaning live in ``CSV_COLUMNS`` only: docs/export-format.md lists the same columns (a test compares them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from tpi_notes.domain.coding import CodeLine
from tpi_notes.domain.csv_cells import safe_cell
from tpi_notes.domain.export_records import ExportRecord, muscles_with_sides

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
    ("muscle_count", "Number of distinct muscles, each side counted separately (what CPT counts)."),
    ("site_count", "Number of sites marked on the body diagram."),
    ("injected_ml", "Total volume injected, mL."),
    ("agents", "Each agent given with its total: \"Lidocaine 1 %: 40 mg\" (saline in mL)."),
    ("local_anesthetic_mg", "Total local anesthetic, mg (all local anesthetics together)."),
    ("corticosteroid_mg", "Total corticosteroid, mg of the drug as labelled (not methylprednisolone-equivalent)."),
    ("diagnoses", "ICD-10-CM codes of the indication."),
    ("cpt", "Procedure codes with modifiers and units: \"20553 x1; 97032 x2\" (CPT; G0283 is HCPCS Level II)."),
    ("hcpcs", "HCPCS drug codes with modifiers and billing units: \"J3301-JZ x4\"."),
    ("pain_before", "Pain before the procedure, 0-10 numeric rating scale; empty if not recorded."),
    ("pain_after", "Pain after the procedure, 0-10; empty if not recorded."),
    ("relief_pct", "Immediate relief, percent; empty if not recorded."),
    ("complications", "Complications as recorded (\"None\" when there were none)."),
    ("addenda", "Number of addenda, corrections and late entries."),
    ("content_sha256", "SHA-256 of the signed content; empty on a draft."),
)
CSV_HEADER: tuple[str, ...] = tuple(name for name, _ in CSV_COLUMNS)


def number(value: float | None) -> str:
    """At most two decimals, no trailing zeros: 40.0 → "40", 13.3333 → "13.33"."""
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def code_text(line: CodeLine) -> str:
    mods = "".join(f"-{m}" for m in line.modifiers)
    return f"{line.code}{mods} x{line.units}"


def csv_row(record: ExportRecord) -> list[str]:
    """The cells of one session, in ``CSV_HEADER`` order, already neutralised."""
    s = record.session
    p = s.patient
    rows = record.doses.rows
    start = s.performed_start.isoformat(" ")
    muscles = muscles_with_sides(s.sites)
    la = [r.total_mg for r in rows if r.agent_class == "local_anesthetic"]
    steroid = [r.total_mg for r in rows if r.agent_class == "corticosteroid"]
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
        len(muscles),
        len(s.sites),
        number(record.doses.injected_ml),
        SEP.join(f"{r.name}: {number(r.total_ml)} mL" if r.agent_class == "saline" else
                 f"{r.name}: {number(r.total_mg)} mg" for r in rows),
        number(sum(la)) if la else "",
        number(sum(steroid)) if steroid else "",
        SEP.join(d.code for d in s.diagnoses),
        SEP.join(map(code_text, record.coding.cpt)),
        SEP.join(map(code_text, record.coding.hcpcs)),
        s.pain_before,
        s.pain_after,
        s.relief_pct,
        s.complications,
        len(s.addenda),
        s.content_sha256 or "",
    )
    return list(map(safe_cell, cells))


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
