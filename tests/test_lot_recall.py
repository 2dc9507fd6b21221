"""A lot recall (peers.md §9 must-have 5): every session whose syringes drew from a lot, found from the history
filter, the export and Admin → Formulary & lots → "Sessions with this lot…"."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_copies import build_demo_file, open_copy
from sqlalchemy import select

from tpi_notes.db.models import AuditEvent
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.history import HistoryFilter
from tpi_notes.services import history
from tpi_notes.services.context import AppContext
from tpi_notes.services.exports import export_sessions


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_file(tmp_path_factory, "recall", patients=30, sessions=160, seed=5)


@pytest.fixture
def clinic(demo_file: Path, tmp_path: Path) -> Iterator[AppContext]:
    yield from open_copy(demo_file, tmp_path)


def _lot_sessions(db: Path) -> tuple[str, int, set[int]]:
    """A lot used by a few sessions (not all of them), its id, and exactly those sessions (raw SQL)."""
    conn = sqlite3.connect(db)
    try:
        lot_id, number = conn.execute(
            "SELECT l.id, l.lot_number FROM lot l JOIN preparation_component c ON c.lot_id = l.id "
            "JOIN preparation p ON p.id = c.preparation_id GROUP BY l.id "
            "HAVING count(DISTINCT p.session_id) BETWEEN 2 AND 60 ORDER BY l.id LIMIT 1").fetchone()
        ids = {row[0] for row in conn.execute(
            "SELECT DISTINCT p.session_id FROM preparation p JOIN preparation_component c ON c.preparation_id = p.id "
            "JOIN lot l ON l.id = c.lot_id WHERE l.lot_number = ?", (number,))}
        return number, lot_id, ids
    finally:
        conn.close()


def _all(ctx: AppContext, flt: HistoryFilter) -> set[int]:
    return {r.id for r in history.browse(ctx, flt, limit=1000).rows}


def test_the_history_finds_exactly_the_sessions_of_a_lot(clinic: AppContext) -> None:
    number, _lot_id, expected = _lot_sessions(Path(clinic.url.removeprefix("sqlite:///")))
    flt = HistoryFilter(lot_number=number)
    assert _all(clinic, flt) == expected
    assert history.count(clinic, flt) == len(expected) == history.browse(clinic, flt).total
    assert _all(clinic, HistoryFilter(lot_number=f"  {number} ")) == expected  # as pasted, with spaces
    assert _all(clinic, HistoryFilter(lot_number="NO-SUCH-LOT")) == set()
    signed = _all(clinic, HistoryFilter(lot_number=number, status="signed"))
    assert signed <= expected
    with clinic.transaction() as s:
        details = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "query")).all()
    assert any(f"lot {number}" in d for d in details)


def test_the_export_of_a_recall_holds_those_sessions(clinic: AppContext) -> None:
    number, _lot_id, expected = _lot_sessions(Path(clinic.url.removeprefix("sqlite:///")))
    out = io.BytesIO()
    export_sessions(clinic, "csv", out, HistoryFilter(lot_number=number))
    lines = out.getvalue().decode("utf-8-sig").splitlines()[1:]
    assert {int(line.split(",", 1)[0]) for line in lines} == expected
    with clinic.transaction() as s:
        detail = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "export")).all()[-1]
    assert f"lot {number}" in detail


def test_an_overlong_lot_number_is_refused(clinic: AppContext) -> None:
    with pytest.raises(ValidationError, match="at most 40 characters"):
        history.browse(clinic, HistoryFilter(lot_number="X" * 41))


def test_recall_from_the_lots_table_opens_the_filtered_history(qtbot, clinic: AppContext) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QWidget

    from tpi_notes.ui.clinic_windows import ClinicWindows

    number, lot_id, expected = _lot_sessions(Path(clinic.url.removeprefix("sqlite:///")))
    parent = QWidget()
    qtbot.addWidget(parent)
    windows = ClinicWindows(clinic, parent)
    admin = windows.open_admin()
    tab = admin.formulary_tab
    assert tab is not None
    tab.lots_view.clearSelection()
    assert not tab.recall_button.isEnabled()  # no lot selected
    found = _select_lot(tab, lot_id)
    assert found and tab.recall_button.isEnabled()
    tab.recall_button.click()
    browser = windows.history
    assert browser is not None and browser.isVisible()
    assert browser.filter_bar.lot.text() == number
    model = browser.model
    qtbot.waitUntil(lambda: model.total == len(expected))
    assert {model.row_at(i).id for i in range(model.rowCount())} == expected


def _select_lot(tab, lot_id: int) -> bool:  # noqa: ANN001
    """Select the item that owns ``lot_id``, then the lot itself."""
    for use in tab.item_model.records():
        tab.select_item(use.item.code)
        if tab.select_lot(lot_id):
            return True
    return False
