"""A discarded open vial is offered no more, at once (issue 16 follow-up): discarding it in its syringe row takes it
out of every row's offer and out of the findings panel's lots answer in the same step, without waiting for the
open vials to be read again (they are re-read only every 30 s); a vial found discarded elsewhere when taken is
read again at once too. Real widgets, QTest clicks; the confirmation is answered by the ``answers`` fixture.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QEvent, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from sqlalchemy import select, update  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import Clinic  # noqa: E402

from tpi_notes.db.models import AuditEvent  # noqa: E402
from tpi_notes.db.models import OpenVial as VialRow  # noqa: E402
from tpi_notes.domain.errors import NotFoundError  # noqa: E402
from tpi_notes.domain.permissions import PermissionDenied, Principal  # noqa: E402
from tpi_notes.domain.session import Component, Preparation  # noqa: E402
from tpi_notes.services import drafts, open_vials  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]

ROOM = "Procedure room 1"
TWO_DRUGS = Preparation("A", (Component("lidocaine-1", 5.0), Component("triamcinolone-40", 1.0)))
TRI_ONLY = "Use Triamcinolone acetonide 40 mg/mL TRI-77 (the only in-date lot)"


def _editor(make_editor, clinic: Clinic, *preparations: Preparation) -> SessionEditor:  # noqa: ANN001
    draft = replace(drafts.new_draft(clinic.ctx, clinic.patient_id), location=ROOM, preparations=preparations)
    editor = make_editor(draft)
    editor.resize(1600, 1000)
    editor.activateWindow()
    QApplication.processEvents()
    return editor


def _lots_words(qtbot: QtBot, editor: SessionEditor) -> str:
    """The findings panel's lots answer as it stands once the panel caught up ("" when none is offered)."""
    panel = editor.findings
    qtbot.waitUntil(lambda: not panel.timer.isActive())
    return _now_offered(editor)


def _now_offered(editor: SessionEditor) -> str:
    """The lots answer the panel shows this moment (one replaced is hidden until Qt deletes it)."""
    shown = [b for b in editor.findings.findChildren(QWidget, "answer_lots") if b.isVisible()]
    assert len(shown) <= 1
    return shown[0].words() if shown else ""


def _click(widget: QWidget) -> None:
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)
    assert widget.isVisible() and widget.isEnabled(), widget
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def _syringes_tab(editor: SessionEditor) -> None:
    bar = editor.tabs.tabBar()
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(editor.tabs.indexOf(
        editor.tab_pages["syringes"])).center())
    assert editor.tabs.currentWidget() is editor.tab_pages["syringes"]


def test_discarding_the_open_vial_in_its_row_withdraws_every_offer_of_it_at_once(  # noqa: ANN001
        qtbot: QtBot, make_editor, clinic: Clinic, answers: dict) -> None:
    vial = open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-A1", ROOM, at=datetime.now() - timedelta(hours=1))
    editor = _editor(make_editor, clinic, TWO_DRUGS, Preparation("B", (Component("lidocaine-1", 2.0),)))
    assert "Lidocaine 1 % LID-A1 (open vial, Procedure room 1)" in _lots_words(qtbot, editor)
    _syringes_tab(editor)
    row, other = editor.syringes.box("A").rows[0], editor.syringes.box("B").rows[0]
    assert other.open_vial_button.isVisible()  # syringe B is offered the same vial

    _click(row.discard_button)
    kind, _title, text = answers["calls"][-1]
    assert kind == "question" and "Lidocaine 1 %" in text and "LID-A1" in text  # names what it ends
    # the same step: no 30 s re-read, no debounced refresh pending — the panel offers only what is left
    assert not editor.findings.timer.isActive()
    QApplication.processEvents()  # the replaced answers are shown (Qt shows new children with the next events)
    assert _now_offered(editor) == TRI_ONLY
    assert not row.open_vial_button.isVisible() and not other.open_vial_button.isVisible()
    assert not row.discard_button.isVisible()
    assert open_vials.list_open(clinic.ctx) == []
    with clinic.ctx.read() as s:
        assert s.scalar(select(VialRow.discarded_at).where(VialRow.id == vial.id)) is not None
        details = s.scalars(select(AuditEvent.detail).where(AuditEvent.entity == "open_vial",
                                                            AuditEvent.entity_id == vial.id)).all()
    assert any("lot LID-A1" in d and d.endswith("discarded") for d in details)
    assert editor.current_draft().preparations[0].components[0].lot_number == ""  # the draft is untouched
    assert not editor.isWindowModified()


