"""Which versions a support call needs (issue 18 item 5): the app's, and those of the versioned data it reads —
clinical rules, atlas, aftercare text, formulary, ICD-10-CM code set — plus the runtime underneath. No Qt and
no database: `tpi-notes --version` prints it, Help → About shows it and the diagnostics zip carries it.

Each data version is read from the file the app would use (the newest of its kind), so a missing or unreadable
file shows as such here instead of failing the whole report."""

from __future__ import annotations

import json
import platform
import sqlite3
import sys
from collections.abc import Callable
from importlib import metadata, util
from pathlib import Path

from tpi_notes import __version__
from tpi_notes.paths import resources_dir

APP = "tpi-notes"


def _rules() -> str:
    raw = json.loads((resources_dir() / "rules" / "clinical-rules.json").read_text(encoding="utf-8"))
    newest = max(entry["effective_from"] for entry in raw["rulesets"])
    return f"{raw['version']} (newest rule set in force from {newest})"


def _atlas() -> str:
    from tpi_notes.anatomy import available_versions

    known = available_versions()
    if not known:
        raise FileNotFoundError("no atlas file")
    return known[-1]


def _aftercare() -> str:
    from tpi_notes.domain.aftercare import library_files

    files = library_files()
    if not files:
        raise FileNotFoundError("no aftercare text")
    raw = json.loads(files[-1].read_text(encoding="utf-8"))
    return f"{raw['version']} ({raw.get('date', 'undated')})"


def _formulary() -> str:
    from tpi_notes.domain.formulary import formulary_files

    files = formulary_files()
    if not files:
        raise FileNotFoundError("no formulary file")
    raw = json.loads(files[-1].read_text(encoding="utf-8"))
    return f"{raw['version']} (effective {raw['effective_date']})"


def _icd10cm() -> str:
    """The code sets shipped (resources/icd10/code-sets.json, when present), newest first, each with its dates
    and what it is built from (one built from CMS addenda names their file's SHA-256), and the release of the
    simple-icd-10-cm package's data behind them. Releases an administrator loaded into a clinic's database are
    not seen here (no database is opened)."""
    package = f"{_package_code_list()}, simple-icd-10-cm {metadata.version('simple-icd-10-cm')}"
    sets_file = resources_dir() / "icd10" / "code-sets.json"
    if not sets_file.is_file():
        return f"{_package_code_list()} (simple-icd-10-cm {metadata.version('simple-icd-10-cm')})"
    sets = json.loads(sets_file.read_text(encoding="utf-8"))["sets"]
    shown = [f"{x['version']} (valid {x['valid_from']} to {x.get('valid_to', '…')}; {x.get('release', '')}"
             + (f", sha256 {x['addenda']['sha256'][:12]})" if "addenda" in x else ")")
             for x in sorted(sets, key=lambda entry: entry["valid_from"], reverse=True)]
    return f"{', '.join(shown)}; package data {package}"


def _package_code_list() -> str:
    """The release the simple-icd-10-cm package carries, from its data file's name, found without importing
    the package (its import reads the whole code set: seconds)."""
    spec = util.find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("simple-icd-10-cm is not installed")
    names = [p.name for folder in spec.submodule_search_locations for p in (Path(folder) / "data").glob("*")]
    found = sorted(n.removeprefix("code-list-").removesuffix(".txt") for n in names if n.startswith("code-list-"))
    if not found:
        raise FileNotFoundError("no code list")
    return found[-1]


DATA: tuple[tuple[str, Callable[[], str]], ...] = (
    ("Clinical rules", _rules),
    ("Anatomy atlas", _atlas),
    ("Aftercare text", _aftercare),
    ("Formulary", _formulary),
    ("ICD-10-CM code set", _icd10cm),
)


def _package(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def components() -> list[tuple[str, str]]:
    """(what, version) pairs, the app first, then its data, then the runtime."""
    found = [(APP, __version__)]
    for name, read in DATA:
        try:
            found.append((name, read()))
        except (OSError, ValueError, KeyError, TypeError, ImportError) as exc:  # a package's metadata missing too
            found.append((name, f"unreadable ({type(exc).__name__}: {exc})"))
    found += [
        ("Python", f"{platform.python_version()} ({sys.platform}{', frozen' if getattr(sys, 'frozen', False) else ''})"),
        ("Qt for Python (PySide6)", _package("PySide6")),
        ("SQLite", sqlite3.sqlite_version),
        ("SQLAlchemy", _package("SQLAlchemy")),
        ("ReportLab", _package("reportlab")),
    ]
    return found


def version_report() -> str:
    """Lines of "what: version", the first one "tpi-notes X.Y.Z" as `--version` always said."""
    lines = components()
    width = max(len(name) for name, _v in lines[1:])
    return "\n".join([f"{APP} {__version__}"] + [f"{name + ':':<{width + 1}} {version}" for name, version in lines[1:]])
