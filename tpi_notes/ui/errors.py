"""One way to show an error the services raise: a plain message box, never a traceback."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from tpi_notes.domain.errors import (
    ConcurrentEditError,
    DatabaseBusyError,
    NotFoundError,
    TpiError,
    ValidationError,
)

_TITLES: dict[type[TpiError], str] = {
    ValidationError: "Please check the entry",
    ConcurrentEditError: "Changed on another workstation",
    DatabaseBusyError: "Database busy",
    NotFoundError: "No longer there",
}


def error_title(error: TpiError) -> str:
    for kind, title in _TITLES.items():
        if isinstance(error, kind):
            return title
    return "tpi-notes"


def error_text(error: TpiError) -> str:
    """The message to show; a ValidationError lists one line per field."""
    if isinstance(error, ValidationError):
        return "\n".join(error.errors.values()) or str(error)
    return str(error) or error.__class__.__name__


def show_error(parent: QWidget | None, error: TpiError, title: str | None = None) -> None:
    """Show ``error`` in a warning box over ``parent`` (widgets use this, not QMessageBox directly).

    AccessChanged shows nothing here: the screen lock has covered every window and asks the user to sign in
    again, saying why (ui/screen_lock.py); a box under its curtain would only wait behind it. (Known by its
    ``shown_elsewhere`` mark, as logs.py knows it: importing it would load the services before the first paint.)"""
    if getattr(error, "shown_elsewhere", False):
        return
    busy = QApplication.overrideCursor() is not None  # refused while a window was being built (main_window._busy)
    if busy:
        QApplication.setOverrideCursor(Qt.CursorShape.ArrowCursor)  # the box is answered with the arrow
    try:
        QMessageBox.warning(parent, title or error_title(error), error_text(error))
    finally:
        if busy:
            QApplication.restoreOverrideCursor()


def done_or_shown(parent: QWidget, line: QLabel, action: Callable[[], object]) -> bool:
    """Run a service ``action``; True when it went through. A refused entry (ValidationError) is said on
    ``line``, next to what was typed; any other refusal in a box (``show_error``)."""
    try:
        action()
    except ValidationError as exc:
        line.setText(next(iter(exc.errors.values()), str(exc)))
        return False
    except TpiError as exc:
        show_error(parent, exc)
        return False
    return True
