"""Fixtures and helpers for the Qt tests (imported by tests/test_ui_*.py; conftest.py belongs to others)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from principals import ALL_PERMISSIONS  # noqa: E402
from PySide6.QtCore import QEvent, Qt  # noqa: E402
from PySide6.QtGui import QKeyEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from tpi_notes.domain.history_answers import History
from tpi_notes.domain.patient import PatientInput, PatientRecord  # noqa: E402
from tpi_notes.services import patients as patient_service  # noqa: E402
from tpi_notes.services.context import AppContext, open_clinic  # noqa: E402
from tpi_notes.ui.app import create_main_window  # noqa: E402
from tpi_notes.ui.main_window import MainWindow  # noqa: E402
from tpi_notes.ui.patient_dialog import PatientDialog  # noqa: E402

MakeWindow = Callable[[], MainWindow]


@pytest.fixture
def ui_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where ui.ini goes: a temporary folder, never the real user's settings."""
    folder = tmp_path / "userdata"
    monkeypatch.setenv("TPI_NOTES_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def clinic_ctx(tmp_path: Path, ui_data_dir: Path) -> Iterator[AppContext]:
    """A freshly migrated, empty clinic in a temporary SQLite file."""
    ctx = open_clinic(str(tmp_path / "t.db"), principal=ALL_PERMISSIONS)
    yield ctx
    ctx.close()


@pytest.fixture
def message_boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Replace the blocking QMessageBox statics; each call is recorded as (kind, text).

    ``question`` answers Yes unless a test sets ``answers["question"]``.
    """
    calls: list[tuple[str, str]] = []

    def record(kind: str, answer: Any = QMessageBox.StandardButton.Ok) -> Callable[..., Any]:
        def fake(_parent: object, _title: str, text: str, *args: object, **kwargs: object) -> Any:
            calls.append((kind, text))
            return answer
        return fake

    for kind in ("warning", "information", "critical", "about"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(record(kind)))
    monkeypatch.setattr(QMessageBox, "question", staticmethod(record("question", QMessageBox.StandardButton.Yes)))
    return calls


@pytest.fixture
def make_window(qtbot: QtBot, clinic_ctx: AppContext, message_boxes: list) -> MakeWindow:
    """Open a main window on the test clinic (shown offscreen); each call opens a new one."""
    opened: list[MainWindow] = []  # qtbot holds only weak references

    def make() -> MainWindow:
        window = create_main_window(clinic_ctx)
        opened.append(window)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


BASE = PatientInput(
    mrn="MRN-1",
    family_name="Doe",
    given_name="Jane",
    birth_date=date(1980, 3, 14),
    sex="female",
    history=History.of(allergies="no", pregnant="no", breastfeeding="no"),  # asked, all denied
)


def add_patient(ctx: AppContext, **changes: Any) -> PatientRecord:
    """Register a patient through the service (not the UI)."""
    return patient_service.create_patient(ctx, replace(BASE, **changes))


def listed_names(window: MainWindow) -> list[str]:
    model = window.patient_list.model
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def open_new_dialog(qtbot: QtBot, window: MainWindow) -> PatientDialog:
    window.new_patient_action.trigger()
    qtbot.waitUntil(lambda: window.active_dialog is not None and window.active_dialog.isVisible())
    assert window.active_dialog is not None
    return window.active_dialog


def open_edit_dialog(qtbot: QtBot, window: MainWindow) -> PatientDialog:
    window.edit_patient_action.trigger()
    qtbot.waitUntil(lambda: window.active_dialog is not None and window.active_dialog.isVisible())
    assert window.active_dialog is not None
    return window.active_dialog


def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Key presses for ``text``. QTest.keyClicks aborts on characters outside Latin-1, so those arrive
    as key events that carry only their text, as a keyboard layout or input method delivers them."""
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char))


def type_into(qtbot: QtBot, dialog: PatientDialog, **values: str) -> None:
    """Type into ``field_<name>`` line edits as a person would (clearing them first)."""
    for name, text in values.items():
        field = dialog.form.inputs[name]
        field.clear()  # type: ignore[attr-defined]
        type_text(qtbot, field, text)


def click_save(qtbot: QtBot, dialog: PatientDialog) -> None:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


def search(qtbot: QtBot, window: MainWindow, text: str, expected: list[str]) -> None:
    """Type ``text`` in the search box and wait (for the debounce) until exactly ``expected`` is listed."""
    box = window.patient_list.search_edit
    box.clear()
    type_text(qtbot, box, text)
    panel = window.patient_list
    qtbot.waitUntil(lambda: not panel.search_pending and listed_names(window) == expected, timeout=2000)
