"""The command line: version, demo, and clear refusals of a bad --db (product.md §7)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS

from tpi_notes import __version__

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          env=environment, timeout=300)


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == f"tpi-notes {__version__}"  # then the data (tests/test_versions.py)


def test_usage_error_exits_2_with_one_line() -> None:
    result = run("demo", "--patients", "many", "--db", "x.db")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_missing_folder_is_one_clear_line(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "clinic.db"
    result = run("--db", str(target), env={"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.parent.exists()


@pytest.mark.parametrize("content", [b"this is a text file, not a database\n" * 20, b"\x00" * 4096])
def test_file_that_is_not_a_database_is_refused_and_untouched(tmp_path: Path, content: bytes) -> None:
    target = tmp_path / "notes.txt"
    target.write_bytes(content)
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    for args in (("--db", str(target)), ("demo", "--db", str(target))):
        result = run(*args, env={"QT_QPA_PLATFORM": "offscreen"})
        assert result.returncode == 1, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
        assert "not" in result.stderr
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_app_without_a_display_explains_instead_of_crashing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "--db", str(tmp_path / "a.db")],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert "no display" in result.stderr and "xvfb-run" in result.stderr
    assert "Traceback" not in result.stderr


def _dump(path: Path) -> list[str]:
    """Every row of every table, in order. The audit trail records when the demo ran and is left out, and so are
    the showcase notes' PAdES-signed PDFs, which carry the time they were signed (services/demo_pades.py; their
    keys and certificates come from the seed and are compared); table definitions are compared as sets of lines
    (Alembic's batch rebuilds order constraints freely)."""
    conn = sqlite3.connect(path)
    try:
        rows = [line for line in conn.iterdump() if line.startswith("INSERT") and "audit_event" not in line
                and not line.startswith('INSERT INTO "signed_note_pdf"')]
        schema = sorted(line.strip().rstrip(",") for sql, in conn.execute("SELECT sql FROM sqlite_master")
                        if sql for line in sql.splitlines())
        return rows + schema
    finally:
        conn.close()


def test_demo_same_seed_same_clinic_and_intact(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    args = ("--patients", "200", "--sessions", "1000", "--seed", "7")
    first = run("demo", "--db", str(a), *args)
    assert first.returncode == 0, first.stderr
    assert "200 patients, 1000 sessions" in first.stdout
    assert run("demo", "--db", str(b), *args).returncode == 0
    dump_a = _dump(a)
    assert dump_a == _dump(b)
    again = run("demo", "--db", str(a), *args)  # rebuilding a demo database gives the same clinic again
    assert again.returncode == 0, again.stderr
    assert _dump(a) == dump_a
    conn = sqlite3.connect(a)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    other = run("demo", "--db", str(a), "--patients", "200", "--sessions", "1000", "--seed", "8")
    assert other.returncode == 0 and _dump(a) != dump_a


def test_demo_refuses_a_database_with_real_patients(tmp_path: Path) -> None:
    from datetime import date

    from tpi_notes.domain.patient import PatientInput
    from tpi_notes.services.context import open_clinic
    from tpi_notes.services.patients import create_patient

    path = tmp_path / "real.db"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    create_patient(ctx, PatientInput(mrn="R1", family_name="Real", given_name="Person",
                                     birth_date=date(1960, 5, 5)))
    ctx.close()
    result = run("demo", "--db", str(path))
    assert result.returncode == 1 and "not a demo clinic" in result.stderr
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    from tpi_notes.services.patients import count_patients

    assert count_patients(ctx) == 1
    ctx.close()
