"""Lots without typing in the syringe row (issue 16 item 6), driven as a user would: no lot picked that nobody
confirmed, the room's open vial taken in one click or Enter, a USB scanner's GS1 text typed into the scan field
(with and without group separators, and the printed HRI form), and the overdrawn syringe warned live."""

from __future__ import annotations

import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import datetime, timedelta  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QEvent, Qt  # noqa: E402
from PySide6.QtGui import QKeyEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import select, update  # noqa: E402
from test_ui_editor_fixtures import TODAY, answers, click_region, clinic, make_editor, region  # noqa: E402, F401

from tpi_notes.db.models import FormularyItem, Lot, OpenVial  # noqa: E402
from tpi_notes.domain.gs1 import gtin_for_ndc10  # noqa: E402
from tpi_notes.domain.permissions import Principal, permissions_for  # noqa: E402
from tpi_notes.services import open_vials  # noqa: E402
from tpi_notes.ui.editor import vial_desk  # noqa: E402

TRI_NDC10 = "0003029305"  # triamcinolone 40 mg/mL as printed 0003-0293-05
TRI_GTIN = gtin_for_ndc10(TRI_NDC10)
TRI_EXPIRY = TODAY + timedelta(days=300)  # TRI-77 in the fixtures
YYMMDD = f"{TRI_EXPIRY:%y%m%d}"
SCANS = {
    "group separators": f"01{TRI_GTIN}17{YYMMDD}10TRI-77\x1d21SN42",
    "no separators": f"01{TRI_GTIN}21SN4217{YYMMDD}10TRI-77",
    "printed HRI": f"(01){TRI_GTIN}(17){YYMMDD}(10)TRI-77(21)SN42",
}


@pytest.fixture
def ndcs(clinic):  # noqa: ANN001, ANN201, F811
    """The fixture lots with the NDCs printed on their vials."""
    with clinic.ctx.transaction() as s:
        for code, ndc in (("triamcinolone-40", "0003-0293-05"), ("lidocaine-1", "0409-4276-01")):
            item_id = s.scalar(select(FormularyItem.id).where(FormularyItem.code == code))
            s.execute(update(Lot).where(Lot.item_id == item_id).values(ndc=ndc))
    return clinic


def _second_row(qtbot, editor):  # noqa: ANN001, ANN202
    """Site 1 brings syringe A; Enter in its volume adds an empty drug row, as a nurse does."""
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    box = editor.syringes.box("A")
    _syringes_tab(qtbot, editor)
    box.rows[0].volume.setFocus()
    qtbot.keyClick(box.rows[0].volume, Qt.Key.Key_Return)
    return box, box.rows[1]


def _syringes_tab(qtbot, editor) -> None:  # noqa: ANN001
    """A click on the "Syringes" tab (a site click shows the site's tab)."""
    bar = editor.tabs.tabBar()
    index = next(i for i in range(bar.count()) if bar.tabText(i) == "Syringes")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert editor.tabs.currentWidget() is editor.tab_pages["syringes"]


def _type_scan(qtbot, field, text: str) -> None:  # noqa: ANN001
    """Keys as a USB scanner in keyboard mode sends them: the characters, and GS as Ctrl+] (QTest cannot type
    the control character itself)."""
    for i, chunk in enumerate(text.split("\x1d")):
        if i:
            qtbot.keyClick(field, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier)
        if chunk:
            qtbot.keyClicks(field, chunk)


def _scan(qtbot, row, text: str) -> None:  # noqa: ANN001
    row.scan.setFocus()
    _type_scan(qtbot, row.scan, text)
    qtbot.keyClick(row.scan, Qt.Key.Key_Return)


def test_a_fresh_syringe_and_a_new_drug_start_without_a_lot(qtbot, make_editor) -> None:  # noqa: ANN001, F811
    editor = make_editor()
    box, row = _second_row(qtbot, editor)
    assert box.rows[0].component().item_code == "lidocaine-1"
    assert box.rows[0].lot.currentData() == ""  # not LID-B2, the latest-expiring lot nobody confirmed
    row.item.setFocus()
    row.item.setCurrentIndex(row.item.findData("triamcinolone-40"))  # the drug picked from the list
    assert row.lot.currentData() == "" and row.component().lot_number == ""
    assert not row.open_vial_button.isVisible()  # no vial open in this room: nothing to offer
    editor.findings.refresh_now()
    assert any("record the lot" in m.message for m in editor.findings.assessment.missing)


