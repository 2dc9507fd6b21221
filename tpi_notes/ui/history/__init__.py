"""The session history browser: all sessions, filtered, sorted and paged by the database, with a small chart.

The main window opens :class:`HistoryBrowser` and connects ``session_activated`` to its ``open_session``.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtWidgets import QApplication

from tpi_notes.domain.history import HistoryFilter
from tpi_notes.services import history as history_service
from tpi_notes.services.context import AppContext
from tpi_notes.ui.history.browser import HistoryBrowser
from tpi_notes.ui.style import apply_theme

__all__ = ["HistoryBrowser", "render_history_screenshot"]


def render_history_screenshot(ctx: AppContext, path: Path, size: tuple[int, int] = (1300, 800)) -> Path:
    """Open the browser on the newest 12 months of signed sessions, size it, and save a PNG of it to ``path``."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_theme(app)
    browser = HistoryBrowser(ctx)
    try:
        browser.resize(*size)
        browser.splitter.setSizes([size[1] - 330, 220])
        months = history_service.chart(ctx, HistoryFilter()).months
        if months:
            last = date(months[-1].year, months[-1].month, 1) + timedelta(days=31)
            last = last - timedelta(days=last.day)  # the last day of the newest month
            first = date(last.year - 1, last.month, 1) + timedelta(days=31)
            browser.set_filter(HistoryFilter(date_from=first.replace(day=1), date_to=last, status="signed"))
        browser.show()
        browser.wait_for_chart()
        path.parent.mkdir(parents=True, exist_ok=True)
        browser.grab().save(str(path))
    finally:
        browser.hide()  # not close(): a screenshot must not overwrite the user's saved window layout
        browser.deleteLater()
    return path
