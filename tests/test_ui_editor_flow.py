"""Getting into and around the editor: from the main window, a first physician, Tab order, dose tooltips."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import date  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QEvent, Qt  # noqa: E402
from PySide6.QtGui import QHelpEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QToolTip, QWidget  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import Clinic, click_region, region  # noqa: E402

from tpi_notes.domain.patient import PatientInput  # noqa: E402
from tpi_notes.services import patients as patient_service  # noqa: E402
from tpi_notes.services import staff  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.services.demo import build_demo  # noqa: E402
from tpi_notes.ui.app import create_main_window  # noqa: E402
from tpi_notes.ui.editor.opening import new_session  # noqa: E402
from tpi_notes.ui.editor.staff_dialog import AddPhysicianDialog  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402
from tpi_notes.ui.session_window import SessionWindow  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def test_drafts_open_in_the_editor_and_signed_sessions_read_only(qtbot, ctx: AppContext, answers) -> None:  # noqa: ANN001
    build_demo(ctx, patients=6, sessions=60, seed=5)
    window = create_main_window(ctx)
    qtbot.addWidget(window)
    window.show()
    found = None
    for summary in patient_service.search_patients(ctx, "", limit=50):
        sessions = patient_service.list_patient_sessions(ctx, summary.id)
        drafts_ = [s for s in sessions if s.status == "draft"]
        signed = [s for s in sessions if s.status == "signed"]
        if drafts_ and signed:
            found = summary.id, drafts_[0].id, signed[0].id
            break
    assert found is not None, "the demo clinic should have a patient with a draft and a signed session"
    patient_id, draft_id, signed_id = found
    window.patient_list.select_patient(patient_id)
    editor = window.open_session(draft_id)
    assert isinstance(editor, SessionEditor) and editor.draft_id == draft_id
    qtbot.addWidget(editor)
    assert not editor.isWindowModified()  # opening a stored draft changes nothing
    assert window.open_session(draft_id) is editor  # the same draft is not opened twice
    read_only = window.open_session(signed_id)
    assert isinstance(read_only, SessionWindow)
    qtbot.addWidget(read_only)
    window.patient_view.new_session_button.click()
    assert len(window.editors) == 2 and window.editors[-1].draft_id is None
    qtbot.addWidget(window.editors[-1])


def test_a_fresh_clinic_adds_its_first_physician_from_the_editor(qtbot, ctx: AppContext, answers) -> None:  # noqa: ANN001
    patient = patient_service.create_patient(ctx, PatientInput("N-1", "Lindqvist", "Åsa", date(1988, 1, 9), weight_kg=61))
    editor = new_session(ctx, patient.id, None)
    assert editor is not None
    qtbot.addWidget(editor)
    combo = editor.pre.physician
    assert combo.member_id() is None and combo.itemText(combo.count() - 1) == "Add physician…"
    combo.activated.emit(combo.count() - 1)  # what choosing the entry does
    dialog = editor.active_dialog
    assert isinstance(dialog, AddPhysicianDialog) and dialog.isVisible()
    assert combo.currentIndex() == 0  # the combo does not stay on "Add physician…"
    dialog.save()
    assert dialog.isVisible() and dialog.errors.message("full_name") == "The name is required."
    dialog.full_name.setText("Amelia Hart")
    dialog.save()
    assert not dialog.isVisible()
    [member] = staff.list_staff(ctx, "physician")
    assert member.label == "Amelia Hart, MD"
    assert combo.member_id() == member.id and editor.current_draft().physician_id == member.id
    assert editor.isWindowModified()
    assert editor.save()


def _tab_chain(start: QWidget, owners: list[QWidget], steps: int) -> list[QWidget]:
    """The fields Tab visits from ``start`` (each focusable child counted as the field that holds it)."""
    seen: list[QWidget] = []
    widget = start
    for _ in range(steps):
        if widget.isVisible() and widget.isEnabled() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            owner = next((o for o in owners if o is widget or o.isAncestorOf(widget)), None)
            if owner is not None and (not seen or seen[-1] is not owner):
                seen.append(owner)
        widget = widget.nextInFocusChain()
    return seen


def test_tab_walks_the_pre_procedure_form_in_reading_order(qtbot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    pre = editor.pre
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    # two columns (issue 16): down the left one, then down the right one
    order = [pre.performed_start, pre.performed_end.edit, pre.performed_end.now_button, pre.location, pre.physician,
             pre.assistant, pre.indication, pre.diagnoses.search_edit, pre.conservative_care, pre.pain_before,
             pre.consent_type, pre.consent_form_id, *pre.risk_boxes.values(), pre.timeout_done,
             pre.timeout_at.edit, pre.timeout_at.now_button, pre.position, pre.antisepsis, pre.guidance]
    assert _tab_chain(pre.performed_start, order, 400)[: len(order)] == order


def test_tab_walks_the_site_details_top_down(qtbot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    click_region(qtbot, editor, region("infraspinatus", "posterior", "L"))
    details = editor.site_details
    editor.tabs.setCurrentWidget(editor.tab_pages["site"])
    inputs = details.inputs
    order = [details.technique, details.needle, inputs.preparation_label, inputs.volume_ml, inputs.aspiration,
             inputs.passes, details.twitch, details.note]
    assert _tab_chain(details.technique, order, 200)[: len(order)] == order
    details.technique.setCurrentIndex(details.technique.findData("dry_needling"))
    details.estim.setChecked(True)
    order = [details.technique, details.needle, inputs.needles_in, inputs.needles_out, inputs.dwell_minutes,
             *details.estim.spins.values(), details.estim.attended, details.twitch, details.note]
    assert _tab_chain(details.technique, order, 200)[: len(order)] == order


def test_enter_in_a_component_row_adds_the_next_row(qtbot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    editor.tabs.setCurrentWidget(editor.tab_pages["syringes"])
    box = editor.syringes.add_syringe(focus=True)
    assert box.label == "A" and [r.component().item_code for r in box.rows] == ["lidocaine-1"]
    qtbot.keyClick(box.rows[0].lot, Qt.Key.Key_Return)
    assert len(box.rows) == 2
    qtbot.waitUntil(lambda: QApplication.focusWidget() is box.rows[1].item)
    assert box.rows[1].component().item_code == ""  # the user chooses the second drug


def test_site_rows_tell_the_mg_given_there(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = make_editor()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "L"))
    assert editor._site_tip(0) == "Site 1: lidocaine 10 mg"  # noqa: SLF001 - 1 mL of lidocaine 1 %
    table = editor.diagram.table
    rect = table.visualRect(editor.diagram.model.index(0, 4))
    event = QHelpEvent(QEvent.Type.ToolTip, rect.center(), table.viewport().mapToGlobal(rect.center()))
    QApplication.sendEvent(table.viewport(), event)
    assert QToolTip.text() == "Site 1: lidocaine 10 mg"
    box = editor.syringes.box("A")
    saline = box.add_row()
    saline.set_item("saline-0.9")
    saline.volume.setValue(5.0)  # diluted 1:1, the same site gets half
    assert editor._site_tip(0) == "Site 1: lidocaine 5 mg"  # noqa: SLF001
    assert editor.site_details.doses.text() == "Given here: lidocaine 5 mg"
    assert box.mix_label.text() == "10 mL: lidocaine 5 mg/mL + saline"
