"""The desktop bundle's recipe stays complete (issue 18 item 2). Building it takes minutes (`make bundle`, run
by CI after the suite), so here only what it must carry is checked against what the app reads at run time:
every reference data file and every migration, at the places tpi_notes.paths and Alembic look for them, plus
Qt's PDF and print modules and the ReportLab barcode modules imported by name."""

from __future__ import annotations

import glob
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))

import bundle_data  # noqa: E402


def _bundled() -> set[str]:
    """Each file the bundle's data entries pick up, as its path inside the bundle."""
    found = set()
    for pattern, folder in bundle_data.datas():
        found |= {f"{folder}/{Path(match).name}" for match in glob.glob(pattern)}
    return found


def test_every_reference_data_file_and_migration_is_bundled() -> None:
    bundled = _bundled()
    data = {f"tpi_notes/_resources/{p.relative_to(ROOT / 'resources').as_posix()}"
            for p in (ROOT / "resources").glob("*/*.json")}
    migrations = {f"tpi_notes/{p.relative_to(ROOT / 'tpi_notes').as_posix()}"
                  for p in (ROOT / "tpi_notes/db/migrations").rglob("*.py") if "__pycache__" not in p.parts}
    assert data and migrations
    assert data <= bundled, sorted(data - bundled)
    assert migrations <= bundled, sorted(migrations - bundled)


def test_the_spec_takes_its_lists_from_bundle_data_and_names_qt_pdf_and_print() -> None:
    spec = (ROOT / "packaging" / "tpi-notes.spec").read_text()
    for name in ("bundle_data.datas()", "bundle_data.HIDDEN_IMPORTS", "bundle_data.HIDDEN_IMPORT_PACKAGES",
                 "bundle_data.DATA_PACKAGES", "bundle_data.METADATA", "COLLECT("):
        assert name in spec, name
    assert {"PySide6.QtPdf", "PySide6.QtPrintSupport"} <= set(bundle_data.HIDDEN_IMPORTS)
    assert "reportlab.graphics.barcode" in bundle_data.HIDDEN_IMPORT_PACKAGES
    assert "simple_icd_10_cm" in bundle_data.DATA_PACKAGES
    compile(spec, "tpi-notes.spec", "exec")  # at least valid Python


def test_make_bundle_builds_and_smoke_tests() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "packaging/tpi-notes.spec" in makefile and "packaging/smoke_bundle.py" in makefile
    assert "make bundle" in (ROOT / ".ci" / "run").read_text()
