"""The editor's exam table per muscle and side (a deep alternative gets its own row; Space ticks a criterion;
a signing check's item opens the muscle's row), and Administration's "Load ICD-10-CM release…" (issue 15 items
3 and 7), driven with the keyboard and mouse."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from test_exam_per_muscle import SCALENES, _deep_draft  # noqa: E402
from test_icd10_releases import NEW_ONLY, order_file  # noqa: E402
from test_report_support import add_patient, setup_clinic  # noqa: E402
from test_ui_editor_fixtures import discard_and_close  # noqa: E402

from tpi_notes.domain.session import ExamFinding  # noqa: E402
from tpi_notes.services import drafts, icd10_sets  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui import file_dialogs  # noqa: E402
from tpi_notes.ui.admin import AdminWindow  # noqa: E402
from tpi_notes.ui.admin.icd10_release import Icd10ReleaseDialog  # noqa: E402
from tpi_notes.ui.app import ensure_application  # noqa: E402
from tpi_notes.ui.editor import signing_dialog  # noqa: E402
from tpi_notes.ui.editor.reference import load_reference  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

SHOTS = Path(os.environ.get("TPI_SHOTS", "")) if os.environ.get("TPI_SHOTS") else None


def _shot(widget, name: str) -> None:  # noqa: ANN001
    if SHOTS is not None:
        widget.grab().save(str(SHOTS / f"{name}.png"))


def _toggle(qtbot: QtBot, table, row: int, column: int) -> None:  # noqa: ANN001
    """Click the cell, then Space: what a user does to tick a checkbox in a table."""
    rect = table.visualItemRect(table.item(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert (table.currentRow(), table.currentColumn()) == (row, column)
    qtbot.keyClick(table.viewport(), Qt.Key.Key_Space)


@pytest.fixture
def editor(qtbot: QtBot, ctx: AppContext):  # noqa: ANN201
    ensure_application()
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    draft = _deep_draft(ctx, patient.id, doctor)
    scm = replace(draft.sites[0], number=3, muscle_id="sternocleidomastoid", muscle="Sternocleidomastoid")
    saved = drafts.save_draft(ctx, replace(draft, sites=(*draft.sites, scm), exam_findings=()))
    loaded = drafts.get_draft(ctx, saved.id)
    window = SessionEditor(ctx, loaded, load_reference(ctx, loaded.patient_id), baseline=loaded)
    window.resize(1280, 900)
    window.show()
    qtbot.waitExposed(window)
    yield window
    discard_and_close(window)


def test_the_exam_table_has_a_row_per_muscle_and_side(qtbot: QtBot, editor: SessionEditor) -> None:
    table = editor.pre.exam_findings
    rows = [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())]
    assert rows == [("Scalenes (anterior/middle/posterior)", "L"), ("Quadratus lumborum", "R"),
                    ("Sternocleidomastoid", "L")]
    assert table.item(0, 0).toolTip() == SCALENES
    assert [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())] == [
        "Muscle", "Side", "Taut\nband", "Tender\nspot", "Referred\npain", "Twitch", "Jump\nsign"]
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    for row, column in ((0, 2), (0, 5), (2, 3), (2, 4), (2, 6)):
        _toggle(qtbot, table, row, column)
    got = {(f.muscle_id, f.side): f for f in editor.current_draft().exam_findings}
    assert got[("scalenes", "L")] == ExamFinding(editor.current_draft().sites[0].region_code, taut_band=True,
                                                 twitch=True, muscle_id="scalenes", side="L")
    assert (got[("sternocleidomastoid", "L")].hypersensitive_spot, got[("sternocleidomastoid", "L")].referred_pain,
            got[("sternocleidomastoid", "L")].jump_sign) == (True, True, True)
    assert ("quadratus_lumborum", "R") not in got
    table.scrollTo(table.model().index(0, 0))
    _shot(editor.pre.exam_findings.parentWidget(), "exam-table")
    # the signing check: the scalenes have one core criterion and a twitch; its item opens that row
    signing_dialog.go_to_field(editor, "exam_findings[scalenes.L]", "Scalenes: record at least two …")
    assert table.currentRow() == 0 and QApplication.focusWidget() is table
    label = editor.findChild(QLabel, "error_exam_findings")
    assert label is not None and "record at least two" in label.text()


def test_an_administrator_loads_a_release_from_administration(
        qtbot: QtBot, ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_application()
    release = tmp_path / "icd10cm_order_2027.txt"
    release.write_bytes(order_file())
    monkeypatch.setattr("tpi_notes.ui.admin.icd10_release.ask_open_path", lambda *_a: release)
    assert file_dialogs  # the dialog asks through file_dialogs.ask_open_path (replaced here)
    window = AdminWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.mouseClick(window.icd10_button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(Icd10ReleaseDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.findChild(QLabel, "icd10_sets").text().startswith("FY2026: 2025-10-01 to 2026-09-30")
    assert (dialog.version.text(), dialog.valid_from.text()) == ("FY2028", "2027-10-01")  # after the shipped FY2027
    qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)  # no file yet: said at the field
    label = dialog.findChild(QLabel, "error_file")
    assert label is not None and label.isVisible() and "Choose the CMS order file" in label.text()
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    assert dialog.file.text() == str(release)
    _shot(dialog, "admin-load-icd10")
    qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    sets = icd10_sets.code_sets(ctx)
    assert [(c.version, c.valid_from, c.valid_to) for c in sets][-1] == ("FY2028", date(2027, 10, 1), date(2028, 9, 30))


def test_the_diagnosis_search_uses_the_set_of_the_session_date(qtbot: QtBot, editor: SessionEditor,
                                                               ctx: AppContext) -> None:
    icd10_sets.load_release(ctx, order_file(), version="FY2027", valid_from=date(2026, 10, 1))
    editor.pre.diagnoses.code_sets = icd10_sets.code_sets(ctx)  # what the editor reads when it opens
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    picker = editor.pre.diagnoses
    picker.search_edit.setFocus()
    qtbot.keyClicks(picker.search_edit, NEW_ONLY)  # the session is dated 2026-11-02: FY2027
    qtbot.waitUntil(lambda: picker.results.count() > 0)
    assert picker.results.item(0).text().startswith(NEW_ONLY)
    picker.search_edit.clear()
    editor.pre.performed_start.setFocus()
    editor.pre.performed_start.setDate(date(2026, 9, 1))  # back into FY2026: the code does not exist there
    qtbot.keyClicks(picker.search_edit, NEW_ONLY)
    assert picker.results.count() == 0
    qtbot.keyClick(picker.search_edit, Qt.Key.Key_Return)
    assert f"{NEW_ONLY} is not a billable ICD-10-CM code in FY2026" in picker.error_label.text()
