"""A signed session's CSV row is stored once and used until its format changes (issue 19). The format digest
covers the header and the data files the rules read, but not the Python that works a row out: a change there
must bump ``export_csv.ROW_CODE`` by hand, or every clinic keeps exporting rows worked out by the old code.

This test pins the source of that code. When it fails: if your change can alter what any CSV row says (a dose,
a code, a cell's text or order), bump ROW_CODE and pin the new digest under the new code; if it cannot (a
comment, a rename), pin the new digest under the same code. Either way the decision is made, not missed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tpi_notes.domain import export_csv

ROOT = Path(__file__).resolve().parent.parent / "tpi_notes"
ROW_SOURCES = (
    "domain/export_csv.py", "domain/export_records.py", "domain/coding.py", "domain/dosing.py",
    "domain/muscle_parts.py", "domain/ndc.py", "domain/outcomes_export.py", "domain/csv_cells.py",
    "domain/rules.py", "db/repositories/export_rows.py", "services/demo_export_rows.py",
)
PINNED = {
    1: "d18ed097ad283cca",  # the demo's dose summary reused; NDC, cell text, per-syringe dose arithmetic once (the same values)
}


def _digest() -> str:
    h = hashlib.sha256()
    for name in ROW_SOURCES:
        h.update(name.encode())
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()[:16]


def test_the_code_that_works_out_a_stored_csv_row_is_pinned_to_its_row_code() -> None:
    found = _digest()
    assert PINNED.get(export_csv.ROW_CODE) == found, (
        f"The code that works out a CSV row changed (digest {found}). If it can change what a row says, bump "
        f"export_csv.ROW_CODE (now {export_csv.ROW_CODE}) so stored rows are worked out again; then pin "
        f"{found!r} under the row code in tests/test_export_row_code.py.")
