"""After start-up, in the background: is the clinic's database file sound? (SQLite's ``PRAGMA quick_check``)

Started once the main window is shown, on a worker thread, so the first paint never waits for it (a large
clinic's check reads every page of the file). Nothing is shown when the file is fine; a damaged file is
reported loudly, in a window-modal box over the main window, with SQLite's findings as details.
"""

from __future__ import annotations

import contextlib
import threading

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from tpi_notes.services.context import AppContext
from tpi_notes.services.database_health import quick_check

DAMAGED_TITLE = "The clinic database is damaged"


class _Relay(QObject):
    """Carries the worker's findings to the window's thread (a queued signal), and shows them there."""

    found = Signal(list)

    def __init__(self, window: QWidget, where: str) -> None:
        super().__init__(window)  # dies with the window: a result that arrives after it closed is dropped
        self.window, self.where = window, where
        self.box: QMessageBox | None = None
        self.found.connect(self._report, Qt.ConnectionType.QueuedConnection)

    @Slot(list)
    def _report(self, problems: list[str]) -> None:
        if not problems:
            return
        box = QMessageBox(QMessageBox.Icon.Critical, DAMAGED_TITLE,
                          f"SQLite's integrity check found damage in {self.where}.\n\n"
                          "Records may be missing or wrong, and saving into a damaged file can make it worse. "
                          "Stop charting, close tpi-notes, keep the file as it is, and restore the latest "
                          "backup (or ask for help recovering it).",
                          QMessageBox.StandardButton.Ok, self.window)
        box.setDetailedText("\n".join(problems))
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.box = box
        box.open()


def check_database_after_start(window: QWidget, ctx: AppContext) -> threading.Thread:
    """Run the quick check of ``ctx``'s file on a worker thread; a damaged file is reported over ``window``.

    Call it after ``window.show()``. Returns the started thread (tests join it)."""
    relay = _Relay(window, str(ctx.database_path or "the clinic database"))
    window.database_check = relay  # type: ignore[attr-defined] # kept alive with the window; tests read .box

    def work() -> None:
        try:
            problems = quick_check(ctx)
        except Exception as exc:  # noqa: BLE001 - a file SQLite cannot even check is damaged too
            problems = [str(exc)]
        with contextlib.suppress(RuntimeError):  # the window (and the relay with it) was closed meanwhile
            relay.found.emit(problems)

    thread = threading.Thread(target=work, name="tpi-notes-quick-check", daemon=True)
    thread.start()
    return thread