@pytest.mark.parametrize("key", [None, Qt.Key.Key_Return])
def test_the_rooms_open_vial_is_offered_and_taken_in_one_action(qtbot, make_editor, clinic, key) -> None:  # noqa: ANN001, F811
    open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-A1", "Procedure room 1",
                             at=datetime.now() - timedelta(hours=2))
    editor = make_editor()
    qtbot.keyClicks(editor.pre.location, "procedure room 1")  # the session's room (case and spaces aside)
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    _syringes_tab(qtbot, editor)
    row = editor.syringes.box("A").rows[0]
    assert row.lot.currentData() == ""
    assert row.open_vial_button.isVisible() and "lot LID-A1, opened" in row.open_vial_button.text()
    if key is None:
        qtbot.mouseClick(row.open_vial_button, Qt.MouseButton.LeftButton)
    else:
        row.open_vial_button.setFocus()
        qtbot.keyClick(row.open_vial_button, key)
    assert row.component().lot_number == "LID-A1" and row.component().lot_expiry == TODAY + timedelta(days=200)
    assert not row.open_vial_button.isVisible()


def test_another_rooms_vial_is_not_offered(qtbot, make_editor, clinic) -> None:  # noqa: ANN001, F811
    open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-A1", "Exam room 3")
    editor = make_editor()
    qtbot.keyClicks(editor.pre.location, "Procedure room 1")
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    _syringes_tab(qtbot, editor)
    assert editor.syringes.box("A").rows[0].open_vial_button.isHidden()


def test_a_multi_dose_vial_past_28_days_is_refused(qtbot, make_editor, clinic, monkeypatch) -> None:  # noqa: ANN001, F811
    old = open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-B2", "", at=datetime.now() - timedelta(days=29))
    editor = make_editor()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    _syringes_tab(qtbot, editor)
    row = editor.syringes.box("A").rows[0]
    assert not row.open_vial_button.isVisible()  # not offered; the row says why
    assert row.vial_note.isVisible() and "29 days ago" in row.vial_note.text()
    assert "used within 28 days of opening" in row.vial_note.text()

    # a vial offered while in date, past its limit by the time it is taken (another workstation's clock)
    vial = open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-A1", "", at=datetime.now() - timedelta(days=27))
    monkeypatch.setattr(vial_desk, "monotonic", lambda: time.monotonic() + vial_desk.RELOAD_S + 1)
    row.refresh_offer()  # half a minute later: the vial opened on another workstation is read
    assert row.open_vial_button.isVisible() and "LID-A1" in row.open_vial_button.text()
    with clinic.ctx.transaction() as s:
        s.execute(update(OpenVial).where(OpenVial.id == vial.id)
                  .values(opened_at=datetime.now() - timedelta(days=28, hours=1)))
    qtbot.mouseClick(row.open_vial_button, Qt.MouseButton.LeftButton)
    assert row.component().lot_number == ""
    assert row.error.isVisible() and "a multi-dose vial is used within 28 days" in row.error.text()
    assert old.id != vial.id


@pytest.mark.parametrize("form", list(SCANS))
def test_a_scan_fills_drug_lot_and_expiry(qtbot, make_editor, ndcs, form: str) -> None:  # noqa: ANN001, F811
    editor = make_editor()
    _box, row = _second_row(qtbot, editor)
    assert row.component().item_code == ""
    _scan(qtbot, row, SCANS[form])
    assert not row.error.isVisible(), row.error.text()
    component = row.component()
    assert (component.item_code, component.lot_number, component.lot_expiry) == ("triamcinolone-40", "TRI-77",
                                                                                 TRI_EXPIRY)
    assert row.scan.text() == ""  # ready for the next vial
    # triamcinolone 40 mg/mL comes in single-dose vials: opened for this patient, in this room
    (vial,) = open_vials.list_open(ndcs.ctx)
    assert (vial.lot_number, vial.serial, vial.patient_id) == ("TRI-77", "SN42", ndcs.patient_id)
    assert "Drawn from the open vial: lot TRI-77, opened today" in row.vial_note.text()


