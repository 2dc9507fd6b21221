"""A confirmation that cannot be missed and asks nothing: a dark note floating over the window's top right.

The status bar's five seconds at the bottom edge went unseen (issue 16: "no confirmation after saving a
template"). The toast floats over the work area without moving any field (the routine note keeps fitting 1600 ×
1000), stays for ``TOAST_MS`` or until its ✕, and is repeated in the status bar for whoever looks there.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMainWindow, QToolButton, QWidget

TOAST_MS = 8000
STYLE = """
QFrame#toast { background: #1f2933; border-radius: 6px; }
QFrame#toast QLabel { color: white; font-weight: 600; }
QFrame#toast QToolButton { color: white; border: none; font-weight: 600; }
"""


class Toast(QFrame):
    """One message over ``window``'s top right, under its tool bar; it follows the window's size."""

    def __init__(self, window: QMainWindow, text: str, ms: int = TOAST_MS) -> None:
        super().__init__(window)
        self.setObjectName("toast")
        self.setStyleSheet(STYLE)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.label = QLabel(text, self)
        self.label.setObjectName("toast_message")
        self.label.setWordWrap(True)
        self.label.setMaximumWidth(520)
        close = QToolButton(self)
        close.setObjectName("toast_close")
        close.setText("✕")
        close.setToolTip("Hide this message")
        close.setAccessibleName("Hide this message")
        close.clicked.connect(self.close)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 8, 6, 8)
        row.addWidget(self.label, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.setAccessibleName(text)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.close)
        self.timer.start(ms)
        window.installEventFilter(self)
        self._place()
        self.show()
        self.raise_()

    def _place(self) -> None:
        window = self.parentWidget()
        if window is None:
            return
        self.adjustSize()
        top = 8
        if isinstance(window, QMainWindow):
            central = window.centralWidget()
            top += central.geometry().top() if central is not None else 0
        self.move(max(8, window.width() - self.width() - 16), top)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self._place()
        return super().eventFilter(watched, event)


def show_toast(window: QWidget, text: str, ms: int = TOAST_MS) -> Toast | None:
    """Show ``text`` as a toast over ``window`` (and in its status bar); None for a window without one."""
    if not isinstance(window, QMainWindow):
        return None
    for old in window.findChildren(Toast):  # one at a time: the newest says what just happened
        old.close()
    window.statusBar().showMessage(text, ms)
    return Toast(window, text, ms)
