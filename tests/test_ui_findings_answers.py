"""Sign blockers answered where the findings panel lists them (issue 16: the repeat visit in 15 actions).

Real widgets, user input only (QTest clicks and keys): the lots button names the lots it offers and fills exactly
those drugs, as choosing them in the syringe rows would; an expired, retired or unregistered lot is never offered;
a drug without a candidate stays blocked; the pain-after row and the respiratory findings set their fields and the
blocker goes; Ctrl+Z takes an answer back.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QEvent, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from sqlalchemy import update  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import Clinic, click_region, region  # noqa: E402

from tpi_notes.db.models import Lot as LotRow  # noqa: E402
from tpi_notes.db.models import OpenVial as VialRow  # noqa: E402
from tpi_notes.db.models import ProcedureSession as SessionRow  # noqa: E402
from tpi_notes.domain.formulary import Lot  # noqa: E402
from tpi_notes.domain.lot_offers import LastUse, offer_lot  # noqa: E402
from tpi_notes.domain.open_vials import OpenVial  # noqa: E402
from tpi_notes.domain.session import Component, Preparation  # noqa: E402
from tpi_notes.services import drafts, lot_offers, open_vials  # noqa: E402
from tpi_notes.ui.editor.reference import load_reference  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]

ROOM = "Procedure room 1"
LOT_A0, LOT_A1, LOT_B0 = "preparations[A].0.lot_number", "preparations[A].1.lot_number", "preparations[B].0.lot_number"


def _editor(make_editor, clinic: Clinic, *preparations: Preparation) -> SessionEditor:  # noqa: ANN001
    draft = replace(drafts.new_draft(clinic.ctx, clinic.patient_id), location=ROOM, preparations=preparations)
    editor = make_editor(draft)
    editor.resize(1600, 1000)
    editor.activateWindow()
    QApplication.processEvents()
    return editor


def _shown(qtbot: QtBot, editor: SessionEditor, name: str) -> QWidget:
    """The inline answer once the panel caught up with the last change."""
    panel = editor.findings

    def found() -> QWidget | None:
        widget = panel.findChild(QWidget, name)
        return widget if widget is not None and widget.isVisible() and not panel.timer.isActive() else None

    qtbot.waitUntil(lambda: found() is not None)
    # laid out where the user sees it: a click is delivered to whatever the window shows at that point
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)
    widget = found()
    assert widget is not None
    panel.scroll.ensureWidgetVisible(widget)  # the user scrolls the panel to it (the walk counts that case)
    QApplication.processEvents()
    return widget


def _lots(editor: SessionEditor) -> dict[str, list[str]]:
    return {box.label: [row.component().lot_number for row in box.rows] for box in editor.syringes.boxes}


def _settled(qtbot: QtBot, editor: SessionEditor) -> None:
    qtbot.waitUntil(lambda: not editor.findings.timer.isActive())
    editor.findings.refresh_now()


def _undo(editor: SessionEditor) -> None:
    QTest.keyClick(QApplication.focusWidget() or editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def test_the_lots_button_names_the_offered_lots_and_fills_exactly_those(qtbot: QtBot, make_editor,  # noqa: ANN001
                                                                         clinic: Clinic) -> None:
    open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-A1", ROOM, at=datetime.now() - timedelta(hours=1))
    editor = _editor(make_editor, clinic,
                     Preparation("A", (Component("lidocaine-1", 5.0), Component("triamcinolone-40", 1.0))),
                     Preparation("B", (Component("saline-0.9", 2.0),)))  # saline: no lot registered at all
    button = _shown(qtbot, editor, "answer_lots")
    words = button.words()
    assert "Lidocaine 1 % LID-A1 (open vial, Procedure room 1)" in words
    assert "Triamcinolone acetonide 40 mg/mL TRI-77 (the only in-date lot)" in words
    assert "saline" not in words.lower()  # it names only what it fills
    assert not editor.isWindowModified()

    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert _lots(editor) == {"A": ["LID-A1", "TRI-77"], "B": [""]}
    lidocaine = editor.syringes.box("A").rows[0]
    assert lidocaine.vial_note.text().startswith("Drawn from the open vial: lot LID-A1")  # as the row's own button
    assert editor.isWindowModified()
    _settled(qtbot, editor)
    blockers = editor.findings.blockers
    assert LOT_A0 not in blockers and LOT_A1 not in blockers
    assert LOT_B0 in blockers  # no candidate: left for the Syringes tab
    assert "lots" not in editor.findings.answers  # nothing left to offer

    _undo(editor)  # one step takes both lots back, and their blockers return
    assert _lots(editor) == {"A": ["", ""], "B": [""]}
    _settled(qtbot, editor)
    assert LOT_A0 in editor.findings.blockers and LOT_A1 in editor.findings.blockers
    assert editor.current_draft().preparations[0].components[1].lot_number == ""


def test_an_expired_retired_or_unlisted_lot_is_never_offered(qtbot: QtBot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    # lidocaine has LID-OLD (expired), LID-A1 and LID-B2 (in date) and no open vial: two candidates, none offered
    editor = _editor(make_editor, clinic, Preparation("A", (Component("lidocaine-1", 5.0),)))
    _settled(qtbot, editor)
    assert LOT_A0 in editor.findings.blockers
    assert editor.findings.findChild(QWidget, "answer_lots") is None
    # LID-B2 recalled (retired): LID-A1 is the only in-date lot on the list; LID-OLD, expired, never counts
    with clinic.ctx.transaction() as s:
        s.execute(update(LotRow).where(LotRow.lot_number == "LID-B2").values(retired=True))
    retired = _editor(make_editor, clinic, Preparation("A", (Component("lidocaine-1", 5.0),)))
    words = _shown(qtbot, retired, "answer_lots").words()
    assert "LID-A1 (the only in-date lot)" in words and "LID-B2" not in words and "LID-OLD" not in words


def test_the_lot_rule_skips_expired_retired_and_unlisted_lots() -> None:
    day = date(2026, 12, 3)
    lots = [Lot("lidocaine-1", "OLD", day - timedelta(days=1)), Lot("lidocaine-1", "NEW", day + timedelta(days=90)),
            Lot("lidocaine-1", "GONE", day + timedelta(days=90), retired=True)]
    vial = OpenVial(1, "lidocaine-1", "Lidocaine 1 %", "OLD", day - timedelta(days=1), "", ROOM,
                    datetime(2026, 12, 3, 8), "Ben Ruiz", False)
    used = [LastUse("lidocaine-1", "GONE", day, True), LastUse("lidocaine-1", "ELSEWHERE", day, False)]
    # an open vial of an expired lot, a last use of a retired lot, a lot not on the list: the only in-date lot
    offer = offer_lot("lidocaine-1", day, lots, open_vial=vial, last_uses=used)
    assert offer is not None and (offer.lot_number, offer.why) == ("NEW", "the only in-date lot")
    # this room's last use beats the clinic's, which beats the only-lot rule
    lots.append(Lot("lidocaine-1", "OTHER", day + timedelta(days=30)))
    used += [LastUse("lidocaine-1", "OTHER", day - timedelta(days=9), False),
             LastUse("lidocaine-1", "NEW", day - timedelta(days=20), True)]
    offer = offer_lot("lidocaine-1", day, lots, last_uses=used)
    assert offer is not None and (offer.lot_number, offer.why) == ("NEW", f"used here {day - timedelta(days=20)}")
    assert offer_lot("lidocaine-1", day, lots) is None  # two in-date lots and no history: the user chooses
    assert offer_lot("lidocaine-1", day + timedelta(days=91), lots) is None  # all expired by then


def test_pain_after_and_the_respiratory_check_are_answered_in_the_panel(qtbot: QtBot, make_editor,  # noqa: ANN001
                                                                        clinic: Clinic) -> None:
    editor = _editor(make_editor, clinic)
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))  # over the lung: a check is required
    post = editor.post

    pain = _shown(qtbot, editor, "answer_pain_after")
    QTest.mouseClick(pain.buttons[3], Qt.MouseButton.LeftButton)
    assert post.pain_after.value() == 3 and post.pain_after.buttons[3].isChecked()  # the field on its tab
    _settled(qtbot, editor)
    assert "pain_after" not in editor.findings.blockers

    check = _shown(qtbot, editor, "answer_respiratory_check_0")
    assert check.text() == "Breath sounds equal"
    QTest.mouseClick(check, Qt.MouseButton.LeftButton)
    assert post.respiratory_check.currentText() == "Breath sounds equal, no shortness of breath"
    assert editor.current_draft().respiratory_check == "Breath sounds equal, no shortness of breath"
    _settled(qtbot, editor)
    assert "respiratory_check" not in editor.findings.blockers
    assert "respiratory_check" not in editor.findings.answers

    _undo(editor)  # the respiratory answer goes back, its blocker and its buttons return
    assert post.respiratory_check.currentText() == ""
    _shown(qtbot, editor, "answer_respiratory_check_0")
    assert "respiratory_check" in editor.findings.blockers
    _undo(editor)
    assert post.pain_after.optional_value() is None
    _shown(qtbot, editor, "answer_pain_after")
    assert editor.current_draft().pain_after is None


def test_undo_leaves_a_later_entry_alone(qtbot: QtBot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = _editor(make_editor, clinic)
    pain = _shown(qtbot, editor, "answer_pain_after")
    QTest.mouseClick(pain.buttons[4], Qt.MouseButton.LeftButton)
    editor.tabs.setCurrentWidget(editor.tab_pages["post"])
    QTest.mouseClick(editor.post.pain_after.buttons[5], Qt.MouseButton.LeftButton)  # changed on the tab since
    _undo(editor)
    assert editor.post.pain_after.value() == 5


def _signed_session(clinic: Clinic, room: str, lot: str, days_ago: int, *, sign: bool = True) -> None:
    """A session of ``room`` that drew lidocaine from ``lot``; signed as the signing service leaves it."""
    draft = drafts.new_draft(clinic.ctx, clinic.patient_id)
    start = draft.performed_start - timedelta(days=days_ago)
    saved = drafts.save_draft(clinic.ctx, replace(
        draft, location=room, performed_start=start, physician_id=clinic.physician_id,
        preparations=(Preparation("A", (Component("lidocaine-1", 5.0, lot),)),)))
    if sign:  # only the status matters here; the signing service's checks are tested elsewhere
        with clinic.ctx.transaction() as s:
            s.execute(update(SessionRow).where(SessionRow.id == saved.id).values(
                status="signed", signed_by_id=clinic.physician_id, signed_at=datetime.now(),
                content_sha256="0" * 64))


def test_the_lot_last_used_here_comes_before_the_clinics_and_a_draft_does_not_count(clinic: Clinic) -> None:
    _signed_session(clinic, "procedure  ROOM 1", "LID-A1", 10)  # this room, written otherwise
    _signed_session(clinic, "Exam room 3", "LID-B2", 2)  # later, in another room
    _signed_session(clinic, ROOM, "LID-B2", 0, sign=False)  # a draft: nobody confirmed it yet
    used = lot_offers.last_used_lots(clinic.ctx, ROOM)
    day = date.today()
    assert {(u.lot_number, u.here, u.used_on) for u in used} == {
        ("LID-A1", True, day - timedelta(days=10)), ("LID-B2", False, day - timedelta(days=2))}
    lots = load_reference(clinic.ctx, clinic.patient_id).lots
    offer = offer_lot("lidocaine-1", day, lots, last_uses=used)
    assert offer is not None and (offer.lot_number, offer.why) == ("LID-A1", f"used here {day - timedelta(days=10)}")
    elsewhere = offer_lot("lidocaine-1", day, lots, last_uses=lot_offers.last_used_lots(clinic.ctx, "Exam room 9"))
    assert elsewhere is not None and elsewhere.why == f"used in the clinic {day - timedelta(days=2)}"


def test_an_open_vial_gone_since_it_was_offered_is_refused_and_said(qtbot: QtBot, make_editor,  # noqa: ANN001
                                                                    clinic: Clinic) -> None:
    vial = open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-A1", ROOM, at=datetime.now() - timedelta(hours=1))
    editor = _editor(make_editor, clinic,
                     Preparation("A", (Component("lidocaine-1", 5.0), Component("triamcinolone-40", 1.0))))
    button = _shown(qtbot, editor, "answer_lots")
    assert "LID-A1 (open vial" in button.words()
    with clinic.ctx.transaction() as s:  # discarded on another workstation meanwhile
        s.execute(update(VialRow).where(VialRow.id == vial.id).values(discarded_at=datetime.now()))
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert _lots(editor) == {"A": ["", "TRI-77"]}  # the vial is re-read, as the row's own button does
    error = editor.findings.answer_error
    assert error.isVisible() and "no longer recorded as open" in error.text()
    _settled(qtbot, editor)
    assert LOT_A0 in editor.findings.blockers and LOT_A1 not in editor.findings.blockers