def test_an_expired_vial_and_an_unknown_ndc_are_refused(qtbot, make_editor, ndcs) -> None:  # noqa: ANN001, F811
    editor = make_editor()
    _box, row = _second_row(qtbot, editor)
    past = f"{TODAY - timedelta(days=2):%y%m%d}"
    _scan(qtbot, row, f"01{TRI_GTIN}17{past}10TRI-77\x1d21SN1")
    assert "expired on" in row.error.text() and row.component().item_code == ""
    _scan(qtbot, row, f"01{gtin_for_ndc10('1234567890')}17{YYMMDD}10X1")
    assert "is on no lot of the formulary" in row.error.text() and row.component().item_code == ""


def test_an_unknown_lot_is_offered_for_registration_only_to_who_manages_lots(  # noqa: ANN001
        qtbot, make_editor, ndcs, answers) -> None:  # noqa: ANN001, F811
    new_lot = f"01{TRI_GTIN}17{YYMMDD}10TRI-NEW\x1d21SN7"
    nurse = Principal("test:nurse", "Ben Ruiz", permissions_for(("nurse",)))
    ndcs.ctx.act_as(nurse)
    editor = make_editor()
    _box, row = _second_row(qtbot, editor)
    _scan(qtbot, row, new_lot)
    assert "not on the lot list. Ask whoever manages the formulary" in row.error.text()
    assert answers["calls"] == [] and row.component().lot_number == ""

    ndcs.ctx.act_as(Principal("test:both", "Amelia Hart", permissions_for(("physician", "admin"))))
    _scan(qtbot, row, new_lot)
    assert answers["calls"][-1][0] == "question" and "Lot TRI-NEW of Triamcinolone" in answers["calls"][-1][2]
    assert (row.component().item_code, row.component().lot_number) == ("triamcinolone-40", "TRI-NEW")
    with ndcs.ctx.read() as s:
        assert s.scalar(select(Lot.expiry).where(Lot.lot_number == "TRI-NEW")) == TRI_EXPIRY


def test_the_group_separator_a_scanner_types_survives_the_field(qtbot, make_editor) -> None:  # noqa: ANN001, F811
    editor = make_editor()
    _box, row = _second_row(qtbot, editor)
    row.scan.setFocus()
    _type_scan(qtbot, row.scan, "10A\x1d21B")  # GS as Ctrl+]
    QApplication.sendEvent(row.scan, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_unknown,  # GS as the character
                                               Qt.KeyboardModifier.NoModifier, "\x1d"))
    assert row.scan.text() == "10A\u241d21B\u241d"  # a plain line edit drops both


def test_six_default_sites_overdraw_the_syringe_live_with_a_one_click_fix(qtbot, make_editor) -> None:  # noqa: ANN001, F811
    editor = make_editor()
    for muscle, side in (("upper_trapezius", "R"), ("upper_trapezius", "L"), ("levator_scapulae", "R"),
                         ("levator_scapulae", "L"), ("rhomboid_major", "R"), ("infraspinatus", "L")):
        click_region(qtbot, editor, region(muscle, "posterior", side))
    box = editor.syringes.box("A")
    _syringes_tab(qtbot, editor)
    assert [s.volume_ml for s in editor.document.sites()] == [1.0] * 6 and box.preparation().total_ml == 5.0
    qtbot.waitUntil(lambda: "syringe_overdrawn:A" in " ".join(editor.findings.rows), timeout=5000)
    assert "take 6 mL from syringe A, which holds 5 mL" in editor.findings.rows["finding:syringe_overdrawn:A"].text()
    assert box.draw_up_button.isVisible() and box.draw_up_button.text() == "Draw up 6 mL"
    fix = editor.findings.buttons["finding:syringe_overdrawn:A"]
    qtbot.mouseClick(fix, Qt.MouseButton.LeftButton)
    assert box.preparation().total_ml == 6.0 and box.rows[0].volume.value() == 6.0
    qtbot.waitUntil(lambda: "finding:syringe_overdrawn:A" not in editor.findings.rows, timeout=5000)
    assert not box.draw_up_button.isVisible()


