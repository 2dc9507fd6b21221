"""The box an unexpected error shows (issue 18 item 3). In a windowed app an exception in a Qt slot would print
to a terminal nobody sees; tpi_notes/logs.py turns it into a crash report and this tells the user, with the
report's path and a "Copy details" button for support.

The box is opened from the event loop (a queued signal), never inside the failing slot, and from the main
thread whichever thread crashed; while one is open, further crashes are reported in it rather than in a pile
of boxes (a paint event that fails fails again at every repaint)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox

from tpi_notes import logs

TITLE = "tpi-notes: unexpected error"
COPY = "Copy details"


class CrashNotifier(QObject):
    crashed = Signal(str, str)  # the report's path ("" when it could not be written), the report

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.box: QMessageBox | None = None
        self.count = 0
        self.crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def notify(self, path: Path | None, report: str) -> None:
        """Called by tpi_notes/logs.py from whichever thread crashed."""
        self.crashed.emit(str(path) if path else "", report)

    @Slot(str, str)
    def _show(self, path: str, report: str) -> None:
        self.count += 1
        if self.box is not None and self.box.isVisible():
            self.box.setText(f"tpi-notes ran into {self.count} unexpected errors.")
            return
        self.count = 1
        self.box = crash_box(path, report)
        self.box.show()


def crash_box(path: str, report: str) -> QMessageBox:
    where = (f"A crash report for support was saved to:\n{path}" if path
             else "The crash report could not be saved (the log folder is not writable); copy the details.")
    box = QMessageBox(QMessageBox.Icon.Critical, TITLE, "tpi-notes ran into an unexpected error.",
                      QMessageBox.StandardButton.Close, QApplication.activeWindow())
    box.setInformativeText("What was saved is safe, and open editors keep their drafts. If the app misbehaves, "
                           f"close it and start it again.\n\n{where}\n\nThe report holds no patient details.")
    details = f"Crash report: {path or 'not saved'}\n\n{report}"
    box.setDetailedText(details)
    copy = box.addButton(COPY, QMessageBox.ButtonRole.ActionRole)
    box.setWindowModality(Qt.WindowModality.ApplicationModal)

    def clicked(button: QAbstractButton) -> None:
        if button is copy:
            QApplication.clipboard().setText(details)
            QTimer.singleShot(0, box.show)  # every button closes a QMessageBox; this one should not
    box.buttonClicked.connect(clicked)
    return box


def install_crash_dialog(app: QApplication) -> CrashNotifier:
    """From now on every crash report tpi_notes/logs.py writes is also shown in a box."""
    notifier = CrashNotifier(app)
    logs.add_crash_listener(notifier.notify)
    return notifier
