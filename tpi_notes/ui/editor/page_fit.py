"""The forms' height fitted to the tab shown, the findings panel given the rest (issue 16 item 4, at 1600 × 1000).

A fixed split left the findings ~120 px whatever the tab: the pre-procedure form needs most of the column, the
post-procedure, syringes and outcomes forms less than half of it. The tab widget is capped at what its current
page needs (never below :data:`FLOOR`), so the page shows whole and the findings and doses below take the space
the form leaves empty; the cap follows the page as it grows (diagnoses added, a message shown) or the window is
resized. A page taller than the window scrolls, as before, and the findings keep their minimum height.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QScrollArea, QTabWidget

FLOOR = 400  # the forms never shrink below this: a short page does not hand the findings the whole column


class TabsFit(QObject):
    """Caps ``tabs`` at the height its current page (a QScrollArea around a form) needs."""

    def __init__(self, tabs: QTabWidget) -> None:
        super().__init__(tabs)
        self.tabs = tabs
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        tabs.currentChanged.connect(lambda _i: self.fit())
        tabs.installEventFilter(self)

    def watch(self, page: QScrollArea) -> None:
        """Fit again when ``page``'s form asks for another size or the page changes width."""
        page.installEventFilter(self)
        if page.widget() is not None:
            page.widget().installEventFilter(self)

    def needed(self) -> int | None:
        page = self.tabs.currentWidget()
        if not isinstance(page, QScrollArea) or page.widget() is None or page.widget().layout() is None:
            return None
        layout = page.widget().layout()
        width = page.viewport().width()
        height = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.totalSizeHint().height()
        if page.horizontalScrollBar().isVisible():
            height += page.horizontalScrollBar().height()
        chrome = self.tabs.height() - page.height()  # the tab bar and the frame
        if chrome <= 0:
            chrome = self.tabs.tabBar().sizeHint().height() + 4
        return height + chrome + 2 * page.frameWidth()

    def fit(self) -> None:
        needed = self.needed()
        if needed is not None and self.tabs.maximumHeight() != max(needed, FLOOR):
            self.tabs.setMaximumHeight(max(needed, FLOOR))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Resize, QEvent.Type.Show):
            self._timer.start()  # once the layouts settled, not in the middle of them
        return super().eventFilter(watched, event)
