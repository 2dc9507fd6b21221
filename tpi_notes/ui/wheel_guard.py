"""The mouse wheel scrolls the page; it never changes a field the user is not editing (issue 12).

Left to itself, Qt lets the wheel change a drop-down, a number box, a date or a slider the pointer merely passes
over while the user scrolls a form, and gives that field the focus on the way: a tester saw blood loss go from
Minimal to Moderate and a site volume from 1.00 to 0.00 mL without noticing. One filter on the QApplication,
installed where the app is built (``ui/app.py``), covers every window, dialog and cell editor, including those
created later:

- such fields take the focus from a click or the Tab key only, never from the wheel (``StrongFocus``), so
  scrolling past them does not make them "the field being edited";
- a wheel over such a field that does not have the keyboard focus goes to the widgets around it, exactly as Qt
  passes on a wheel a widget does not want: the form's scroll area scrolls instead;
- a field with the focus keeps the usual wheel behaviour: the user clicked into it and means to change it.

The body diagram zooms with the wheel; it is not a value field and is left alone.
"""

from __future__ import annotations

from typing import TypeGuard

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollBar,
    QTabBar,
    QWidget,
)

VALUE_FIELDS = (QAbstractSpinBox, QComboBox, QAbstractSlider, QTabBar)
"""Widgets whose value (or current tab) the wheel changes: spin boxes and every date/time edit, drop-downs,
sliders. Scroll bars are sliders too but are what scrolling is for; they are excluded in ``is_value_field``."""

GUARD_NAME = "wheel_guard"
WATCHED = (QEvent.Type.Wheel, QEvent.Type.Polish)


def is_value_field(obj: QObject) -> TypeGuard[QWidget]:
    """True for a widget the wheel would change a value of (not a scroll bar)."""
    return isinstance(obj, VALUE_FIELDS) and not isinstance(obj, QScrollBar)


def has_keyboard_focus(field: QWidget) -> bool:
    """The field, or a part of it (a spin box's or an editable drop-down's text box), has the keyboard focus."""
    focused = QApplication.focusWidget()
    return focused is not None and (focused is field or field.isAncestorOf(focused))


def calm_focus(widget: QWidget) -> None:
    """A value field takes the focus from clicks and Tab, not from the wheel passing over it."""
    if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


def pass_to_parents(field: QWidget, event: QWheelEvent) -> bool:
    """Offer ``event`` to the widgets around ``field``, innermost first, until one takes it (the way Qt passes on
    a wheel a widget ignored); True when one did. A scroll area's contents sit in its viewport, which is where
    the area handles the wheel, so the nearest scroll area scrolls."""
    offset = QPoint(0, 0)
    widget = field
    while not widget.isWindow() and not widget.testAttribute(Qt.WidgetAttribute.WA_NoMousePropagation):
        offset += widget.pos()
        parent = widget.parentWidget()
        if parent is None:
            break
        widget = parent
        passed = QWheelEvent(event.position() + QPointF(offset), event.globalPosition(), event.pixelDelta(),
                             event.angleDelta(), event.buttons(), event.modifiers(), event.phase(),
                             event.inverted(), event.source(), event.pointingDevice())
        passed.ignore()
        if QApplication.sendEvent(widget, passed) and passed.isAccepted():
            return True
    return False


class WheelGuard(QObject):
    """The application-wide filter described above; ``install_wheel_guard`` puts one on the QApplication."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind not in WATCHED or not is_value_field(watched):
            return False
        if kind == QEvent.Type.Polish:
            calm_focus(watched)
            return False
        if has_keyboard_focus(watched) or not isinstance(event, QWheelEvent):
            return False
        pass_to_parents(watched, event)
        event.accept()  # taken here, wherever it went: Qt must not pass it on a second time
        return True


def install_wheel_guard(app: QApplication) -> WheelGuard:
    """Put the guard on ``app`` once (calling again returns the same one) and calm the fields that exist
    already; fields made later are calmed as they are first shown (their Polish event)."""
    guard = app.findChild(WheelGuard, GUARD_NAME)
    if isinstance(guard, WheelGuard):
        return guard
    guard = WheelGuard(app)
    guard.setObjectName(GUARD_NAME)
    app.installEventFilter(guard)
    for widget in app.allWidgets():
        if is_value_field(widget):
            calm_focus(widget)
    return guard
