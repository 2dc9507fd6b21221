"""Small input widgets the editor's forms share, and the registry that puts a message at a field.

Optional numbers use the spin box's minimum as an explicit "Not recorded" state, so a blank is never
mistaken for zero; optional times do the same with a sentinel date.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDateTime, QDir, QPointF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.ui.style import DANGER, DANGER_TINT, set_invalid, set_role

NOT_RECORDED = "Not recorded"
FIELD_HEIGHT = 30  # the height of the theme's line edits and combos; spin and date boxes match it
DATETIME_FORMAT = "yyyy-MM-dd  HH:mm"
_SENTINEL = QDateTime.fromString("2000-01-01 00:00", "yyyy-MM-dd HH:mm")


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """The red border of a refused field (spin and date boxes are drawn by INVALID_SPIN_STYLE)."""
    set_invalid(widget, invalid)


def register_arrows() -> None:
    """Draw the arrows an invalid spin or date box shows (a stylesheet border replaces the native ones)
    and expose them as ``tpi-editor:up.png`` / ``tpi-editor:down.png``."""
    if _ARROWS_DONE:
        return
    register_arrow_images("tpi-editor", DANGER)
    _ARROWS_DONE.append(True)


def register_arrow_images(prefix: str, colour: str) -> None:
    """Up and down arrows in ``colour`` for a spin box whose stylesheet border hides the native ones, written
    once to a folder of this user's and exposed as ``<prefix>:up.png`` / ``<prefix>:down.png``."""
    user = os.getuid() if hasattr(os, "getuid") else "user"
    folder = Path(tempfile.gettempdir()) / f"tpi-notes-{prefix.removeprefix('tpi-')}-{user}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, points in (("up", ((2, 7.5), (7, 2.5), (12, 7.5))), ("down", ((2, 2.5), (7, 7.5), (12, 2.5)))):
        pixmap = QPixmap(14, 10)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(colour), 2.0)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawPolyline([QPointF(x, y) for x, y in points])
        painter.end()
        pixmap.save(str(folder / f"{name}.png"))
    QDir.addSearchPath(prefix, str(folder))


_ARROWS_DONE: list[bool] = []
INVALID_SPIN_STYLE = f"""
QAbstractSpinBox[invalid="true"] {{
    border: 2px solid {DANGER}; border-radius: 4px; background: {DANGER_TINT}; padding: 2px 22px 2px 4px;
}}
QAbstractSpinBox[invalid="true"]::up-button {{
    subcontrol-origin: border; subcontrol-position: top right; width: 20px; border: none;
}}
QAbstractSpinBox[invalid="true"]::down-button {{
    subcontrol-origin: border; subcontrol-position: bottom right; width: 20px; border: none;
}}
QAbstractSpinBox[invalid="true"]::up-arrow {{ image: url(tpi-editor:up.png); width: 10px; height: 7px; }}
QAbstractSpinBox[invalid="true"]::down-arrow {{ image: url(tpi-editor:down.png); width: 10px; height: 7px; }}
QDateTimeEdit[invalid="true"]::drop-down {{
    subcontrol-origin: padding; subcontrol-position: center right; width: 22px; border: none;
}}
"""


def now_minute() -> datetime:
    return datetime.now().replace(second=0, microsecond=0)


