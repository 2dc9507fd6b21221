"""A column's sort arrow reads the usual way: ▼ for newest first (descending), ▲ for A→Z (ascending).

Fusion draws Qt's ascending order as ▼, so the history, listed newest first, showed ▲; a clinician reading the
arrow would take the list for oldest first.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from tpi_notes.ui.style import apply_theme  # noqa: E402


def _arrow_points(qtbot: QtBot, order: Qt.SortOrder) -> str:
    """'down' when the drawn arrow is widest at its top (▼), 'up' when widest at its bottom (▲)."""
    apply_theme(QApplication.instance())  # type: ignore[arg-type]
    table = QTableWidget(2, 1)
    qtbot.addWidget(table)
    table.setHorizontalHeaderLabels([""])  # nothing dark in the section but the arrow
    header = table.horizontalHeader()
    header.setSortIndicatorShown(True)
    header.setSortIndicator(0, order)
    table.resize(240, 120)
    table.show()
    qtbot.waitExposed(table)
    image = header.grab().toImage()
    rows: dict[int, int] = {}
    for y in range(image.height()):
        for x in range(image.width() - 2):
            if image.pixelColor(x, y).lightness() < 140:
                rows[y] = rows.get(y, 0) + 1
    assert rows, "no arrow drawn"
    top, bottom = min(rows), max(rows)
    return "down" if rows[top] > rows[bottom] else "up"


def test_descending_shows_a_down_arrow_and_ascending_an_up_arrow(qtbot: QtBot) -> None:
    assert _arrow_points(qtbot, Qt.SortOrder.DescendingOrder) == "down"
    assert _arrow_points(qtbot, Qt.SortOrder.AscendingOrder) == "up"
