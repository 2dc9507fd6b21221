"""`tpi-notes export` (product.md §7): one line on success, usage errors exit 2, failures exit 1, audited."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from export_fixtures import csv_rows, demo_clinic

from tpi_notes.domain.export_csv import CSV_HEADER
from tpi_notes.services.context import AppContext

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=300)

@pytest.fixture
def demo(ctx: AppContext) -> AppContext:
    return demo_clinic(ctx)



@pytest.fixture
def clinic(demo: AppContext, db_path: Path) -> Path:
    demo.close()  # the command line opens the file itself
    return db_path


def export_events(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT actor, detail FROM audit_event WHERE action = 'export' ORDER BY id").fetchall()
    finally:
        conn.close()


def test_export_writes_the_file_and_says_so_in_one_line(clinic: Path, tmp_path: Path) -> None:
    out = tmp_path / "history.csv"
    result = run("export", "--db", str(clinic), "--format", "csv", "--from", "2024-01-01", "--to", "2024-12-31",
                 "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (line,) = result.stdout.splitlines()
    rows = csv_rows(out)
    assert rows[0] == list(CSV_HEADER)
    assert all(row[1].startswith("2024-") for row in rows[1:]) and len(rows) > 1
    assert line.startswith(f"Exported {len(rows) - 1} sessions as CSV to {out}")
    ((actor, detail),) = export_events(clinic)
    assert actor.startswith("os:") and "from 2024-01-01, to 2024-12-31" in detail


@pytest.mark.parametrize("fmt", ["jsonl", "fhir"])
def test_export_of_the_other_formats(clinic: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"history.{fmt}"
    result = run("--db", str(clinic), "export", "--format", fmt, "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    if fmt == "jsonl":
        assert len(text.splitlines()) == 200
    else:
        assert json.loads(text)["resourceType"] == "Bundle"


@pytest.mark.parametrize("args", [
    ("--from", "2024-13-01"),
    ("--to", "yesterday"),
    ("--from", "2024-06-01", "--to", "2024-05-31"),
    ("--format", "xml"),
])
def test_usage_errors_exit_2_with_one_line_and_write_nothing(clinic: Path, tmp_path: Path, args: tuple) -> None:
    out = tmp_path / "out" / "history.csv"
    out.parent.mkdir()
    full = ["export", "--db", str(clinic), "-o", str(out)]
    if "--format" not in args:
        full += ["--format", "csv"]
    result = run(*full, *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert list(out.parent.iterdir()) == []
    assert export_events(clinic) == []


def test_a_missing_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sqlite"
    result = run("export", "--db", str(missing), "--format", "csv", "-o", str(tmp_path / "h.csv"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr and "Traceback" not in result.stderr
    assert not missing.exists() and not (tmp_path / "h.csv").exists()


def test_a_missing_output_folder_is_one_line_and_exit_2(clinic: Path, tmp_path: Path) -> None:
    result = run("export", "--db", str(clinic), "--format", "csv", "-o", str(tmp_path / "no" / "h.csv"))
    assert result.returncode == 2  # a usage error (product.md §7), told before the database is opened
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr
    assert export_events(clinic) == []
