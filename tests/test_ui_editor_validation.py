"""Refused input in the session editor: the message at its field, the focus on it, nothing written."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402
from datetime import timedelta  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import (  # noqa: E402
    Clinic,
    click_region,
    region,
)

from tpi_notes.services import patients as patient_service  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def sessions(clinic: Clinic) -> int:
    return len(patient_service.list_patient_sessions(clinic.ctx, clinic.patient_id))


def activate(qtbot, editor: SessionEditor) -> None:  # noqa: ANN001
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)


def test_an_absurd_site_volume_is_refused_at_the_site(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = make_editor()
    activate(qtbot, editor)
    for muscle in ("upper_trapezius", "rhomboid_major"):
        click_region(qtbot, editor, region(muscle, "posterior", "L"))
    volume = editor.site_details.inputs.volume_ml
    editor.select_site(1)
    volume.setValue(-3)  # the widget cannot go below zero …
    assert volume.value() == 0
    volume.setValue(25)  # … it stops at 30 mL; the service allows at most 20 at one point
    editor.select_site(2)  # the user has moved on to another site
    assert not editor.save()
    assert sessions(clinic) == 0
    assert editor.site_details.key == editor.document.key_at(0)  # the bad site is selected again
    assert "at most 20 mL" in editor.site_details.errors.message("volume_ml")
    assert volume.property("invalid") is True
    assert editor.tabs.currentWidget() is editor.tab_pages["site"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is volume)
    assert "1 entry needs attention" in editor.banners.validation_label.text()
    editor.select_site(2)  # the other site has no message
    assert editor.site_details.errors.message("volume_ml") == ""
    editor.select_site(1)
    volume.setValue(2)
    assert editor.save() and sessions(clinic) == 1
    assert editor.banners.isHidden() and editor.site_details.errors.message("volume_ml") == ""


def test_syringe_errors_land_in_the_syringe_table(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = make_editor()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    row = editor.syringes.box("A").rows[0]
    row.set_lot("LID-OLD")  # expired: shown in red …
    assert "EXPIRED" in row.lot.currentText() and "b42318" in row.lot.styleSheet()
    row.volume.setValue(0)
    assert not editor.save()  # … and refused
    assert sessions(clinic) == 0
    assert row.volume.property("invalid") is True and row.lot.property("invalid") is True
    assert "expired on" in row.error.text() and "more than 0" in row.error.text()
    assert editor.tabs.currentWidget() is editor.tab_pages["syringes"]


def test_pain_outside_the_scale_is_refused_at_the_field(qtbot, make_editor, clinic: Clinic, answers,  # noqa: ANN001
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    editor = make_editor()
    activate(qtbot, editor)
    editor.pre.pain_before.setValue(14)
    assert editor.pre.pain_before.value() == 10  # the spin box stops at 10
    built = editor.current_draft
    monkeypatch.setattr(editor, "current_draft", lambda: replace(built(), pain_before=14))
    assert not editor.save()
    assert sessions(clinic) == 0
    assert "between 0 and 10" in editor.pre.errors.message("pain_before")
    assert editor.pre.pain_before.property("invalid") is True
    assert editor.tabs.currentWidget() is editor.tab_pages["pre"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.pre.pain_before)


def test_an_end_before_the_start_is_refused_and_focused(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = make_editor()
    activate(qtbot, editor)
    editor.tabs.setCurrentWidget(editor.tab_pages["post"])
    start = editor.pre.performed_start.dateTime().toPython()
    editor.pre.performed_end.set_value(start - timedelta(minutes=10))
    editor.pre.pain_before.setValue(6)
    assert not editor.save()
    assert sessions(clinic) == 0
    assert editor.pre.errors.message("performed_end") == "The procedure cannot end before it starts."
    assert editor.tabs.currentWidget() is editor.tab_pages["pre"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.pre.performed_end.edit)
    editor.pre.performed_end.set_value(start + timedelta(minutes=20))
    assert editor.save() and sessions(clinic) == 1
    assert editor.pre.errors.message("performed_end") == ""


def test_an_unknown_icd10_code_is_refused_where_it_was_typed(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = make_editor()
    activate(qtbot, editor)
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    picker = editor.pre.diagnoses
    picker.search_edit.setFocus()
    qtbot.keyClicks(picker.search_edit, "Q99.9X7")
    qtbot.keyClick(picker.search_edit, Qt.Key.Key_Return)
    assert picker.diagnoses() == ()
    assert "not a billable ICD-10-CM code" in picker.error_label.text() and picker.error_label.isVisible()
    assert picker.search_edit.property("invalid") is True
    assert not editor.isWindowModified() and sessions(clinic) == 0
    picker.search_edit.clear()
    qtbot.keyClicks(picker.search_edit, "m54.5")  # a header: the list offers its billable codes
    qtbot.waitUntil(lambda: picker.results.count() > 0)
    offered = [picker.results.item(i).text().split()[0] for i in range(picker.results.count())]
    assert "M54.5" not in offered and {"M54.50", "M54.51", "M54.59"} <= set(offered)
    qtbot.keyClick(picker.search_edit, Qt.Key.Key_Down)  # the arrows move the highlight, Enter adds it
    qtbot.keyClick(picker.search_edit, Qt.Key.Key_Return)
    assert [d.code for d in picker.diagnoses()] == [offered[1]] and picker.error_label.isHidden()
    picker.rows()[0].remove_button.click()
    assert picker.diagnoses() == ()