class OptionalSpin(QSpinBox):
    """An integer that may be "Not recorded" (shown at the bottom of the range, read back as None)."""

    def __init__(self, maximum: int, suffix: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(-1, maximum)
        self.setSpecialValueText(NOT_RECORDED)
        self.setSuffix(suffix)
        self.setValue(-1)
        self.setMinimumWidth(130)
        self.setMaximumWidth(200)
        self.setMinimumHeight(FIELD_HEIGHT)

    def optional_value(self) -> int | None:
        return None if self.value() < 0 else self.value()

    def set_optional_value(self, value: int | None) -> None:
        self.setValue(-1 if value is None else int(value))


class OptionalDoubleSpin(QDoubleSpinBox):
    """A decimal that may be "Not recorded" (the value -1)."""

    def __init__(self, maximum: float, decimals: int = 1, suffix: str = "", step: float = 1.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(decimals)
        self.setRange(-1.0, maximum)
        self.setSingleStep(step)
        self.setSpecialValueText(NOT_RECORDED)
        self.setSuffix(suffix)
        self.setValue(-1.0)
        self.setMinimumWidth(130)
        self.setMaximumWidth(200)
        self.setMinimumHeight(FIELD_HEIGHT)

    def optional_value(self) -> float | None:
        return None if self.value() < 0 else self.value()

    def set_optional_value(self, value: float | None) -> None:
        self.setValue(-1.0 if value is None else float(value))


def fit_calendar(edit: QDateTimeEdit) -> None:
    """Show the pop-up calendar whole: under the theme its own size hint cut off the last week and the month
    arrows (issue 16). Seven day columns and a header, six weeks and the navigation bar, from the font."""
    calendar = edit.calendarWidget()
    metrics = calendar.fontMetrics()
    calendar.setMinimumSize(metrics.horizontalAdvance("Wed") * 7 + 7 * 16 + 40, (metrics.height() + 12) * 7 + 44)


class DateTimeEdit(QDateTimeEdit):
    """A date-time box that Tab leaves, as every other field (H30 audit).

    Qt's QDateTimeEdit takes Tab to its next section (year, month, day, hour, minute), and on "Not recorded" it
    never let go: pressing Tab forty times left the keyboard in the Ended box, a trap for anyone without a mouse.
    Typing moves on by itself when a section is full; ← → move between sections."""

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002, N802 - Qt API
        return QWidget.focusNextPrevChild(self, next)


def datetime_edit(parent: QWidget | None = None) -> QDateTimeEdit:
    edit = DateTimeEdit(parent)
    edit.setDisplayFormat(DATETIME_FORMAT)
    edit.setCalendarPopup(True)
    fit_calendar(edit)
    edit.setMinimumWidth(170)
    edit.setMaximumWidth(260)
    edit.setMinimumHeight(FIELD_HEIGHT)
    return edit


class OptionalDateTime(QWidget):
    """A date and time that may be "Not recorded", with a "Now" button beside it.

    Stepping or typing into the empty state jumps to ``default()`` (now, unless given), not to the year 2000.
    """

    changed = Signal()
    """The value changed (by the user, the Now button or :meth:`set_value`)."""

    def __init__(self, default: Callable[[], datetime] | None = None, parent: QWidget | None = None, *,
                 empty_text: str = NOT_RECORDED) -> None:
        super().__init__(parent)
        self._default = default or now_minute
        self._setting = False
        self.edit = datetime_edit(self)
        self.edit.setMinimumDateTime(_SENTINEL)
        self.edit.setSpecialValueText(empty_text)  # what an empty value means (the end: "At signing")
        self.edit.setDateTime(_SENTINEL)
        self.now_button = QPushButton("Now", self)
        self.now_button.setToolTip("Set to the current time")
        self.now_button.setAutoDefault(False)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.edit, 1)
        row.addWidget(self.now_button)
        row.addStretch(0)
        self.setMaximumWidth(340)
        self.setFocusProxy(self.edit)
        self.edit.dateTimeChanged.connect(self._on_changed)
        self.now_button.clicked.connect(self.set_now)

    def value(self) -> datetime | None:
        current = self.edit.dateTime()
        return None if current == _SENTINEL else current.toPython()

    def set_value(self, value: datetime | None) -> None:
        self._setting = True
        try:
            self.edit.setDateTime(_SENTINEL if value is None else QDateTime(value))
        finally:
            self._setting = False
        self.changed.emit()

    @Slot()
    def set_now(self) -> None:
        self.set_value(now_minute())

    @Slot(QDateTime)
    def _on_changed(self, value: QDateTime) -> None:
        if self._setting:
            return
        if value != _SENTINEL and value.date().year() < 2001:
            self.set_value(self._default())  # the user stepped out of "Not recorded"
            return
        self.changed.emit()


def editable_combo(choices: Iterable[str], placeholder: str = "", parent: QWidget | None = None) -> QComboBox:
    """A combo offering ``choices`` that also takes free text (nothing chosen at first)."""
    combo = QComboBox(parent)
    compact(combo)
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItems(list(choices))
    combo.setCurrentIndex(-1)
    combo.setEditText("")
    line = combo.lineEdit()
    if line is not None and placeholder:
        line.setPlaceholderText(placeholder)
    return combo


def data_combo(items: Iterable[tuple[str, object]], parent: QWidget | None = None) -> QComboBox:
    """A fixed list of (text, value) entries."""
    combo = QComboBox(parent)
    compact(combo)
    for text, value in items:
        combo.addItem(text, value)
    return combo


def compact(combo: QComboBox, characters: int = 14) -> QComboBox:
    """Let a combo be narrower than its longest entry (the form decides the width, not the data)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
    return combo


def select_data(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(index if index >= 0 else 0)


def text_box(placeholder: str = "", lines: int = 2, parent: QWidget | None = None) -> QPlainTextEdit:
    """A short multi-line text; Tab moves on (it never types a tab character)."""
    box = QPlainTextEdit(parent)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)
    height = box.fontMetrics().lineSpacing() * lines + 16
    box.setFixedHeight(height)
    return box


class FieldErrors:
    """Field name -> (input, message label): puts a refused value's message under its input."""

    def __init__(self) -> None:
        self._fields: dict[str, tuple[QWidget, QLabel]] = {}
        self._covered: dict[str, Callable[[], bool]] = {}

    def covered_by(self, name: str, said: Callable[[], bool]) -> None:
        """Leave ``name``'s message out while ``said()`` holds: a line under the field already says it, more
        exactly (the required respiratory check names its sites; the message said the same thing twice)."""
        self._covered[name] = said

    def label(self, name: str, parent: QWidget | None = None) -> QLabel:
        label = QLabel(parent)
        label.setObjectName(f"error_{name}")
        label.setWordWrap(True)
        set_role(label, "field-error")
        label.hide()
        return label

    def cell(self, name: str, field: QWidget, parent: QWidget | None = None, *, highlight: QWidget | None = None
             ) -> QWidget:
        """``field`` with its (hidden) message label under it, registered as ``name``."""
        cell = QWidget(parent)
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(field)
        label = self.label(name, cell)
        column.addWidget(label)
        self.register(name, highlight or field, label)
        return cell

    def register(self, name: str, field: QWidget, label: QLabel) -> None:
        if not field.objectName():
            field.setObjectName(f"field_{name}")
        self._fields[name] = (field, label)

    def names(self) -> list[str]:
        return list(self._fields)

    def message(self, name: str) -> str:
        label = self._fields[name][1]
        return label.text() if not label.isHidden() else ""

    def clear(self) -> None:
        for field, label in self._fields.values():
            label.clear()
            label.hide()
            mark_invalid(field, False)

    def show(self, errors: dict[str, str]) -> list[QWidget]:
        """Show the messages this registry knows (in its field order); returns the fields marked."""
        marked = []
        for name, (field, label) in self._fields.items():
            if name in errors:
                label.setText(errors[name])
                covered = self._covered.get(name)
                label.setVisible(not (covered is not None and covered()))
                mark_invalid(field, True)
                marked.append(field)
        return marked


def align_labels(forms: Iterable[QFormLayout], width: int) -> None:
    """Give the label column of several forms one width, so stacked forms line up."""
    for form in forms:
        indent = form.parentWidget().contentsMargins().left() if form.parentWidget() is not None else 0
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if isinstance(label, QLabel):
                label.setMinimumWidth(max(0, width - indent))
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
