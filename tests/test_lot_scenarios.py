"""Lots without typing, as an outside tester tries them (issue 16 item 6, clinical-reference §9.3): open vials per
drug and room, the 28-day beyond-use limit of a multi-dose vial and its lot's expiry (whichever comes first), a
single-dose vial for one patient and one procedure, a discarded vial never used again (scanned again, or taken
from an offer made before it was discarded or recalled elsewhere), a scan into a row holding another drug, and the
syringe's volume following its sites through edits, deletions and undo.

Choices where the reference is silent, pinned here: a lot is usable through its expiry day; a multi-dose vial is
usable up to and including the moment 28 × 24 h after it was opened; a single-dose vial belongs to the procedure
that started no more than an hour before it was opened (domain/open_vials.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select, update
from test_ui_editor_fixtures import answers, click_region, clinic, make_editor, region  # noqa: F401
from test_ui_vial_scan import SCANS, TRI_EXPIRY, TRI_GTIN, _scan, _second_row, _syringes_tab, ndcs  # noqa: F401

from tpi_notes.db.models import FormularyItem, Lot
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.formulary import Lot as PlainLot
from tpi_notes.domain.lot_offers import offer_lot
from tpi_notes.domain.open_vials import OpenVial, offers, vial_problem
from tpi_notes.services import open_vials
from tpi_notes.services.context import AppContext

TODAY = date.today()
NOON = datetime.combine(TODAY, datetime.min.time()).replace(hour=12)


def _vial(*, opened: datetime, expiry: date, single: bool = False, patient: int | None = None,
          room: str = "Room 1", vial_id: int = 1) -> OpenVial:
    return OpenVial(vial_id, "lidocaine-1", "Lidocaine 1 %", "LID-1", expiry, "", room, opened, "Ben Ruiz", single,
                    patient_id=patient)


# -- multi-dose: 28 days, and never past the lot's expiry -----------------------------------------------------

def test_a_multi_dose_vial_is_usable_until_28_days_after_opening_to_the_minute() -> None:
    vial = _vial(opened=NOON - timedelta(days=28), expiry=TODAY + timedelta(days=90))
    assert vial_problem(vial, 7, NOON) is None  # exactly 28 days: still within them
    assert offers([vial], "lidocaine-1", "room 1", 7, NOON)[0] == [vial]
    later = NOON + timedelta(minutes=1)
    problem = vial_problem(vial, 7, later)
    assert problem is not None and "used within 28 days of opening" in problem
    assert f"until {NOON:%Y-%m-%d %H:%M}" in problem  # says when its use ended, not only "28 days ago"
    assert offers([vial], "lidocaine-1", "room 1", 7, later) == ([], [problem])


def test_a_multi_dose_vial_ends_with_its_lot_when_the_lot_expires_first() -> None:
    vial = _vial(opened=NOON - timedelta(days=3), expiry=TODAY)
    assert vial_problem(vial, 7, NOON.replace(hour=23, minute=59)) is None  # through the expiry day
    tomorrow = NOON + timedelta(days=1)
    problem = vial_problem(vial, 7, tomorrow)
    assert problem is not None and f"expired on {TODAY.isoformat()}" in problem
    assert offers([vial], "lidocaine-1", "Room 1", 7, tomorrow)[0] == []


def test_the_offer_says_until_when_the_vial_may_be_used() -> None:
    """USP <797> wants the beyond-use date on an opened vial: the offer names it, whichever limit comes first."""
    opened = NOON - timedelta(days=2)
    assert _vial(opened=opened, expiry=TODAY + timedelta(days=90)).use_until() == \
        f"use until {opened + timedelta(days=28):%Y-%m-%d %H:%M}"
    short = _vial(opened=opened, expiry=TODAY + timedelta(days=3)).use_until()
    assert short == f"use until {TODAY + timedelta(days=3):%Y-%m-%d} (lot expiry)"
    assert _vial(opened=opened, expiry=TODAY, single=True, patient=7).use_until() == "single-dose: this procedure only"


def test_a_vial_opened_in_another_room_or_later_is_not_offered() -> None:
    here = _vial(opened=NOON - timedelta(hours=1), expiry=TODAY + timedelta(days=90), vial_id=1)
    there = _vial(opened=NOON - timedelta(hours=1), expiry=TODAY + timedelta(days=90), room="Room 2", vial_id=2)
    future = _vial(opened=NOON + timedelta(hours=1), expiry=TODAY + timedelta(days=90), vial_id=3)
    assert offers([here, there, future], "lidocaine-1", "  ROOM   1 ", 7, NOON)[0] == [here]
    assert offers([here, there, future], "bupivacaine-0.25", "Room 1", 7, NOON) == ([], [])


# -- single-dose: one patient, one procedure --------------------------------------------------------------

def test_a_single_dose_vial_serves_the_procedure_it_was_opened_for_only() -> None:
    started = NOON - timedelta(minutes=20)
    vial = _vial(opened=NOON - timedelta(minutes=10), expiry=TODAY + timedelta(days=90), single=True, patient=7)
    assert vial_problem(vial, 7, NOON, started=started) is None  # this procedure, a second syringe
    assert offers([vial], "lidocaine-1", "Room 1", 7, NOON, started=started)[0] == [vial]
    assert offers([vial], "lidocaine-1", "Room 1", 8, NOON, started=started) == ([], [])  # the next patient
    # the same patient's next procedure the same afternoon (within 12 hours of opening)
    afternoon = NOON + timedelta(hours=3)
    assert offers([vial], "lidocaine-1", "Room 1", 7, afternoon, started=afternoon - timedelta(minutes=5)) == ([], [])
    problem = vial_problem(vial, 7, afternoon, started=afternoon - timedelta(minutes=5))
    assert problem is not None and "for an earlier procedure" in problem
    # a vial opened a little before the procedure's recorded start (drawn up while the patient settles)
    assert vial_problem(vial, 7, NOON, started=NOON + timedelta(minutes=30)) is None
    # a draft whose start was typed hours ahead: the vial opened now is for it (a start to come counts as now)
    assert vial_problem(vial, 7, NOON, started=NOON + timedelta(hours=3)) is None


# -- what is offered by the findings panel ------------------------------------------------------------------

def test_the_lots_answer_never_offers_an_expired_retired_or_unlisted_lot() -> None:
    lots = [PlainLot("lidocaine-1", "OLD", TODAY - timedelta(days=1)),
            PlainLot("lidocaine-1", "RECALLED", TODAY + timedelta(days=90), retired=True),
            PlainLot("lidocaine-1", "GOOD", TODAY + timedelta(days=90))]
    vial_of_recalled = replace(_vial(opened=NOON, expiry=TODAY + timedelta(days=90)), lot_number="RECALLED")
    offer = offer_lot("lidocaine-1", TODAY, lots, open_vial=vial_of_recalled)
    assert offer is not None and (offer.lot_number, offer.vial) == ("GOOD", None)  # the only in-date lot
    assert offer_lot("lidocaine-1", TODAY, lots[:2]) is None


# -- the services: scanned again, discarded, recalled -------------------------------------------------------

def _lot(ctx: AppContext, code: str, number: str, expiry: date) -> None:
    with ctx.transaction() as s:
        item_id = s.scalar(select(FormularyItem.id).where(FormularyItem.code == code))
        s.add(Lot(item_id=item_id, lot_number=number, expiry=expiry, ndc=""))


@pytest.fixture
def stocked(ctx: AppContext) -> AppContext:
    _lot(ctx, "lidocaine-1", "LID-1", TODAY + timedelta(days=200))
    _lot(ctx, "triamcinolone-40", "TRI-1", TODAY + timedelta(days=200))
    return ctx


def _patients(ctx: AppContext, count: int = 2) -> list[int]:
    from test_ui_editor_fixtures import History, PatientInput, patient_service  # noqa: PLC0415

    return [patient_service.create_patient(ctx, PatientInput(
        mrn=f"L-{i}", family_name="Lot", given_name=f"P{i}", birth_date=date(1970, 1, 1), sex="female",
        history=History.of(allergies="no"))).id for i in range(count)]


def test_a_discarded_vial_scanned_again_is_refused_not_opened_anew(stocked: AppContext) -> None:
    vial = open_vials.record_opened(stocked, "lidocaine-1", "LID-1", "Room 1", serial="SN9")
    open_vials.discard_open_vial(stocked, vial.id)
    with pytest.raises(TpiError, match="serial SN9.*was discarded on"):
        open_vials.record_opened(stocked, "lidocaine-1", "LID-1", "Room 1", serial="SN9")
    assert open_vials.list_open(stocked) == []


def test_a_single_dose_vial_scanned_again_for_another_patient_is_refused(stocked: AppContext) -> None:
    first, second = _patients(stocked)
    vial = open_vials.record_opened(stocked, "triamcinolone-40", "TRI-1", "Room 1", serial="K1", patient_id=first)
    again = open_vials.record_opened(stocked, "triamcinolone-40", "TRI-1", "Room 1", serial="K1", patient_id=first)
    assert again.id == vial.id  # the same procedure's second syringe
    with pytest.raises(TpiError, match="single-dose vial opened for another patient"):
        open_vials.record_opened(stocked, "triamcinolone-40", "TRI-1", "Room 1", serial="K1", patient_id=second)
    assert [v.id for v in open_vials.list_open(stocked)] == [vial.id]


def test_a_multi_dose_vial_scanned_in_another_room_is_there_now(stocked: AppContext) -> None:
    """The vial is where it is scanned: offered in its new room (not twice, not in the old one)."""
    vial = open_vials.record_opened(stocked, "lidocaine-1", "LID-1", "Room 1", serial="MV1")
    moved = open_vials.record_opened(stocked, "lidocaine-1", "LID-1", "Room 2", serial="MV1")
    assert moved.id == vial.id and moved.room == "Room 2"
    listed = open_vials.list_open(stocked)
    now = datetime.now() + timedelta(seconds=1)
    assert [v.id for v in offers(listed, "lidocaine-1", "room 2", 1, now)[0]] == [vial.id]
    assert offers(listed, "lidocaine-1", "room 1", 1, now) == ([], [])


def test_a_multi_dose_vial_scanned_again_past_28_days_is_refused(stocked: AppContext) -> None:
    opened = datetime.now().replace(microsecond=0) - timedelta(days=29)
    open_vials.record_opened(stocked, "lidocaine-1", "LID-1", "Room 1", serial="M1", at=opened)
    with pytest.raises(TpiError, match="used within 28 days of opening"):
        open_vials.record_opened(stocked, "lidocaine-1", "LID-1", "Room 1", serial="M1")


def test_a_vial_whose_lot_was_recalled_after_the_offer_is_refused_when_taken(stocked: AppContext) -> None:
    vial = open_vials.record_opened(stocked, "lidocaine-1", "LID-1", "Room 1")
    with stocked.transaction() as s:  # retired on the administrator's workstation meanwhile
        s.execute(update(Lot).where(Lot.lot_number == "LID-1").values(retired=True))
    with pytest.raises(TpiError, match="Lot LID-1 of Lidocaine 1 % is retired"):
        open_vials.take_open_vial(stocked, vial.id, 1, datetime.now())


@pytest.mark.parametrize("who, may", [("admin", True), ("nurse", True), ("physician", True), ("os", False)])
def test_who_may_discard_an_open_vial(stocked: AppContext, who: str, may: bool) -> None:
    """Whoever charts, and whoever keeps the stock (an administrator manages the lots, though never charts); the
    command line reads but changes nothing."""
    from tpi_notes.domain.permissions import PermissionDenied, Principal, permissions_for  # noqa: PLC0415

    vial = open_vials.record_opened(stocked, "lidocaine-1", "LID-1", "Room 1")
    stocked.act_as(Principal.operating_system("clinic") if who == "os"
                   else Principal(f"test:{who}", who, permissions_for((who,))))
    if may:
        assert open_vials.discard_open_vial(stocked, vial.id).id == vial.id
        assert open_vials.open_of_lot(stocked, "lidocaine-1", "LID-1") == []
    else:
        with pytest.raises(PermissionDenied, match="Not allowed"):
            open_vials.discard_open_vial(stocked, vial.id)
        assert [v.id for v in open_vials.open_of_lot(stocked, "lidocaine-1", "LID-1")] == [vial.id]


def test_a_vial_discarded_elsewhere_is_refused_when_taken(stocked: AppContext) -> None:
    vial = open_vials.record_opened(stocked, "lidocaine-1", "LID-1", "Room 1")
    open_vials.discard_open_vial(stocked, vial.id)
    with pytest.raises(TpiError, match="no longer recorded as open"):
        open_vials.take_open_vial(stocked, vial.id, 1, datetime.now())


# -- in the editor, driven as a user would ----------------------------------------------------------------

def test_a_scan_into_a_row_holding_another_drug_never_changes_that_drug(qtbot, make_editor, ndcs) -> None:  # noqa: ANN001, F811
    editor = make_editor()
    box, second = _second_row(qtbot, editor)  # syringe A: lidocaine 1 % 5 mL, and an empty row
    lidocaine = box.rows[0]
    _scan(qtbot, lidocaine, SCANS["group separators"])  # a triamcinolone vial, into the lidocaine row
    assert "This vial is Triamcinolone acetonide 40 mg/mL, but this row holds Lidocaine 1 %" in lidocaine.error.text()
    assert (lidocaine.component().item_code, lidocaine.component().volume_ml,
            lidocaine.component().lot_number) == ("lidocaine-1", 5.0, "")
    assert open_vials.list_open(ndcs.ctx) == []  # nothing recorded opened

    second.item.setFocus()
    second.set_item("triamcinolone-40")  # the syringe has a triamcinolone row now: the scan goes there
    _scan(qtbot, lidocaine, SCANS["group separators"])
    assert not lidocaine.error.isVisible(), lidocaine.error.text()
    assert (lidocaine.component().item_code, lidocaine.component().lot_number) == ("lidocaine-1", "")
    assert (second.component().item_code, second.component().lot_number) == ("triamcinolone-40", "TRI-77")
    assert [v.lot_number for v in open_vials.list_open(ndcs.ctx)] == ["TRI-77"]
    # a vial of another lot of that drug never replaces the lot its row records: it needs a row of its own
    from tpi_notes.services import formulary_admin  # noqa: PLC0415

    formulary_admin.add_lot(ndcs.ctx, "triamcinolone-40", "TRI-88", "0003-0293-05", TRI_EXPIRY)
    _scan(qtbot, lidocaine, f"01{TRI_GTIN}17{TRI_EXPIRY:%y%m%d}10TRI-88\x1d21SN43")
    assert "but this row holds Lidocaine 1 %" in lidocaine.error.text()
    assert second.component().lot_number == "TRI-77"


def test_a_discarded_vial_scanned_again_leaves_the_row_as_it_was(qtbot, make_editor, ndcs) -> None:  # noqa: ANN001, F811
    vial = open_vials.record_opened(ndcs.ctx, "triamcinolone-40", "TRI-77", "", serial="SN42",
                                    patient_id=ndcs.patient_id)
    open_vials.discard_open_vial(ndcs.ctx, vial.id)
    editor = make_editor()
    _box, row = _second_row(qtbot, editor)
    _scan(qtbot, row, SCANS["no separators"])  # serial SN42: the vial discarded above
    assert "serial SN42) was discarded on" in row.error.text()
    assert (row.component().item_code, row.component().lot_number) == ("", "")
    assert open_vials.list_open(ndcs.ctx) == []


def test_a_single_dose_vial_of_the_patients_morning_session_is_not_offered_in_the_afternoon(
        qtbot, make_editor, clinic) -> None:  # noqa: ANN001, F811
    open_vials.record_opened(clinic.ctx, "triamcinolone-40", "TRI-77", "Room 1", patient_id=clinic.patient_id,
                             at=datetime.now().replace(microsecond=0) - timedelta(hours=3))
    editor = make_editor()  # the same patient's next procedure, starting now
    qtbot.keyClicks(editor.pre.location, "Room 1")
    box, row = _second_row(qtbot, editor)
    row.item.setFocus()
    row.set_item("triamcinolone-40")
    assert row.open_vial_button.isHidden() and row.component().lot_number == ""


def _over(box, editor=None) -> bool:  # noqa: ANN001
    """The syringe box warns (its "Draw up" shown, whichever tab is in front); with ``editor``, the findings panel
    agrees (its live stop, worked out now rather than on its timer)."""
    warned = not box.draw_up_button.isHidden() and "more than the syringe holds" in box.usage_label.text()
    if editor is not None:
        editor.findings.refresh_now()
        assert (f"finding:syringe_overdrawn:{box.label}" in editor.findings.rows) == warned
    return warned


def test_the_syringe_warning_follows_every_change_to_the_sites(qtbot, make_editor, answers) -> None:  # noqa: ANN001, F811
    editor = make_editor()
    editor.activateWindow()  # Ctrl+Z is the window's Edit menu shortcut
    qtbot.waitUntil(editor.isActiveWindow)
    for muscle, side in (("upper_trapezius", "R"), ("upper_trapezius", "L"), ("levator_scapulae", "R"),
                         ("levator_scapulae", "L"), ("rhomboid_major", "R")):
        click_region(qtbot, editor, region(muscle, "posterior", side))
    box = editor.syringes.box("A")
    assert box.preparation().total_ml == 5.0 and not _over(box, editor)  # 5 × 1 mL from 5 mL: not over yet
    # … but said before the next site overdraws it
    assert "0 mL left: another 1 mL site needs more drawn up first" in box.usage_label.text()

    # site 5's volume raised to 2 mL in its own tab, typed: warned at once
    volume = editor.site_details.inputs.widget("volume_ml")
    volume.setFocus()
    volume.selectAll()
    qtbot.keyClicks(volume, "2")
    qtbot.keyClick(volume, Qt.Key.Key_Tab)
    assert [s.volume_ml for s in editor.document.sites()][-1] == 2.0
    _syringes_tab(qtbot, editor)
    assert _over(box, editor) and box.draw_up_button.text() == "Draw up 6 mL"

    # that site turned to dry needling: it draws nothing from the syringe
    technique = editor.site_details.technique
    editor.tabs.setCurrentWidget(editor.tab_pages["site"])
    technique.setFocus()
    qtbot.keyClicks(technique, "Dry")
    assert editor.document.sites()[-1].technique == "dry_needling"
    assert not _over(box, editor) and "4 mL of 5 mL" in box.usage_label.text()
    editor.diagram.table.setFocus()
    qtbot.keyClick(editor.diagram.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo: injecting
    assert editor.document.sites()[-1].technique == "injection" and _over(box, editor)

    # that site moved to a second syringe: syringe A is no longer overdrawn; undone, it is again
    qtbot.mouseClick(editor.syringes.add_button, Qt.MouseButton.LeftButton)
    second = editor.syringes.box("B")
    editor.tabs.setCurrentWidget(editor.tab_pages["site"])
    syringe = editor.site_details.inputs.widget("preparation_label")
    syringe.setFocus()
    qtbot.keyClick(syringe, Qt.Key.Key_Down)  # the next syringe in the site's "Syringe" list
    assert editor.document.sites()[-1].preparation_label == "B"
    assert not _over(box, editor) and not _over(second, editor) and "2 mL of 5 mL" in second.usage_label.text()
    editor.diagram.table.setFocus()
    qtbot.keyClick(editor.diagram.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.document.sites()[-1].preparation_label == "A" and _over(box, editor)

    # the site deleted, then undone and redone: the warning goes, comes back, goes
    editor.diagram.select_keys([editor.document.site_keys()[-1]])
    editor.diagram.table.setFocus()
    qtbot.keyClick(editor.diagram.table, Qt.Key.Key_Delete)
    assert len(editor.document) == 4 and not _over(box, editor)
    qtbot.keyClick(editor.diagram.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(editor.document) == 5 and _over(box, editor)
    qtbot.keyClick(editor.diagram.table, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(editor.document) == 4 and not _over(box, editor)
    qtbot.keyClick(editor.diagram.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)

    # one click draws up what the sites take, and the lot stays as it was (none chosen: none picked)
    qtbot.mouseClick(box.draw_up_button, Qt.MouseButton.LeftButton)
    assert box.preparation().total_ml == 6.0 and not _over(box, editor) and box.rows[0].component().lot_number == ""
    # lowering the syringe by hand warns again at once
    spin = box.rows[0].volume
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "4")
    qtbot.keyClick(spin, Qt.Key.Key_Tab)
    assert _over(box, editor) and box.draw_up_button.text() == "Draw up 6 mL"


def test_the_stock_keeper_discards_a_vial_and_an_offer_made_before_is_refused_when_taken(
        qtbot, make_editor, clinic, answers) -> None:  # noqa: ANN001, F811
    """Administration → Formulary & lots → "Open vials…" → "Discard vial…"; the editor on another workstation,
    which read its open vials before, refuses the vial at the click (not after its 30 s re-read)."""
    from PySide6.QtCore import QTimer  # noqa: PLC0415

    from tpi_notes.domain.permissions import Principal, permissions_for  # noqa: PLC0415
    from tpi_notes.ui.admin import AdminWindow  # noqa: PLC0415
    from tpi_notes.ui.admin.open_vials_dialog import OpenVialsDialog  # noqa: PLC0415

    vial = open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-A1", "Room 1",
                                    at=datetime.now().replace(microsecond=0) - timedelta(days=2))
    editor = make_editor()  # the nurse's workstation: the vial is offered
    qtbot.keyClicks(editor.pre.location, "Room 1")
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    _syringes_tab(qtbot, editor)
    row = editor.syringes.box("A").rows[0]
    assert row.open_vial_button.isVisible() and "lot LID-A1" in row.open_vial_button.text()
    until = vial.opened_at + timedelta(days=28)
    assert f"use until {until:%Y-%m-%d %H:%M}" in row.open_vial_button.toolTip()
    assert row.vial_note.text() == f"(use until {until:%Y-%m-%d %H:%M})"  # in sight beside the offer

    clinic.ctx.act_as(Principal("test:admin", "Office Admin", permissions_for(("admin",))))
    window = AdminWindow(clinic.ctx)
    qtbot.addWidget(window)
    window.show()
    window.show_tab("Formulary & lots")
    tab = window.formulary_tab
    assert tab.select_item("lidocaine-1")
    lot_id = next(use.lot.id for use in tab.lot_model.records() if use.lot.lot_number == "LID-A1")
    assert tab.select_lot(lot_id) and tab.open_vials_button.isEnabled()
    seen: dict[str, object] = {}

    def discard() -> None:
        dialog = tab.active_dialog
        assert isinstance(dialog, OpenVialsDialog)
        seen["lines"] = [dialog.vials_view.item(i).text() for i in range(dialog.vials_view.count())]
        qtbot.mouseClick(dialog.discard_button, Qt.MouseButton.LeftButton)
        seen["after"] = dialog.vials_view.count()
        seen["empty"] = not dialog.empty.isHidden()
        dialog.reject()

    QTimer.singleShot(0, discard)
    qtbot.mouseClick(tab.open_vials_button, Qt.MouseButton.LeftButton)
    (line,) = seen["lines"]
    assert line.startswith("In use until") and "Room 1 · opened" in line
    assert seen["after"] == 0 and seen["empty"] is True
    assert answers["calls"][-1][1] == "Discard the open vial"
    assert open_vials.list_open(clinic.ctx) == [] and open_vials.open_of_lot(clinic.ctx, "lidocaine-1", "LID-A1") == []

    clinic.ctx.act_as(Principal("test:nurse", "Ben Ruiz", permissions_for(("nurse",))))
    qtbot.mouseClick(row.open_vial_button, Qt.MouseButton.LeftButton)
    assert row.component().lot_number == ""
    assert "is no longer recorded as open: it was discarded at" in row.error.text()
    assert row.open_vial_button.isHidden()  # read again at once: offered no more
    with pytest.raises(TpiError, match="no longer recorded as open"):
        open_vials.take_open_vial(clinic.ctx, vial.id, clinic.patient_id, datetime.now())


@pytest.mark.parametrize("text", ["hello world", "01" + "1" * 13 + "0" + "10X", "0150123456789002" + "10X",
                                  "(17)281231(10)X", "01" + "10" * 40])
def test_a_scan_that_cannot_be_used_says_why_and_changes_nothing(qtbot, make_editor, ndcs, text: str) -> None:  # noqa: ANN001, F811
    editor = make_editor()
    box, row = _second_row(qtbot, editor)
    before = box.preparation()
    _scan(qtbot, row, text)
    assert row.error.isVisible() and row.error.text().strip()
    assert "pattern" not in row.error.text() and "Failed to" not in row.error.text()
    assert box.preparation() == before and open_vials.list_open(ndcs.ctx) == []
    assert row.scan.text() == ""  # ready for the next scan


def test_a_syringe_left_at_0_ml_is_warned_and_drawn_up_in_one_click(qtbot, make_editor, answers) -> None:  # noqa: ANN001, F811
    """The row's volume typed down to 0 (or a syringe never filled): its sites still take from it, so the box warns
    with the findings panel, and the one click draws up what they take."""
    editor = make_editor()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "L"))
    _syringes_tab(qtbot, editor)
    box = editor.syringes.box("A")
    spin = box.rows[0].volume
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "0")
    qtbot.keyClick(spin, Qt.Key.Key_Tab)
    assert box.preparation().total_ml == 0.0
    assert _over(box, editor) and box.draw_up_button.text() == "Draw up 2 mL"
    qtbot.mouseClick(editor.findings.buttons["finding:syringe_overdrawn:A"], Qt.MouseButton.LeftButton)
    assert box.preparation().total_ml == 2.0 and not _over(box, editor)


def test_a_vial_scanned_for_a_late_entry_is_recorded_opened_when_the_procedure_started(
        qtbot, make_editor, ndcs) -> None:  # noqa: ANN001, F811
    """Charting yesterday's procedure today, the vial scanned was opened for it: not "yesterday 23:59:59"."""
    from tpi_notes.services import drafts  # noqa: PLC0415

    start = (datetime.now() - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    editor = make_editor(replace(drafts.new_draft(ndcs.ctx, ndcs.patient_id), performed_start=start))
    _box, row = _second_row(qtbot, editor)
    _scan(qtbot, row, SCANS["group separators"])
    assert not row.error.isVisible(), row.error.text()
    (vial,) = open_vials.list_open(ndcs.ctx)
    assert vial.opened_at == start and row.component().lot_number == "TRI-77"
