"""`tpi-notes note` and `tpi-notes aftercare` (product.md §7): a PDF on success; usage errors exit 2 and
failures exit 1, each with one line on stderr and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS
from test_report_support import flat, pdf_pages

from tpi_notes.services.context import open_clinic
from tpi_notes.services.demo import build_demo

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("cli") / "demo.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    try:
        build_demo(ctx, patients=4, sessions=12, seed=2)
    finally:
        ctx.close()
    yield path


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_note_and_aftercare_write_pdfs(demo_db: Path, tmp_path: Path) -> None:
    note = tmp_path / "note.pdf"
    result = run("note", "--db", str(demo_db), "1", "-o", str(note))
    assert result.returncode == 0, result.stderr
    text = flat("\n".join(pdf_pages(note.read_bytes())))
    assert "Procedure note" in text and "Page 1 of" in text
    sheet = tmp_path / "sheet.pdf"
    result = run("aftercare", "--db", str(demo_db), "1", "-o", str(sheet), "--lang", "es", "--large-print")
    assert result.returncode == 0, result.stderr
    assert "Cuidados después de su tratamiento" in flat("\n".join(pdf_pages(sheet.read_bytes())))
    assert not list(tmp_path.glob(".*.partial"))


@pytest.mark.parametrize("args", [
    ("note", "1"),  # no -o
    ("note", "one", "-o", "x.pdf"),
    ("note", "0", "-o", "x.pdf"),
    ("aftercare", "1", "-o", "x.pdf", "--lang", "fr"),
])
def test_usage_errors_exit_2(demo_db: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run(args[0], "--db", str(demo_db), *args[1:])
    assert result.returncode == 2
    _one_line(result)
    assert not (tmp_path / "x.pdf").exists()


def test_unknown_session_exits_1(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    result = run("note", "--db", str(demo_db), "9999", "-o", str(out))
    assert result.returncode == 1
    assert "Session 9999 does not exist" in _one_line(result)
    assert not out.exists()


@pytest.mark.parametrize("command", ["note", "aftercare"])
def test_unwritable_output_is_a_usage_error(demo_db: Path, tmp_path: Path, command: str) -> None:
    for target in (tmp_path / "missing" / "x.pdf", tmp_path):
        result = run(command, "--db", str(demo_db), "1", "-o", str(target))
        assert result.returncode == 2
        assert "cannot write" in _one_line(result)
    assert not (tmp_path / "missing").exists()


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    db = tmp_path / "nothing.sqlite"
    result = run("note", "--db", str(db), "1", "-o", str(tmp_path / "x.pdf"))
    assert result.returncode == 1
    assert "does not exist" in _one_line(result)
    assert not db.exists()
