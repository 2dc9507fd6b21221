"""Window layout remembered between runs, in ``ui.ini`` in the user data folder.

``TPI_NOTES_DATA_DIR`` redirects the folder (tests, portable installs), as for the database.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from tpi_notes.paths import user_data_dir

SETTINGS_FILE = "ui.ini"


def settings_path() -> Path:
    return user_data_dir() / SETTINGS_FILE


def ui_settings() -> QSettings:
    """The INI-format settings file (created on first write, folder included)."""
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return QSettings(str(path), QSettings.Format.IniFormat)


ROOM_KEY = "editor/room"


def remembered_room() -> str:
    """The room this computer's last saved session was in: a new session starts there (issue 16 item 3)."""
    return str(ui_settings().value(ROOM_KEY, "") or "")


def remember_room(room: str) -> None:
    if room.strip():
        settings = ui_settings()
        settings.setValue(ROOM_KEY, room.strip())
        settings.sync()


def save_layout(window: QMainWindow, splitters: dict[str, QSplitter]) -> None:
    """Store the window geometry and each named splitter's state, and write the file now."""
    settings = ui_settings()
    settings.setValue("main_window/geometry", window.saveGeometry())
    for name, splitter in splitters.items():
        settings.setValue(f"main_window/{name}", splitter.saveState())
    settings.sync()


def restore_layout(window: QMainWindow, splitters: dict[str, QSplitter]) -> bool:
    """Apply what :func:`save_layout` stored; False when nothing was stored (first run)."""
    settings = ui_settings()
    geometry = settings.value("main_window/geometry")
    restored = isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)
    restore_splitters(splitters)
    return bool(restored)


def restore_splitters(splitters: dict[str, QSplitter]) -> None:
    """Each named splitter's stored state; also for a splitter made after the window was placed (the main
    window's patient page is made once the clinic is open)."""
    settings = ui_settings()
    for name, splitter in splitters.items():
        state = settings.value(f"main_window/{name}")
        if isinstance(state, QByteArray):
            splitter.restoreState(state)
