"""The patient form's coded allergy list, driven as a person would: type a brand name and see what it resolves
to, pick the kind and type the reaction, add; an uncoded word says it will warn and is kept as typed; the header
prints each with its kind and reaction; editing keeps who recorded the untouched entries."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

pytest.register_assert_rewrite("ui_fixtures")
from test_ui_editor_fixtures import discard_and_close  # noqa: E402
from ui_fixtures import MakeWindow, click_save, open_edit_dialog, open_new_dialog, type_into, type_text  # noqa: E402

from tpi_notes.services import patients as patient_service  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402

pytest_plugins = ["ui_fixtures"]


def test_allergy_list_round_trip(make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext,
                                 tmp_path: Path) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    type_into(qtbot, dialog, mrn="A-1", family_name="Doe", given_name="Jane", birth_date="1960-03-14")
    editor = dialog.form.allergy_editor
    type_text(qtbot, editor.substance, "Kenalog 40")
    assert editor.hint.text() == "→ triamcinolone acetonide (corticosteroid)"
    assert dialog.form.inputs["allergy_status"].currentText() == "Allergies (list them)"  # typing answers it
    type_text(qtbot, editor.reaction.lineEdit(), "hives")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert editor.substance.text() == "" and editor.list.count() == 1
    type_text(qtbot, editor.substance, "codeine")
    editor.kind.setFocus()
    qtbot.keyClick(editor.kind, Qt.Key.Key_Down)  # Intolerance
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    type_text(qtbot, editor.substance, "strawberries")
    assert editor.hint.text() == "not coded — will warn"
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    rows = [editor.list.item(i).text() for i in range(editor.list.count())]
    assert rows[0].startswith("Kenalog 40 (allergy, hives)") and "triamcinolone" in rows[0]
    assert rows[1].startswith("codeine (intolerance)")
    assert rows[2].startswith("strawberries (allergy)") and rows[2].endswith("not coded — will warn")
    editor.list.show()
    dialog.grab().save(str(tmp_path / "patient_form_allergies.png"))  # looked at by hand (report)
    click_save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())

    stored = patient_service.get_patient(clinic_ctx, dialog.saved.id)
    assert stored.allergies == ("Kenalog 40", "codeine", "strawberries")
    assert [(e.substance, e.kind, e.reaction) for e in stored.allergy_entries] == [
        ("Kenalog 40", "allergy", "hives"), ("codeine", "intolerance", ""), ("strawberries", "allergy", "")]
    assert all(e.recorded_by == clinic_ctx.actor and e.recorded_at is not None for e in stored.allergy_entries)
    header = window.patient_view.header.badge_texts()
    assert "Allergies: Kenalog 40 (allergy, hives); codeine (intolerance); strawberries (allergy)" in header

    # remove one entry: the others keep who recorded them and when
    again = open_edit_dialog(qtbot, window)
    listed = again.form.allergy_editor
    assert listed.list.count() == 3
    listed.list.setCurrentRow(2)
    qtbot.mouseClick(listed.remove_button, Qt.MouseButton.LeftButton)
    click_save(qtbot, again)
    qtbot.waitUntil(lambda: not again.isVisible())
    after = patient_service.get_patient(clinic_ctx, stored.id)
    assert after.allergies == ("Kenalog 40", "codeine")
    assert after.allergy_entries == stored.allergy_entries[:2]


def test_typed_but_not_added_is_kept_and_no_known_allergies_clears(make_window: MakeWindow, qtbot: QtBot,
                                                                    clinic_ctx: AppContext) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    type_into(qtbot, dialog, mrn="A-2", family_name="Roe", given_name="Ann", birth_date="1950-01-01",
              allergies="Depo-Medrol")
    assert dialog.form.allergy_editor.hint.text().startswith("→ methylprednisolone acetate")
    click_save(qtbot, dialog)  # never pressed Add: the typed allergy is not lost
    qtbot.waitUntil(lambda: not dialog.isVisible())
    stored = patient_service.get_patient(clinic_ctx, dialog.saved.id)
    assert stored.allergies == ("Depo-Medrol",) and stored.allergy_entries[0].kind == "allergy"
    again = open_edit_dialog(qtbot, window)
    status = again.form.inputs["allergy_status"]
    status.setFocus()
    qtbot.keyClick(status, Qt.Key.Key_Up)  # "No known allergies", chosen explicitly
    assert status.currentText() == "No known allergies"
    assert again.form.allergy_editor.list.count() == 0
    click_save(qtbot, again)
    qtbot.waitUntil(lambda: not again.isVisible())
    cleared = patient_service.get_patient(clinic_ctx, stored.id)
    assert cleared.allergies == () and cleared.history.get("allergies").state == "no"


def test_the_editor_stops_on_a_chlorhexidine_prep_until_another_is_chosen(qtbot: QtBot, ctx: AppContext) -> None:
    from test_report_support import add_patient, save_session, setup_clinic

    from tpi_notes.services import drafts
    from tpi_notes.ui.app import ensure_application
    from tpi_notes.ui.editor.reference import load_reference
    from tpi_notes.ui.editor.window import SessionEditor

    ensure_application()
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, allergies=("ChloraPrep",))  # a brand name of chlorhexidine
    sid = save_session(ctx, patient.id, doctor, 1, syringe=(("lidocaine-1", 2.0),))
    draft = drafts.get_draft(ctx, sid)
    assert draft.antisepsis == "Chlorhexidine-alcohol"  # the clinic's default prep
    editor = SessionEditor(ctx, draft, load_reference(ctx, draft.patient_id), baseline=draft)
    editor.show()
    qtbot.waitExposed(editor)
    try:
        stops = {f.code for f in editor.findings.refresh_now().findings if f.blocks_signing}
        assert "allergy_antisepsis" in stops
        combo = editor.pre.antisepsis
        editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
        combo.lineEdit().selectAll()
        type_text(qtbot, combo.lineEdit(), "Povidone-iodine")
        assessment = editor.findings.refresh_now()
        assert "allergy_antisepsis" not in {f.code for f in assessment.findings}
    finally:
        discard_and_close(editor)
