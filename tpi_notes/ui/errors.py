"""One way to show an error the services raise: a plain message box, never a traceback."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

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
    """Show ``error`` in a warning box over ``parent`` (widgets use this, not QMessageBox directly)."""
    QMessageBox.warning(parent, title or error_title(error), error_text(error))
