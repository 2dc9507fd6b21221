"""The session editor driven through its widgets: a whole session charted, saved and read back exactly."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import datetime, timedelta  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QKeySequence  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import (  # noqa: E402
    TODAY,
    Clinic,
    click_region,
    region,
    set_datetime,
)

from tpi_notes.domain.session import Component, Diagnosis, EStim, ExamFinding, Preparation  # noqa: E402
from tpi_notes.services import drafts  # noqa: E402
from tpi_notes.services import patients as patient_service  # noqa: E402
from tpi_notes.ui.app import create_main_window  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]

MUSCLES = (("upper_trapezius", "L"), ("upper_trapezius", "R"), ("levator_scapulae", "L"))


def _type(qtbot, widget, text: str) -> None:  # noqa: ANN001
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def test_a_whole_session_charted_through_the_widgets_reads_back_exactly(qtbot, clinic: Clinic, answers) -> None:  # noqa: ANN001, C901
    ctx = clinic.ctx
    window = create_main_window(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert not window.new_session_action.isEnabled()
    assert window.patient_list.select_patient(clinic.patient_id)
    assert window.new_session_action.isEnabled()
    assert window.new_session_action.shortcut() == QKeySequence("Ctrl+Shift+N")
    window.new_session_action.trigger()
    qtbot.waitUntil(lambda: bool(window.editors))
    editor: SessionEditor = window.editors[-1]
    qtbot.addWidget(editor)
    editor.resize(1500, 950)
    qtbot.waitExposed(editor)
    editor.diagram.view.fit()
    assert editor.pre.physician.member_id() == clinic.physician_id  # the only physician is chosen
    assert not editor.isWindowModified()

    # -- sites: three injections by clicking the diagram, then one dry-needling site --------------------
    for muscle, side in MUSCLES:
        click_region(qtbot, editor, region(muscle, "posterior", side))
    editor.diagram.technique_group.buttons()[1].click()  # "Dry needling"
    click_region(qtbot, editor, region("infraspinatus", "posterior", "R"))
    sites = editor.document.sites()
    assert [(s.muscle_id, s.side, s.technique) for s in sites] == [
        (m, side, "injection") for m, side in MUSCLES] + [("infraspinatus", "R", "dry_needling")]
    assert [(s.preparation_label, s.volume_ml) for s in sites[:3]] == [("A", 1.0)] * 3  # defaults
    assert (sites[3].needles_in, sites[3].needles_out, sites[3].dwell_minutes) == (1, 1, 10.0)
    assert editor.isWindowModified()

    # -- syringe A: came with the first injection site as lidocaine 1 % 5 mL, no lot picked for the user -----
    box = editor.syringes.box("A")
    assert box is not None
    first = box.rows[0]
    assert first.component() == Component("lidocaine-1", 5.0, "")
    first.set_lot("LID-B2")
    assert first.component() == Component("lidocaine-1", 5.0, "LID-B2", TODAY + timedelta(days=400))
    assert "EXPIRED" in first.lot.itemText(first.lot.findData("LID-OLD"))
    first.volume.setValue(4.0)
    first.volume.setFocus()
    qtbot.keyClick(first.volume, Qt.Key.Key_Return)  # Enter in the component table adds a row
    assert len(box.rows) == 2
    second = box.rows[1]
    second.set_item("triamcinolone-40")
    assert second.lot.currentData() == ""  # no lot is picked that nobody confirmed
    second.set_lot("TRI-77")
    second.volume.setValue(1.0)
    assert box.mix_label.text() == "5 mL: lidocaine 8 mg/mL + triamcinolone acetonide 8 mg/mL"

    # -- site details, bound to the selected site; every edit is an undo step -------------------------------
    details = editor.site_details
    editor.select_site(1)
    assert details.key == editor.document.key_at(0)
    details.inputs.volume_ml.setValue(1.5)
    details.needle.setEditText("25 G × 1.5 in")
    details.inputs.aspiration.setChecked(True)
    details.inputs.passes.setValue(3)
    editor.select_site(3)
    details.note.setFocus()
    qtbot.keyClicks(details.note, "fanned")
    editor.select_site(4)
    details.inputs.needles_in.setValue(2)
    details.inputs.needles_out.setValue(2)
    details.inputs.dwell_minutes.setValue(12)
    details.twitch.setCurrentIndex(details.twitch.findData(True))
    details.estim.setChecked(True)
    for name, value in (("frequency_hz", 2.0), ("pulse_width_us", 250.0), ("intensity_ma", 8.0), ("minutes", 15.0)):
        details.estim.spins[name].setValue(value)
    details.estim.attended.setChecked(True)
    steps = editor.undo_stack.count()
    editor.undo_stack.undo()  # Ctrl+Z takes back the last site edit …
    assert editor.document.sites()[3].estim.attended is False
    editor.undo_stack.redo()
    assert editor.undo_stack.count() == steps
    editor.select_site(1)
    assert details.doses.text() == "Given here: lidocaine 12 mg + triamcinolone acetonide 12 mg"

    # -- pre-procedure -----------------------------------------------------------------------------------
    pre = editor.pre
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    start = datetime.combine(TODAY, datetime.min.time()).replace(hour=9, minute=40)
    set_datetime(pre.performed_start, start)
    pre.performed_end.set_value(start + timedelta(minutes=25))
    _type(qtbot, pre.location, "Exam room 2")
    pre.assistant.setCurrentIndex(pre.assistant.findData(clinic.nurse_id))
    _type(qtbot, pre.indication, "Neck and shoulder myofascial pain for 4 months, limits desk work")
    _type(qtbot, pre.diagnoses.search_edit, "M79.12")
    qtbot.waitUntil(lambda: pre.diagnoses.results.isVisible())
    qtbot.keyClick(pre.diagnoses.search_edit, Qt.Key.Key_Return)
    _type(qtbot, pre.diagnoses.search_edit, "cervicalgia")
    qtbot.waitUntil(lambda: pre.diagnoses.results.count() > 0)
    qtbot.keyClick(pre.diagnoses.search_edit, Qt.Key.Key_Return)
    assert [d.code for d in pre.diagnoses.diagnoses()] == ["M79.12", "M54.2"]
    _type(qtbot, pre.conservative_care, "Physical therapy 8 weeks; NSAIDs")
    assert pre.exam_findings.rowCount() == 4  # L and R trapezius, L levator, R infraspinatus
    pre.exam_findings.set_checked(0, "taut_band", True)
    pre.exam_findings.set_checked(0, "referred_pain", True)
    pre.exam_findings.set_checked(2, "hypersensitive_spot", True)
    pre.consent_type.setCurrentIndex(pre.consent_type.findData("written"))
    _type(qtbot, pre.consent_form_id, "CF-2231")
    pre.risk_boxes["pneumothorax"].setChecked(True)
    pre.risk_boxes["temporary rise in blood glucose"].setChecked(True)
    pre.timeout_done.setChecked(True)
    assert pre.timeout_at.value() is not None  # ticking it stamps the time; the user corrects it
    pre.timeout_at.set_value(start + timedelta(minutes=2))
    pre.position.setEditText("Prone")
    pre.guidance.setCurrentIndex(pre.guidance.findData("landmark"))
    pre.pain_before.setValue(7)

    # -- post-procedure ----------------------------------------------------------------------------------
    post = editor.post
    editor.tabs.setCurrentWidget(editor.tab_pages["post"])
    assert "required" in post.respiratory_label.text()  # trapezius lies over the lung
    post.complications.setEditText("None")
    post.tolerance.setEditText("Tolerated well")
    post.blood_loss.setEditText("Minimal")
    post.pain_after.setValue(2)
    assert post.relief_pct.value() == 71  # suggested from 7 → 2
    post.relief_pct.setValue(70)  # … and the patient's own estimate wins
    post.observation_minutes.setValue(15)
    post.respiratory_check.setEditText("Breath sounds equal, no shortness of breath")
    post.disposition.setEditText("Home, ambulatory, stable")
    post.follow_up.setEditText("Reassess in 4 weeks")
    _type(qtbot, post.comments, "Ice tonight")

    # -- the dose panel follows -----------------------------------------------------------------------------
    lido = editor.dose.summary.row("lidocaine-1")
    assert lido is not None and lido.total_mg == pytest.approx(8 * 3.5) and lido.max_mg == pytest.approx(300)

    # -- Save with Ctrl+S ------------------------------------------------------------------------------------
    before = len(patient_service.list_patient_sessions(ctx, clinic.patient_id))
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    editor.diagram.table.setFocus()
    qtbot.keyClick(editor.diagram.table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: editor.draft_id is not None)
    assert not editor.isWindowModified()
    assert editor.windowTitle().startswith(f"Session {TODAY:%Y-%m-%d} — Okafor, Ada")
    assert len(patient_service.list_patient_sessions(ctx, clinic.patient_id)) == before + 1
    assert window.patient_view.session_model.rowCount() == before + 1  # the main window shows it

    got = drafts.get_draft(ctx, editor.draft_id)
    assert got == editor.current_draft()
    assert (got.performed_start, got.performed_end, got.location) == (start, start + timedelta(minutes=25),
                                                                      "Exam room 2")
    assert (got.physician_id, got.assistant_id) == (clinic.physician_id, clinic.nurse_id)
    assert got.indication == "Neck and shoulder myofascial pain for 4 months, limits desk work"
    assert got.diagnoses == (Diagnosis("M79.12", "Myalgia of auxiliary muscles, head and neck"),
                             Diagnosis("M54.2", "Cervicalgia"))
    assert got.conservative_care == "Physical therapy 8 weeks; NSAIDs"
    trap_l, trap_r, levator, infra = (s.region_code for s in got.sites)
    assert got.exam_findings == (  # per muscle and side (issue 15)
        ExamFinding(trap_l, taut_band=True, referred_pain=True, muscle_id="upper_trapezius", side="L"),
        ExamFinding(levator, hypersensitive_spot=True, muscle_id="levator_scapulae", side="L"))
    assert (got.consent_type, got.consent_form_id) == ("written", "CF-2231")
    assert "pneumothorax" in got.consent_risks and "temporary rise in blood glucose" in got.consent_risks
    assert (got.timeout_done, got.timeout_at) == (True, start + timedelta(minutes=2))
    assert (got.position, got.antisepsis, got.guidance, got.pain_before) == ("Prone", "Chlorhexidine-alcohol",
                                                                              "landmark", 7)
    assert (got.complications, got.tolerance, got.blood_loss) == ("None", "Tolerated well", "Minimal")
    assert (got.pain_after, got.relief_pct, got.observation_minutes) == (2, 70, 15)
    assert got.respiratory_check == "Breath sounds equal, no shortness of breath"
    assert (got.disposition, got.follow_up, got.comments) == ("Home, ambulatory, stable", "Reassess in 4 weeks",
                                                              "Ice tonight")
    assert got.preparations == (Preparation("A", (
        Component("lidocaine-1", 4.0, "LID-B2", TODAY + timedelta(days=400)),
        Component("triamcinolone-40", 1.0, "TRI-77", TODAY + timedelta(days=300)))),)
    s1, s2, s3, s4 = got.sites
    assert [(s.number, s.muscle_id, s.side, s.view) for s in got.sites] == [
        (1, "upper_trapezius", "L", "posterior"), (2, "upper_trapezius", "R", "posterior"),
        (3, "levator_scapulae", "L", "posterior"), (4, "infraspinatus", "R", "posterior")]
    assert (s1.preparation_label, s1.volume_ml, s1.needle, s1.aspiration, s1.passes) == (
        "A", 1.5, "25 G × 1.5 in", True, 3)
    assert (s2.preparation_label, s2.volume_ml) == ("A", 1.0)
    assert (s3.volume_ml, s3.note) == (1.0, "fanned")
    assert (s4.technique, s4.needles_in, s4.needles_out, s4.dwell_minutes, s4.twitch) == (
        "dry_needling", 2, 2, 12.0, True)
    assert s4.estim == EStim(2.0, 250.0, 8.0, 15.0, True)
    assert s4.preparation_label is None and s4.volume_ml is None


def test_unsaved_marker_follows_edits_and_close_asks(qtbot, make_editor, answers) -> None:  # noqa: ANN001
    editor = make_editor()
    assert not editor.isWindowModified() and "[*]" in editor.windowTitle()
    editor.pre.location.setText("Room 4")
    assert editor.isWindowModified()
    editor.pre.location.setText("")  # back to what was saved: nothing to save
    assert not editor.isWindowModified()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "L"))
    assert editor.isWindowModified()
    answers["question"] = QMessageBox.StandardButton.Cancel
    assert not editor.close()
    assert editor.isVisible() and answers["calls"][-1][1] == "Unsaved changes"
    answers["question"] = QMessageBox.StandardButton.Save
    assert editor.close()
    assert editor.draft_id is not None and not editor.isWindowModified()
    assert len(drafts.get_draft(editor.ctx, editor.draft_id).sites) == 1


def test_close_discard_writes_nothing(qtbot, make_editor, answers, clinic: Clinic) -> None:  # noqa: ANN001
    editor = make_editor()
    click_region(qtbot, editor, region("rhomboid_major", "posterior", "R"))
    answers["question"] = QMessageBox.StandardButton.Discard
    assert editor.close()
    assert patient_service.list_patient_sessions(clinic.ctx, clinic.patient_id) == []
