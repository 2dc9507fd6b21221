"""Work that waits until a window has been painted: what the first look does not need (issue 19).

Start-up fills the patient list and paints it before it builds the patient page or turns Python's garbage
collector back on (ui/app.py, ui/main_window.py). A zero-timer set at the end of the fill would not wait: Qt posts
a window's repaint at low priority, so the timer would run first and the paint would wait for the work. This
watches for the paint itself, then runs the work on the next turn of the event loop; a window that is never
painted (started minimised, hidden in a test) gets the work after ``fallback_ms`` all the same.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

FALLBACK_MS = 1000


class _AfterPaint(QObject):
    def __init__(self, window: QWidget, work: Callable[[], object], fallback_ms: int) -> None:
        super().__init__(window)  # dies with the window: work for a closed window is dropped
        self._window, self._work, self._done = window, work, False
        window.installEventFilter(self)
        QTimer.singleShot(fallback_ms, self, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self._window and event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, self._run)
        return False

    def _run(self) -> None:
        if self._done:
            return
        self._done = True
        self._window.removeEventFilter(self)
        self._work()
        self.deleteLater()


def after_next_paint(window: QWidget, work: Callable[[], object], fallback_ms: int = FALLBACK_MS) -> None:
    """Run ``work`` once, on the GUI thread, just after ``window``'s next paint (or after ``fallback_ms``)."""
    _AfterPaint(window, work, fallback_ms)
