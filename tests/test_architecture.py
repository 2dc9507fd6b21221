"""The borders of DEVELOPERS.md: Qt only in ui/, SQLAlchemy only in db/ and services/, widgets call services."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tpi_notes"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules() -> list[tuple[str, set[str]]]:
    return [(p.relative_to(PACKAGE).as_posix(), _imports(p)) for p in PACKAGE.rglob("*.py")]


def _uses(imports: set[str], top: str) -> bool:
    return any(name == top or name.startswith(top + ".") for name in imports)


def test_there_is_code_to_check() -> None:
    assert len(_modules()) > 20


def test_qt_only_in_ui() -> None:
    offenders = [m for m, imps in _modules() if _uses(imps, "PySide6") and not m.startswith("ui/")]
    assert offenders == []


def test_sqlalchemy_and_alembic_only_in_db_and_services() -> None:
    offenders = [m for m, imps in _modules()
                 if (_uses(imps, "sqlalchemy") or _uses(imps, "alembic"))
                 and not m.startswith(("db/", "services/"))]
    assert offenders == []


def test_domain_and_reports_stay_free_of_the_database_and_services() -> None:
    offenders = [m for m, imps in _modules()
                 if m.startswith(("domain/", "anatomy/", "reports/"))
                 and (_uses(imps, "tpi_notes.db") or _uses(imps, "tpi_notes.services") or _uses(imps, "tpi_notes.ui"))]
    assert offenders == []


def test_widgets_never_touch_the_database() -> None:
    offenders = [m for m, imps in _modules() if m.startswith("ui/") and _uses(imps, "tpi_notes.db")]
    assert offenders == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtWidgets import QWidget\nimport sqlalchemy.orm\n")
    assert _uses(_imports(bad), "PySide6") and _uses(_imports(bad), "sqlalchemy")
