"""The ICD-10-CM set warning tells the administrator which CMS release to load and where (issue 15 item 7).

Only FY2026 ships (no package on PyPI carries the CMS FY2027 files), so every session from 2026-10-01 on is
checked against FY2026 until an administrator loads the FY2027 order file.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from tpi_notes.cli import main
from tpi_notes.domain import icd10


@pytest.mark.parametrize("day,year", [(date(2026, 12, 3), "FY2027"), (date(2026, 10, 1), "FY2027"),
                                      (date(2025, 9, 30), "FY2025"), (date(2024, 5, 6), "FY2024")])
def test_the_warning_names_the_release_to_load_and_how(day: date, year: str) -> None:
    found = icd10.set_finding(day)
    assert found is not None and found.severity == "warn"
    assert found.message == (
        f"No loaded ICD-10-CM set is valid on {day.isoformat()}; codes checked against FY2026 (2025-10-01 to "
        f"2026-09-30). An administrator loads the CMS {year} order file: Administration > Load ICD-10-CM release, "
        f"or tpi-notes load-icd10.")


def test_a_date_in_the_shipped_set_has_no_warning() -> None:
    assert icd10.set_finding(date(2026, 9, 30)) is None and icd10.set_finding(date(2025, 10, 1)) is None


def test_the_fiscal_year_of_a_date_of_service() -> None:
    assert [icd10.fiscal_year(d) for d in (date(2026, 9, 30), date(2026, 10, 1), date(2027, 1, 5))] == [
        "FY2026", "FY2027", "FY2027"]


def test_the_demo_says_so_once_instead_of_on_every_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.sqlite"
    assert main(["demo", "--db", str(db), "--patients", "6", "--sessions", "40"]) == 0
    out = capsys.readouterr().out
    said = [line for line in out.splitlines() if "ICD-10-CM" in line]
    assert said == ["ICD-10-CM: the app ships FY2026 (2025-10-01 to 2026-09-30) only; the demo's sessions on other "
                    "dates are checked against it, said here once rather than on each note. A clinic loads each "
                    "year's CMS order file: Administration > Load ICD-10-CM release, or tpi-notes load-icd10."]
    conn = sqlite3.connect(db)
    try:
        days = [row[0][:10] for row in conn.execute("SELECT performed_start FROM procedure_session")]
        warned = conn.execute("SELECT count(*) FROM session_finding WHERE rule_code = ?",
                              (icd10.SET_NOT_VALID,)).fetchone()[0]
    finally:
        conn.close()
    assert any(icd10.set_finding(date.fromisoformat(d)) for d in days)  # sessions outside FY2026 there are
    assert warned == 0
