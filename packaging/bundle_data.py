"""What the desktop bundle must carry besides the Python modules PyInstaller finds by itself (issue 18 item 2):
read by packaging/tpi-notes.spec, and by tests/test_bundle_spec.py, which checks it covers every file the app
reads at run time (the same ones the wheel carries). Plain Python, no PyInstaller import."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Modules imported by name at run time, which PyInstaller's import scan cannot see.
HIDDEN_IMPORT_PACKAGES = (
    "reportlab.graphics.barcode",  # the note's QR code: ReportLab imports its barcode modules by name
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",  # a clinic on a PostgreSQL server (--db postgresql+psycopg://…)
    "tpi_notes.db.migrations.versions",  # Alembic loads the migration scripts from their files (below)
)
HIDDEN_IMPORTS = ("PySide6.QtPdf", "PySide6.QtPdfWidgets", "PySide6.QtPrintSupport", "PySide6.QtSvg")
# Packages whose data files the app reads: the ICD-10-CM code set, ReportLab's fonts and CID maps, biip's GS1
# Application Identifier table (scanned vials, domain/gs1.py).
DATA_PACKAGES = ("simple_icd_10_cm", "reportlab", "biip")
# Distributions whose metadata --version reads (importlib.metadata) for the support line.
METADATA = ("PySide6", "SQLAlchemy", "reportlab", "simple-icd-10-cm")
# Installed packages the app never imports (test tools), kept out of the bundle.
EXCLUDES = ("tkinter", "pytest", "pytestqt", "hypothesis", "fhir", "textstat", "pypdf", "ruff", "IPython")


def resource_folders() -> list[str]:
    """The versioned data folders (resources/<name> with JSON files); not the atlas generator's sources."""
    return sorted(p.name for p in (ROOT / "resources").iterdir() if p.is_dir() and any(p.glob("*.json")))


def datas() -> list[tuple[str, str]]:
    """(source glob, folder in the bundle) pairs: resources/ lands where an installed wheel has it
    (tpi_notes/_resources, found by tpi_notes.paths.resources_dir), the migrations beside the package."""
    found = [(str(ROOT / "resources" / name / pattern), f"tpi_notes/_resources/{name}")
             for name in resource_folders() for pattern in ("*.json", "*.txt")  # .txt: CMS's ICD-10-CM addenda
             if any((ROOT / "resources" / name).glob(pattern))]  # PyInstaller refuses a pattern matching nothing
    migrations = ROOT / "tpi_notes" / "db" / "migrations"
    found += [(str(migrations / "*.py"), "tpi_notes/db/migrations"),
              (str(migrations / "script.py.mako"), "tpi_notes/db/migrations"),
              (str(migrations / "versions" / "*.py"), "tpi_notes/db/migrations/versions")]
    return found
