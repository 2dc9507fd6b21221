"""A 0–10 pain score in one click: eleven buttons in a row; none chosen is "not recorded" (issue 16 item 3).

A spin box took a click, a selection and a typed digit per score. The row takes one click; the keyboard
works too (Tab reaches the row as one stop; digits, arrows, Home/End, and Delete for "not recorded"), and a
screen reader hears the row's name with its value, and each button as "Pain 7 of 10".
The value API is the spin box's (``value``, ``setValue``, ``valueChanged``, ``optional_value``) so forms,
validation and tests treat it the same.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QToolButton, QWidget

from tpi_notes.ui.editor.fields import NOT_RECORDED

MAXIMUM = 10
STYLE = """
PainScale QToolButton { min-width: 20px; min-height: 26px; padding: 0 2px; border: 1px solid #b8c2cc;
                        border-radius: 3px; background: white; }
PainScale QToolButton:checked { background: #1d6a8a; color: white; border-color: #1d6a8a; font-weight: 600; }
PainScale[invalid="true"] QToolButton { border-color: #b42318; }
PainScale:focus QToolButton:checked { border: 2px solid #0b3d91; }
"""


class PainScale(QWidget):
    """NRS 0–10 as a row of buttons; -1 (none checked) is "not recorded"."""

    valueChanged = Signal(int)  # noqa: N815 - the spin box's name, so callers need not care which it is

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value = -1
        self._typed = ""  # digits typed since the row took the focus ("1", "0" is ten)
        self._name = name
        self.setObjectName(f"pain_scale_{name.split()[1] if ' ' in name else name}".lower())
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.group = QButtonGroup(self)
        self.group.setExclusive(False)  # a second click on the chosen score clears it
        self.buttons: list[QToolButton] = []
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        for score in range(MAXIMUM + 1):
            button = QToolButton(self)
            button.setText(str(score))
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the row is one Tab stop
            button.setAccessibleName(f"{name} {score} of {MAXIMUM}")
            button.setToolTip(f"{name}: {score} of {MAXIMUM}")
            self.group.addButton(button, score)
            self.buttons.append(button)
            row.addWidget(button)
        row.addStretch(1)
        self.group.idClicked.connect(self._clicked)
        self._show()

    # -- the spin box's API -----------------------------------------------------------------------------
    def value(self) -> int:
        return self._value

    def setValue(self, value: int) -> None:  # noqa: N802 - the spin box's name
        value = max(-1, min(MAXIMUM, int(value)))
        if value == self._value:
            return
        self._value = value
        self._show()
        self.valueChanged.emit(value)

    def optional_value(self) -> int | None:
        return None if self._value < 0 else self._value

    def set_optional_value(self, value: int | None) -> None:
        self.setValue(-1 if value is None else value)

    # -- input --------------------------------------------------------------------------------------------
    def _clicked(self, score: int) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.setValue(-1 if score == self._value else score)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        key, text = event.key(), event.text()
        if text.isdigit():
            # "1" then "0" typed one after the other is ten; any other digit is the score itself
            self._typed = "10" if self._typed == "1" and text == "0" else text
            self.setValue(int(self._typed))
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Up):
            self.setValue(min(MAXIMUM, self._value + 1))
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Down):
            self.setValue(max(0, self._value - 1) if self._value >= 0 else -1)
        elif key == Qt.Key.Key_Home:
            self.setValue(0)
        elif key == Qt.Key.Key_End:
            self.setValue(MAXIMUM)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.setValue(-1)
        else:
            super().keyPressEvent(event)
            return
        if not text.isdigit():
            self._typed = ""
        event.accept()

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt API
        super().focusInEvent(event)
        self._typed = ""
        self.update()

    # -- showing ------------------------------------------------------------------------------------------
    def _show(self) -> None:
        for score, button in enumerate(self.buttons):
            button.setChecked(score == self._value)
        words = NOT_RECORDED if self._value < 0 else f"{self._value} / {MAXIMUM}"
        self.setAccessibleName(self._name)
        self.setAccessibleDescription(f"{words}. Type a digit, use the arrow keys, or Delete for not recorded.")
        self.setToolTip(f"{self._name}: {words}")