def test_a_vial_drawn_from_is_discarded_and_its_lot_stays_chosen(  # noqa: ANN001
        qtbot: QtBot, make_editor, clinic: Clinic, answers: dict) -> None:
    open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-A1", ROOM, at=datetime.now() - timedelta(hours=1))
    editor = _editor(make_editor, clinic, Preparation("A", (Component("lidocaine-1", 5.0),)),
                     Preparation("B", (Component("lidocaine-1", 2.0),)))
    _syringes_tab(editor)
    row, other = editor.syringes.box("A").rows[0], editor.syringes.box("B").rows[0]
    _click(row.open_vial_button)  # the last of it drawn up for this syringe
    assert row.component().lot_number == "LID-A1" and row.vial_note.text().startswith("Drawn from the open vial")
    _click(row.discard_button)  # then the empty vial goes in the bin
    assert row.component().lot_number == "LID-A1"  # what was drawn is what the note records
    assert not row.vial_note.text() and not other.open_vial_button.isVisible()
    assert _lots_words(qtbot, editor) == ""  # syringe B: two in-date lidocaine lots, none offered


def test_no_is_no_discard(qtbot: QtBot, make_editor, clinic: Clinic, answers: dict) -> None:  # noqa: ANN001
    open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-A1", ROOM, at=datetime.now() - timedelta(hours=1))
    editor = _editor(make_editor, clinic, TWO_DRUGS)
    _syringes_tab(editor)
    answers["question"] = QMessageBox.StandardButton.No
    _click(editor.syringes.box("A").rows[0].discard_button)
    assert len(open_vials.list_open(clinic.ctx)) == 1
    assert "LID-A1 (open vial" in _lots_words(qtbot, editor)


def test_a_vial_found_discarded_elsewhere_when_taken_is_offered_no_more(  # noqa: ANN001
        qtbot: QtBot, make_editor, clinic: Clinic) -> None:
    vial = open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-A1", ROOM, at=datetime.now() - timedelta(hours=1))
    editor = _editor(make_editor, clinic, TWO_DRUGS)
    assert "LID-A1 (open vial" in _lots_words(qtbot, editor)
    with clinic.ctx.transaction() as s:  # discarded on another workstation meanwhile
        s.execute(update(VialRow).where(VialRow.id == vial.id).values(discarded_at=datetime.now()))
    button = next(b for b in editor.findings.findChildren(QWidget, "answer_lots") if b.isVisible())
    editor.findings.scroll.ensureWidgetVisible(button)
    _click(button)
    assert "no longer recorded as open" in editor.findings.answer_error.text()
    # read again the moment it was found gone: not offered again for the next 30 s
    assert _lots_words(qtbot, editor) == ""
    assert not editor.syringes.box("A").rows[0].open_vial_button.isVisible()


def test_a_vial_past_its_limit_is_discarded_where_the_row_says_to(  # noqa: ANN001
        qtbot: QtBot, make_editor, clinic: Clinic, answers: dict) -> None:
    open_vials.record_opened(clinic.ctx, "lidocaine-1", "LID-A1", ROOM, at=datetime.now() - timedelta(days=30))
    editor = _editor(make_editor, clinic, Preparation("A", (Component("lidocaine-1", 5.0),)))
    _syringes_tab(editor)
    row = editor.syringes.box("A").rows[0]
    assert "Discard it and open a new vial" in row.vial_note.text() and not row.open_vial_button.isVisible()
    _click(row.discard_button)
    assert "LID-A1" in answers["calls"][-1][2]
    assert open_vials.list_open(clinic.ctx) == []
    assert not row.vial_note.text() and not row.discard_button.isVisible()


def test_discarding_is_for_who_prepares_drafts_and_happens_once(clinic: Clinic) -> None:
    ctx = clinic.ctx
    vial = open_vials.record_opened(ctx, "lidocaine-1", "LID-A1", ROOM, at=datetime.now() - timedelta(hours=1))
    ctx.act_as(Principal.operating_system("someone"))  # reads, prints, exports: never changes the stock records
    with pytest.raises(PermissionDenied):
        open_vials.discard_open_vial(ctx, vial.id)
    ctx.act_as(Principal.for_user(clinic.nurse_id, "bruiz", "Ben Ruiz", ("nurse",)))
    gone = open_vials.discard_open_vial(ctx, vial.id)
    assert gone.lot_number == "LID-A1"
    with pytest.raises(NotFoundError, match="no longer recorded as open"):  # twice (another workstation too)
        open_vials.discard_open_vial(ctx, vial.id)
