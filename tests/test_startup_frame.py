"""The start-up frame becoming the clinic's window (issue 19): what typing does while the database opens, and the
patient page that waits until the filled list is painted."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

pytest.register_assert_rewrite("ui_fixtures")
from ui_fixtures import add_patient, listed_names, type_text  # noqa: E402

from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui.main_window import MainWindow  # noqa: E402

pytest_plugins = ["ui_fixtures"]  # clinic_ctx, message_boxes


def _frame(qtbot: QtBot) -> MainWindow:
    """The window as `tpi-notes` paints it first, before the clinic is open."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_keys_typed_while_the_clinic_opens_land_nowhere_then_the_box_takes_the_search(
        qtbot: QtBot, clinic_ctx: AppContext, message_boxes: list) -> None:
    """Keys typed ahead of the login are most likely the user name or the password: none of them may wait in
    the patient search to be shown (and searched) once the list fills. The box says why it is not taking them,
    and once the clinic is open it has the focus and searches what is typed."""
    add_patient(clinic_ctx)
    add_patient(clinic_ctx, mrn="MRN-2", family_name="Smith", given_name="Ann")
    window = _frame(qtbot)
    box = window.patient_list.search_edit
    assert not box.isEnabled()
    assert box.placeholderText() == "Opening the clinic database…"
    type_text(qtbot, window, "jsmith")  # typed at the window, where the focus is
    type_text(qtbot, box, "secret")  # and straight at the box
    assert box.text() == ""

    window.open_clinic(clinic_ctx)
    assert box.isEnabled() and window.focusWidget() is box
    assert box.placeholderText() == "Search name, MRN or date of birth"
    assert box.text() == "" and listed_names(window) == ["Doe, Jane", "Smith, Ann"]
    type_text(qtbot, window.focusWidget(), "smi")
    qtbot.waitUntil(lambda: listed_names(window) == ["Smith, Ann"], timeout=2000)


def test_the_patient_page_is_made_once_the_filled_list_is_painted(
        qtbot: QtBot, clinic_ctx: AppContext, message_boxes: list) -> None:
    """Filling the list does not wait for the patient page (its body diagram and the atlas behind it); the page
    follows the list's paint, and clicking a patient shows it."""
    add_patient(clinic_ctx)
    window = _frame(qtbot)
    window.open_clinic(clinic_ctx)
    assert listed_names(window) == ["Doe, Jane"]
    assert window.patient_view is None
    qtbot.waitUntil(lambda: window.patient_view is not None, timeout=3000)
    assert not window.patient_view.new_session_button.isHidden()  # the user's roles applied to the late page

    view = window.patient_list.view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(view.model().index(0, 0)).center())
    qtbot.waitUntil(lambda: window.right_stack.currentWidget() is window.patient_view, timeout=2000)
    assert window.current_patient is not None and window.current_patient.family_name == "Doe"


def test_a_patient_chosen_before_the_page_is_made_is_shown_at_once(
        qtbot: QtBot, clinic_ctx: AppContext, message_boxes: list) -> None:
    """Down from the search box straight after the list fills, before the paint: the page is made then."""
    add_patient(clinic_ctx)
    window = _frame(qtbot)
    window.open_clinic(clinic_ctx)
    assert window.patient_view is None
    qtbot.keyClick(window.patient_list.search_edit, Qt.Key.Key_Down)
    assert window.patient_view is not None
    assert window.right_stack.currentWidget() is window.patient_view
    assert window.current_patient is not None and window.current_patient.family_name == "Doe"
    assert not window.patient_view.new_session_button.isHidden()
