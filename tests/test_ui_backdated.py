"""A back-dated session in the editor (issue 12 item 4): typing a year before the earliest rules shows the
refusal at the date field instead of a silent failure; a year the rules cover saves and is coded by them."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QDateTimeEdit  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import Clinic, click_region, region  # noqa: E402

from tpi_notes.services import patients as patient_service  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def _type_year(qtbot, editor: SessionEditor, year: str) -> None:  # noqa: ANN001
    field = editor.pre.performed_start
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    field.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field)
    field.setSelectedSection(QDateTimeEdit.Section.YearSection)
    QTest.keyClicks(field, year)
    QTest.keyClick(field, Qt.Key.Key_Tab)
    assert field.dateTime().toPython().year == int(year)


def test_a_year_before_the_rules_is_refused_at_the_date_field(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = make_editor()
    editor.activateWindow()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "L"))
    _type_year(qtbot, editor, "1999")
    assert not editor.save()
    assert patient_service.list_patient_sessions(clinic.ctx, clinic.patient_id) == []
    message = editor.pre.errors.message("performed_start")
    assert "2000-01-01" in message and "1999" in message
    # the live findings say why instead of failing
    editor.findings.refresh_now()
    assert "2000-01-01" in editor.findings.none_label.text()


def test_a_session_in_2001_saves_and_is_coded_by_that_year(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = make_editor()
    editor.activateWindow()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "L"))
    _type_year(qtbot, editor, "2001")
    assert editor.save(), editor.pre.errors.message("performed_start")
    assert len(patient_service.list_patient_sessions(clinic.ctx, clinic.patient_id)) == 1
    assessment = editor.findings.refresh_now()
    assert assessment is not None
    assert [c.code for c in assessment.coding.cpt] == ["20550"]  # trigger points before CPT 2002