def test_the_lot_dialog_fills_lot_ndc_and_expiry_from_a_scan(qtbot, ndcs) -> None:  # noqa: ANN001
    from tpi_notes.services import clinic as clinic_service  # noqa: PLC0415
    from tpi_notes.ui.admin.formulary_dialogs import LotDialog  # noqa: PLC0415

    item = next(i for i in clinic_service.list_formulary(ndcs.ctx) if i.code == "triamcinolone-40")
    dialog = LotDialog(ndcs.ctx, item)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.scan.hasFocus() or dialog.focusWidget() is dialog.scan
    lidocaine = gtin_for_ndc10("0409427601")
    _type_scan(qtbot, dialog.scan, f"01{lidocaine}17{YYMMDD}10LID-9\x1d21S1")
    qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
    assert "is Lidocaine 1 %, not the item" in dialog.errors.message("scan") and dialog.lot_number.text() == ""
    _type_scan(qtbot, dialog.scan, f"01{TRI_GTIN}17{YYMMDD}10TRI-88\x1d21S2")
    qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
    assert dialog.isVisible()  # the scan's Enter did not press "Add lot"
    assert (dialog.lot_number.text(), dialog.ndc.text(), dialog.expiry.text()) == (
        "TRI-88", "0003-0293-05", TRI_EXPIRY.isoformat())
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.saved is not None and (dialog.saved.lot_number, dialog.saved.expiry) == ("TRI-88", TRI_EXPIRY)


@pytest.mark.parametrize("how", ["copy forward", "template"])
def test_copied_syringes_come_without_lots_and_offer_todays_open_vial(  # noqa: ANN001
        qtbot, make_editor, clinic, answers, how: str) -> None:  # noqa: ANN001, F811
    from test_ui_editor_reuse import earlier_session  # noqa: PLC0415

    from tpi_notes.services import drafts  # noqa: PLC0415

    earlier_session(clinic)  # last week: lidocaine LID-A1 + triamcinolone TRI-77 in syringe A
    if how == "template":
        last = drafts.copy_forward(clinic.ctx, drafts.new_draft(clinic.ctx, clinic.patient_id))
        drafts.save_template(clinic.ctx, "Neck", "", last)
    open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-B2", "", at=datetime.now() - timedelta(hours=1))
    editor = make_editor()
    if how == "copy forward":
        editor.editor_actions.copy_forward.trigger()
    else:
        editor.editor_actions.fill_template_menu()
        [action] = [a for a in editor.editor_actions.template_menu.actions() if a.text() == "Neck"]
        action.trigger()
    _syringes_tab(qtbot, editor)
    lidocaine, steroid = editor.syringes.box("A").rows
    assert lidocaine.component().lot_number == "" and steroid.component().lot_number == ""  # not LID-A1 / TRI-77
    assert not lidocaine.open_vial_button.isHidden() and "lot LID-B2" in lidocaine.open_vial_button.text()
    assert steroid.open_vial_button.isHidden()  # no triamcinolone vial open for this patient
    qtbot.mouseClick(lidocaine.open_vial_button, Qt.MouseButton.LeftButton)
    assert lidocaine.component().lot_number == "LID-B2"


def test_a_vial_opened_without_a_scanner_is_recorded_in_one_click_and_offered_next(  # noqa: ANN001
        qtbot, make_editor, clinic) -> None:  # noqa: ANN001, F811
    editor = make_editor()
    qtbot.keyClicks(editor.pre.location, "Room 2")
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    _syringes_tab(qtbot, editor)
    row = editor.syringes.box("A").rows[0]
    assert row.record_button.isHidden()  # no lot chosen: nothing to record
    row.lot.setFocus()
    qtbot.keyClick(row.lot, Qt.Key.Key_Down)  # the first listed lot (latest expiry first): LID-B2
    assert row.component().lot_number == "LID-B2"
    assert row.record_button.isVisible()
    qtbot.mouseClick(row.record_button, Qt.MouseButton.LeftButton)
    assert row.record_button.isHidden() and "Drawn from the open vial: lot LID-B2, opened today" in row.vial_note.text()
    (vial,) = open_vials.list_open(clinic.ctx)
    assert (vial.lot_number, vial.room, vial.opened_by) == ("LID-B2", "Room 2", "test fixture")

    following = make_editor()  # the next syringe in this room
    qtbot.keyClicks(following.pre.location, "room 2")
    click_region(qtbot, following, region("upper_trapezius", "posterior", "L"))
    _syringes_tab(qtbot, following)
    offer = following.syringes.box("A").rows[0].open_vial_button
    assert offer.isVisible() and "lot LID-B2, opened today" in offer.text()
