"""The ICD-10-CM set warning tells the administrator which CMS release to load and where (issue 15 item 7).

FY2026 and FY2027 ship (FY2027 built from CMS's FY2027 order addenda, tests/test_icd10_fy2027.py), so a session
from 2025-10-01 to 2027-09-30 has a valid set; one from 2027-10-01 on is checked against FY2027, and one before
2025-10-01 against FY2026, until an administrator loads that year's order file.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from tpi_notes.cli import main
from tpi_notes.domain import icd10

FY2026 = "FY2026 (2025-10-01 to 2026-09-30)"
FY2027 = "FY2027 (2026-10-01 to 2027-09-30)"


@pytest.mark.parametrize("day,year,near", [(date(2027, 12, 3), "FY2028", FY2027), (date(2027, 10, 1), "FY2028", FY2027),
                                           (date(2025, 9, 30), "FY2025", FY2026), (date(2024, 5, 6), "FY2024", FY2026)])
def test_the_warning_names_the_release_to_load_and_how(day: date, year: str, near: str) -> None:
    found = icd10.set_finding(day)
    assert found is not None and found.severity == "warn"
    assert found.message == (
        f"No loaded ICD-10-CM set is valid on {day.isoformat()}; codes checked against {near}. An administrator "
        f"loads the CMS {year} order file: Administration > Load ICD-10-CM release, or tpi-notes load-icd10.")


@pytest.mark.parametrize("day", [date(2025, 10, 1), date(2026, 9, 30), date(2026, 10, 1), date(2026, 12, 3),
                                 date(2027, 9, 30)])
def test_a_date_in_a_shipped_set_has_no_warning(day: date) -> None:
    assert icd10.set_finding(day) is None


def test_the_fiscal_year_of_a_date_of_service() -> None:
    assert [icd10.fiscal_year(d) for d in (date(2026, 9, 30), date(2026, 10, 1), date(2027, 1, 5))] == [
        "FY2026", "FY2027", "FY2027"]


def test_the_demo_says_so_once_instead_of_on_every_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.sqlite"
    assert main(["demo", "--db", str(db), "--patients", "6", "--sessions", "60"]) == 0  # a few in FY2027
    out = capsys.readouterr().out
    said = [line for line in out.splitlines() if "ICD-10-CM" in line]
    assert said == [f"ICD-10-CM: the app ships {FY2026} and {FY2027} only; the demo's sessions on other dates are "
                    "checked against the nearest, said here once rather than on each note. A clinic loads each "
                    "year's CMS order file: Administration > Load ICD-10-CM release, or tpi-notes load-icd10."]
    conn = sqlite3.connect(db)
    try:
        rows = [(date.fromisoformat(day[:10]), version, [code for (code,) in conn.execute(
                    "SELECT code FROM session_diagnosis WHERE session_id = ? ORDER BY position", (sid,))])
                for sid, day, version in conn.execute("SELECT id, performed_start, icd10_version FROM procedure_session")]
        warned = conn.execute("SELECT count(*) FROM session_finding WHERE rule_code = ?",
                              (icd10.SET_NOT_VALID,)).fetchone()[0]
    finally:
        conn.close()
    assert any(icd10.set_finding(day) for day, _v, _c in rows)  # sessions before FY2026 there are
    assert warned == 0
    # the demo's last weeks fall in FY2027, which ships: their notes name it and their diagnoses are valid in it
    fy2027 = [(day, version, codes) for day, version, codes in rows if day >= date(2026, 10, 1)]
    assert fy2027 and all(version == "FY2027" and icd10.set_finding(day) is None for day, version, _c in fy2027)
    assert all(icd10.lookup(code, day) is not None for day, _v, codes in fy2027 for code in codes)
