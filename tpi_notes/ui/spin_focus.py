"""A number box clicked into takes the digits typed next (issue 16 item 4).

Qt puts the text cursor where the click landed: typing "7" into "Not recorded" or "1.00 mL" made an entry the
box refused, so a user had to select the text first, every time. One filter on the QApplication (installed with
the wheel guard in ``ui/app.py``) selects a number box's whole text when a click gives it the focus, so what is
typed replaces it, as the Tab key already does. A click into a box that already has the focus still places the
cursor (editing part of a number), and date and time boxes keep their own section editing.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QLineEdit, QSpinBox

NUMBER_BOXES = (QSpinBox, QDoubleSpinBox)
FILTER_NAME = "spin_focus"


class SelectOnClickFocus(QObject):
    """Selects a number box's text on the mouse release that ends the click which focused it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(FILTER_NAME)
        self._focused_by_click: QObject | None = None

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind == QEvent.Type.FocusIn and isinstance(obj, NUMBER_BOXES) and isinstance(event, QFocusEvent):
            self._focused_by_click = obj if event.reason() == Qt.FocusReason.MouseFocusReason else None
        elif kind == QEvent.Type.MouseButtonRelease and self._focused_by_click is not None \
                and isinstance(obj, QLineEdit) and obj.parent() is self._focused_by_click:
            box = self._focused_by_click
            self._focused_by_click = None
            if not obj.hasSelectedText():  # a drag that selected part of the number is the user's own choice
                box.selectAll()  # type: ignore[attr-defined]
                return False
        return False


def install_spin_focus(app: QApplication) -> None:
    """Once per application."""
    if app.findChild(SelectOnClickFocus, FILTER_NAME) is None:
        app.installEventFilter(SelectOnClickFocus(app))
