"""The routine note without hunting (issue 16 items 3–5, 8): visible defaults, one-click exam and pain, every
sign blocker listed live as a link, the muscle named under the pointer, number boxes that take typing, sites
added by typing, accessible names, and no stray windows — driven as a user would, with QTest."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QEvent, QObject, QPoint, Qt  # noqa: E402
from PySide6.QtGui import QAccessible  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel, QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import Clinic, click_region, region  # noqa: E402

from tpi_notes.domain.permissions import Principal  # noqa: E402
from tpi_notes.domain.session import Component, Preparation  # noqa: E402
from tpi_notes.services import assessment, drafts, staff  # noqa: E402
from tpi_notes.ui.editor.reference import load_reference  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def activate(qtbot: QtBot, editor: SessionEditor) -> None:
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)


def key(widget: QWidget, k: Qt.Key) -> None:
    """A key where a user's key goes: the open completion list if there is one, else ``widget``."""
    QTest.keyClick(QApplication.activePopupWidget() or widget, k)


def click(qtbot: QtBot, widget: QWidget, pos: QPoint | None = None) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos or widget.rect().center())


# -- defaults -------------------------------------------------------------------------------------------------
def test_a_new_note_starts_with_the_signed_in_physician_and_the_usual_answers(make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    second = staff.add_staff(clinic.ctx, "Omar Said", "DO", ("physician",))  # two physicians: no single guess
    clinic.ctx.act_as(Principal.for_user(second.id, "osaid", "Omar Said", ("physician",)))
    editor = make_editor()
    assert editor.pre.physician.member_id() == second.id
    assert editor.pre.physician.currentText() == "Omar Said, DO"
    post = editor.post
    assert (post.complications.currentText(), post.tolerance.currentText(), post.blood_loss.currentText(),
            post.disposition.currentText()) == ("None", "Tolerated well", "Minimal", "Home, ambulatory, stable")
    draft = editor.current_draft()  # what is shown is what is saved, and the user may change it
    assert (draft.physician_id, draft.complications, draft.blood_loss) == (second.id, "None", "Minimal")


def test_the_position_follows_the_views_the_sites_are_on(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    position = editor.pre.position
    assert position.currentText() == ""
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    assert position.currentText() == "Prone"
    click_region(qtbot, editor, region("pectoralis_major", "anterior", "L"))
    assert position.currentText() == ""  # front and back: the physician chooses
    assert "choose" in position.lineEdit().placeholderText()
    editor.undo_stack.undo()
    assert position.currentText() == "Prone"
    position.lineEdit().selectAll()
    QTest.keyClicks(position.lineEdit(), "Seated")
    click_region(qtbot, editor, region("levator_scapulae", "posterior", "L"))
    assert position.currentText() == "Seated"  # the user's own choice stays
    assert editor.current_draft().position == "Seated"


def test_time_out_now_marks_it_done(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    pre = editor.pre
    assert not pre.timeout_done.isChecked()
    click(qtbot, pre.timeout_at.now_button)
    draft = editor.current_draft()
    assert pre.timeout_done.isChecked() and draft.timeout_done and draft.timeout_at is not None


# -- one-action entry ------------------------------------------------------------------------------------------
def test_one_click_records_the_exam_of_every_treated_muscle_then_rows_adjust(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    for muscle, side in (("upper_trapezius", "R"), ("upper_trapezius", "L"), ("rhomboid_major", "R")):
        click_region(qtbot, editor, region(muscle, "posterior", side))
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    bar = editor.pre.all_found
    click(qtbot, bar.buttons[False])
    found = editor.current_draft().exam_findings
    assert len(found) == 3
    assert all(f.taut_band and f.hypersensitive_spot and not f.referred_pain for f in found)
    click(qtbot, bar.buttons[True])
    assert all(f.referred_pain for f in editor.current_draft().exam_findings)
    table = editor.pre.exam_findings  # adjust one row: referred pain off for the rhomboid
    click(qtbot, table.viewport(), table.visualRect(table.model().index(2, 4)).center())
    qtbot.keyClick(table.viewport(), Qt.Key.Key_Space)
    rows = {f.muscle_id + f.side: f.referred_pain for f in editor.current_draft().exam_findings}
    assert rows == {"upper_trapeziusR": True, "upper_trapeziusL": True, "rhomboid_majorR": False}


def test_pain_is_one_click_and_the_keyboard_works_too(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    activate(qtbot, editor)
    pre, post = editor.pre, editor.post
    click(qtbot, pre.pain_before.buttons[7])
    editor.tabs.setCurrentWidget(editor.tab_pages["post"])
    click(qtbot, post.pain_after.buttons[2])
    draft = editor.current_draft()
    assert (draft.pain_before, draft.pain_after, draft.relief_pct) == (7, 2, 71)  # relief suggested
    assert post.pain_after.hasFocus()
    QTest.keyClicks(post.pain_after, "10")
    assert editor.current_draft().pain_after == 10
    QTest.keyClick(post.pain_after, Qt.Key.Key_Left)
    assert editor.current_draft().pain_after == 9
    QTest.keyClick(post.pain_after, Qt.Key.Key_Delete)
    assert editor.current_draft().pain_after is None
    click(qtbot, pre.pain_before.buttons[7])  # a second click on the chosen score clears it
    assert editor.current_draft().pain_before is None


# -- one screen ------------------------------------------------------------------------------------------------
def test_every_sign_blocker_is_listed_live_and_its_link_focuses_the_field(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    activate(qtbot, editor)
    panel = editor.findings
    panel.refresh_now()
    assert "pain_before" in panel.blockers and "relief_pct" in panel.blockers
    assert panel.blockers_title.text().startswith("To sign:")
    assert len(panel.blockers) >= 8  # the ten items that used to appear only at Sign
    link = panel.blockers["pain_before"]
    panel.scroll.ensureWidgetVisible(link)
    click(qtbot, link, QPoint(20, link.fontMetrics().height() // 2 + 1))
    assert editor.tabs.currentWidget() is editor.tab_pages["pre"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.pre.pain_before)
    QTest.keyClick(editor.pre.pain_before, Qt.Key.Key_6)
    qtbot.waitUntil(lambda: "pain_before" not in panel.blockers)  # live: gone without pressing Sign


def test_the_lot_item_names_the_drug_not_its_code(clinic: Clinic) -> None:
    draft = drafts.new_draft(clinic.ctx, clinic.patient_id)
    draft = replace(draft, preparations=(Preparation("A", (Component("lidocaine-1", 5.0, "", None),)),))
    messages = [m.message for m in assessment.assess(clinic.ctx, draft).missing if "lot" in m.message]
    assert messages and all("lidocaine-1" not in m for m in messages)
    assert any("Lidocaine 1 %" in m for m in messages)


def test_the_hover_label_names_muscle_and_side_in_the_editor(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    editor.resize(1600, 1000)
    qtbot.waitUntil(lambda: editor.width() == 1600)
    diagram = editor.diagram
    reg = region("upper_trapezius", "posterior", "R")
    point = diagram.view.mapFromScene(diagram.scene.scene_point(reg.view, *reg.anchor))
    QTest.mouseMove(diagram.view.viewport(), point)
    label = diagram.hover_label
    qtbot.waitUntil(lambda: "Upper trapezius" in label.text())
    assert label.text().startswith("Patient's R: Upper trapezius")
    assert label.isVisible()
    assert label.width() >= label.fontMetrics().horizontalAdvance("Patient's R: Upper trapezius")


def test_a_number_box_clicked_into_takes_what_is_typed(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    activate(qtbot, editor)
    editor.tabs.setCurrentWidget(editor.tab_pages["post"])
    minutes = editor.post.observation_minutes  # shows "Not recorded"
    line = minutes.lineEdit()
    click(qtbot, line, QPoint(line.width() // 2, line.height() // 2))
    QTest.keyClicks(line, "15")
    assert editor.current_draft().observation_minutes == 15


# -- keyboard and screen reader ------------------------------------------------------------------------------------
def test_sites_are_added_by_typing_the_muscle_with_completion(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    activate(qtbot, editor)
    entry = editor.diagram.entry
    QTest.keyClick(editor, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # "A&dd site:", the label's mnemonic
    qtbot.waitUntil(lambda: entry.muscle.hasFocus())
    QTest.keyClicks(entry.muscle, "levator")
    key(entry.muscle, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(editor.document) == 2)  # both sides, the default
    QTest.keyClick(entry.side, Qt.Key.Key_Home)  # the side box: Right
    QTest.keyClicks(entry.muscle, "rhomboid major")
    key(entry.muscle, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(editor.document) == 3)
    sites = editor.current_draft().sites
    assert [(s.muscle_id, s.side, s.view, s.technique) for s in sites] == [
        ("levator_scapulae", "R", "posterior", "injection"), ("levator_scapulae", "L", "posterior", "injection"),
        ("rhomboid_major", "R", "posterior", "injection")]
    assert all(s.preparation_label == "A" and s.volume_ml == 1.0 for s in sites)  # as a click would add them
    QTest.keyClicks(entry.muscle, "zzz")
    key(entry.muscle, Qt.Key.Key_Return)
    assert entry.message.text().startswith("No muscle called “zzz”") and len(editor.document) == 3


def accessible(widget: QWidget) -> QAccessible:  # noqa: ANN201 - a QAccessibleInterface
    iface = QAccessible.queryAccessibleInterface(widget)
    assert iface is not None and iface.isValid()
    return iface


def test_the_diagram_sites_and_scores_have_names_and_a_text_alternative(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    click(qtbot, editor.pre.pain_before.buttons[7])
    view = accessible(editor.diagram.view)
    assert view.text(QAccessible.Text.Name) == "Body diagram"
    assert view.text(QAccessible.Text.Description) == (
        "1 site: 1, patient's right upper trapezius, back view, injection.")
    table = accessible(editor.diagram.table)
    assert table.text(QAccessible.Text.Name) == "Sites"
    cells = [table.child(i).text(QAccessible.Text.Name) for i in range(table.childCount())
             if table.child(i).role() == QAccessible.Role.Cell]
    assert cells == ["Site 1", "Upper trapezius, over the lung", "patient's right", "posterior view", "Injection",
                     "Syringe A, 1 mL"]
    pain = accessible(editor.pre.pain_before)
    assert pain.text(QAccessible.Text.Name) == "Pain before"
    assert pain.text(QAccessible.Text.Description).startswith("7 / 10")
    assert accessible(editor.pre.pain_before.buttons[3]).text(QAccessible.Text.Name) == "Pain before 3 of 10"
    assert accessible(editor.pre.exam_findings).text(QAccessible.Text.Name) == "Exam findings per treated muscle"


class ShownWindows(QObject):
    """Every top-level widget shown while watching (an empty window flashing is one)."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[QWidget] = []

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Show and isinstance(obj, QWidget) and obj.isWindow():
            self.shown.append(obj)
        return False


def test_opening_the_editor_flashes_no_empty_window(clinic: Clinic) -> None:
    watcher = ShownWindows()
    app = QApplication.instance()
    app.installEventFilter(watcher)
    try:
        draft = drafts.new_draft(clinic.ctx, clinic.patient_id)
        editor = SessionEditor(clinic.ctx, draft, load_reference(clinic.ctx, clinic.patient_id), baseline=draft)
        editor.show()
    finally:
        app.removeEventFilter(watcher)
    try:
        assert [w for w in watcher.shown if w is not editor] == []
    finally:
        editor.close()
        editor.deleteLater()


def test_the_routine_note_fits_1600_by_1000_without_scrolling(qtbot: QtBot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    """Six sites, two diagnoses, the exam, consent, time-out and set-up: each tab shows whole, no scroll bar."""
    from tpi_notes.domain import icd10

    editor = make_editor()
    for muscle in ("upper_trapezius", "levator_scapulae", "rhomboid_major"):
        for side in ("R", "L"):
            click_region(qtbot, editor, region(muscle, "posterior", side))
    for code in ("M79.12", "M54.2"):
        diagnosis = icd10.lookup(code)
        assert diagnosis is not None
        editor.pre.diagnoses.add(diagnosis)
    editor.resize(1600, 1000)
    qtbot.waitUntil(lambda: editor.size().width() == 1600 and editor.size().height() == 1000)
    for name in ("pre", "outcomes", "syringes", "post"):
        editor.tabs.setCurrentWidget(editor.tab_pages[name])
        page = editor.tab_pages[name]
        QApplication.processEvents()
        assert page.verticalScrollBar().maximum() == 0, name
        assert page.horizontalScrollBar().maximum() == 0, name
    assert editor.findings.isVisible() and editor.findings.height() >= 150  # the blockers stay in view


def test_a_new_session_starts_in_the_room_this_computer_last_saved_in(qtbot: QtBot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    from tpi_notes.ui.editor.opening import new_session

    editor = make_editor()
    qtbot.keyClicks(editor.pre.location, "Procedure room 1")
    assert editor.save()
    second = new_session(clinic.ctx, clinic.patient_id, None)
    assert second is not None
    try:
        assert second.pre.location.text() == "Procedure room 1"  # shown, editable, and its open vials offered
        assert not second.is_dirty()  # a default, not an edit: closing asks nothing
    finally:
        second.close()
        second.deleteLater()


def test_the_charts_have_a_name_and_say_what_they_draw(qtbot: QtBot) -> None:
    from datetime import datetime
    from types import SimpleNamespace

    from tpi_notes.domain.history import AgentCount, ChartData, MonthCount
    from tpi_notes.ui.history.chart import HistoryChart
    from tpi_notes.ui.pain_chart import PainChart

    chart = PainChart()
    qtbot.addWidget(chart)
    chart.set_sessions([SimpleNamespace(performed_start=datetime(2026, 9, 4, 10), pain_before=7, pain_after=2),
                        SimpleNamespace(performed_start=datetime(2026, 10, 2, 10), pain_before=5, pain_after=1)])
    chart.set_peg([(datetime(2026, 10, 2, 10), 4.5)])
    iface = accessible(chart)
    assert iface.text(QAccessible.Text.Name) == "Pain trend"
    assert iface.text(QAccessible.Text.Description) == (
        "Pain on a 0 to 10 scale. 2026-09-04: pain before 7, pain after 2; "
        "2026-10-02: pain before 5, pain after 1, PEG-3 4.5")
    history = HistoryChart()
    qtbot.addWidget(history)
    history.set_data(ChartData((MonthCount(2026, 9, 3), MonthCount(2026, 10, 1)),
                               (AgentCount("lidocaine-1", "Lidocaine 1 %", "amide", 4),), 4))
    iface = accessible(history)
    assert iface.text(QAccessible.Text.Name) == "Sessions per month and per agent"
    assert "4 sessions" in iface.text(QAccessible.Text.Description)
    assert "Lidocaine 1 %: 4" in iface.text(QAccessible.Text.Description)


def test_the_pop_up_calendar_shows_every_week_whole(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QTableView

    editor = make_editor()
    activate(qtbot, editor)
    edit = editor.pre.performed_start
    click(qtbot, edit, QPoint(edit.width() - 8, edit.height() // 2))  # the drop-down arrow
    calendar = edit.calendarWidget()
    qtbot.waitUntil(calendar.isVisible)
    days = calendar.findChild(QTableView)
    assert days is not None
    last = days.model().rowCount() - 1  # the header row and six weeks
    assert days.rowViewportPosition(last) + days.rowHeight(last) <= days.viewport().height()
    assert days.columnViewportPosition(7 - 1) + days.columnWidth(6) <= days.viewport().width()
    QTest.keyClick(QApplication.activePopupWidget() or calendar, Qt.Key.Key_Escape)


def test_sites_and_their_fields_are_reached_without_the_mouse(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    activate(qtbot, editor)
    for muscle, side in (("upper_trapezius", "R"), ("upper_trapezius", "L"), ("rhomboid_major", "R")):
        click_region(qtbot, editor, region(muscle, "posterior", side))
    editor.pre.location.setFocus()  # somewhere in the forms
    details = editor.site_details
    QTest.keyClick(editor.pre.location, Qt.Key.Key_PageDown, Qt.KeyboardModifier.AltModifier)
    assert editor.tabs.currentWidget() is editor.tab_pages["site"] and details.technique.hasFocus()
    assert details.site().number == 1  # from the first site on
    QTest.keyClick(details.technique, Qt.Key.Key_PageDown, Qt.KeyboardModifier.AltModifier)
    assert details.site().number == 2 and details.technique.hasFocus()
    QTest.keyClick(details.technique, Qt.Key.Key_PageUp, Qt.KeyboardModifier.AltModifier)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_PageUp, Qt.KeyboardModifier.AltModifier)
    assert details.site().number == 3  # round to the last
    table = editor.diagram.table
    table.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClick(table, Qt.Key.Key_Up)
    QTest.keyClick(table, Qt.Key.Key_Return)
    assert details.site().number == 2 and details.technique.hasFocus()


def test_a_required_respiratory_check_is_one_click(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    activate(qtbot, editor)
    post = editor.post
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))  # over the lung
    editor.tabs.setCurrentWidget(editor.tab_pages["post"])
    assert post.respiratory_answers.isVisible()
    click(qtbot, post.respiratory_buttons[0])
    assert editor.current_draft().respiratory_check == "Breath sounds equal, no shortness of breath"
    assert not post.respiratory_answers.isVisible() and not post.respiratory_hint.isVisible()


def test_a_new_session_opens_with_the_keyboard_in_the_add_site_box(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    activate(qtbot, editor)
    qtbot.waitUntil(editor.diagram.entry.muscle.hasFocus)
    QTest.keyClicks(QApplication.focusWidget(), "infraspin")
    key(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert [(s.muscle_id, s.side) for s in editor.current_draft().sites] == [("infraspinatus", "R"),
                                                                           ("infraspinatus", "L")]


def test_a_completion_chosen_with_enter_adds_once_and_leaves_the_box_empty(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    """In a real window the completion list hands its choice back to the box after Enter added it (QLineEdit sets
    the text on the completer's ``activated``); a second Enter then added the same sites again."""
    editor = make_editor()
    activate(qtbot, editor)
    box = editor.diagram.entry.muscle
    qtbot.waitUntil(box.hasFocus)
    QTest.keyClicks(box, "levator")
    popup = box.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    QTest.keyClick(popup, Qt.Key.Key_Down)
    chosen = popup.currentIndex().data()
    QTest.keyClick(popup, Qt.Key.Key_Return)
    box.completer().activated.emit(chosen)  # the real window's order: the list's choice arrives after the add
    qtbot.waitUntil(lambda: box.text() == "")
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert [(s.muscle_id, s.side) for s in editor.current_draft().sites] == [("levator_scapulae", "R"),
                                                                           ("levator_scapulae", "L")]
    assert [editor.diagram.entry.side.itemText(i) for i in range(3)] == ["Patient's R", "Patient's L", "Both sides"]


def test_the_respiratory_check_asked_from_the_findings_panel_is_said_once_under_the_field(
        qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    activate(qtbot, editor)
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))  # over the lung
    panel = editor.findings
    panel.refresh_now()
    link = next(widget for key, widget in panel.blockers.items() if key == "respiratory_check")
    panel.scroll.ensureWidgetVisible(link)
    click(qtbot, link, QPoint(20, link.fontMetrics().height() // 2 + 1))
    assert editor.tabs.currentWidget() is editor.tab_pages["post"]
    post = editor.post
    qtbot.waitUntil(post.respiratory_hint.isVisible)
    said = [label.text() for label in post.findChildren(QLabel)
            if label.isVisible() and ("lung" in label.text() or "respiratory" in label.text().lower())
            and label is not post.respiratory_label]
    assert said == [post.respiratory_hint.text()], said  # the field's sites named once, not a second line
    assert post.respiratory_check.property("invalid")  # still marked red
