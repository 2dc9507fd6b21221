"""Risks discussed in the editor (issue 13, Build item 4): ticked as soon as a muscle over the lung or a
corticosteroid appears, and unticked only with a reason that is saved with the draft and printed on the note."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import replace  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from test_report_support import add_patient, save_session, setup_clinic  # noqa: E402
from test_ui_editor_fixtures import click_region, discard_and_close, region  # noqa: E402

from tpi_notes.domain.draft import DEFAULT_RISKS, NEAR_LUNG_RISK, STEROID_RISKS  # noqa: E402
from tpi_notes.services import drafts  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui.app import ensure_application  # noqa: E402
from tpi_notes.ui.editor import signing_dialog  # noqa: E402
from tpi_notes.ui.editor.findings_panel import ReasonDialog  # noqa: E402
from tpi_notes.ui.editor.reference import load_reference  # noqa: E402
from tpi_notes.ui.editor.signing_dialog import MissingDialog  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

BUTTOCK = [("gluteus_maximus", "posterior", "R")]


@pytest.fixture
def open_editor(qtbot: QtBot, ctx: AppContext) -> Iterator[Callable[[int], SessionEditor]]:
    opened: list[SessionEditor] = []

    def make(session_id: int) -> SessionEditor:
        draft = drafts.get_draft(ctx, session_id)
        editor = SessionEditor(ctx, draft, load_reference(ctx, draft.patient_id), baseline=draft)
        opened.append(editor)
        editor.resize(1500, 950)
        editor.show()
        qtbot.waitExposed(editor)
        editor.diagram.view.fit()
        return editor

    yield make
    for editor in opened:
        discard_and_close(editor)


@pytest.fixture
def buttock_session(ctx: AppContext) -> int:
    """A saved lidocaine-only session at the right buttock: no lung, no corticosteroid, default risks."""
    ensure_application()
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, allergies=("penicillin",))
    return save_session(ctx, patient.id, doctor, 1, muscles=BUTTOCK, syringe=(("lidocaine-1", 2.0),),
                        consent_risks=DEFAULT_RISKS)


def test_a_muscle_over_the_lung_ticks_pneumothorax_and_unticking_asks_a_reason(
        qtbot: QtBot, ctx: AppContext, buttock_session: int, open_editor: Callable[[int], SessionEditor]) -> None:
    editor = open_editor(buttock_session)
    box = editor.pre.risk_boxes[NEAR_LUNG_RISK]
    assert not box.isChecked()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))  # a new site over the lung
    assert len(editor.current_draft().sites) == 2
    assert box.isChecked() and NEAR_LUNG_RISK in editor.current_draft().consent_risks
    assert not any(editor.pre.risk_boxes[r].isChecked() for r in STEROID_RISKS)  # lidocaine only

    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    editor.tab_pages["pre"].ensureWidgetVisible(box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # on the tick box
    dialog = editor.pre.active_dialog
    assert isinstance(dialog, ReasonDialog) and dialog.isVisible()
    assert box.isChecked()  # nothing unticked while the reason is asked
    dialog.reject()  # cancelled: the box stays ticked
    qtbot.waitUntil(lambda: editor.pre.active_dialog is None)
    assert box.isChecked() and NEAR_LUNG_RISK in editor.current_draft().consent_risks

    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # on the tick box
    dialog = editor.pre.active_dialog
    assert isinstance(dialog, ReasonDialog)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # a blank reason is refused
    assert dialog.isVisible() and box.isChecked()
    reason = "Superficial fibres only, needle angled onto the scapular spine; patient declined the discussion."
    dialog.reason.setPlainText(reason)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.pre.active_dialog is None)
    assert not box.isChecked() and reason in box.toolTip()
    draft = editor.current_draft()
    assert NEAR_LUNG_RISK not in draft.consent_risks
    assert [(o.code, o.subject, o.reason) for o in draft.overrides] == [("risk_not_discussed", NEAR_LUNG_RISK, reason)]
    assert editor.save()
    stored = drafts.get_draft(ctx, buttock_session)
    assert NEAR_LUNG_RISK not in stored.consent_risks  # the service does not tick it again
    assert [(o.code, o.reason) for o in stored.overrides] == [("risk_not_discussed", reason)]
    assessment = editor.findings.refresh_now()
    assert assessment is not None and not [m for m in assessment.missing if "risk_not_discussed" in m.field]
    editor.findings.refresh_now()
    assert box.isChecked() is False  # a refresh after saving does not tick it again


def test_a_saved_draft_with_a_corticosteroid_opens_with_its_risks_ticked(
        qtbot: QtBot, ctx: AppContext, open_editor: Callable[[int], SessionEditor]) -> None:
    ensure_application()
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, allergies=("penicillin",))
    sid = save_session(ctx, patient.id, doctor, 1, muscles=BUTTOCK, consent_risks=DEFAULT_RISKS)  # + triamcinolone
    first = drafts.get_draft(ctx, sid)
    assert set(STEROID_RISKS) <= set(first.consent_risks)  # ticked by the service on saving
    drafts.save_draft(ctx, replace(first, consent_risks=DEFAULT_RISKS))  # unticked without a reason (no editor)
    editor = open_editor(sid)
    assert all(editor.pre.risk_boxes[r].isChecked() for r in STEROID_RISKS)  # the editor ticks them again
    assert editor.isWindowModified()  # and says the draft changed


def test_not_indicated_with_a_lung_site_is_flagged_and_sign_goes_to_the_respiratory_check(
        qtbot: QtBot, ctx: AppContext, open_editor: Callable[[int], SessionEditor],
        monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_application()
    monkeypatch.setattr(signing_dialog, "SignDialog", lambda *_a, **_k: pytest.fail("no password for an incomplete note"))
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, allergies=("penicillin",))
    sid = save_session(ctx, patient.id, doctor, 3, respiratory_check="Not indicated: no muscle over the lung treated")
    editor = open_editor(sid)
    assert editor.post.respiratory_hint.isVisibleTo(editor.post)  # flagged on the form before signing
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    editor.editor_actions.sign.trigger()
    dialog = editor.active_dialog
    assert isinstance(dialog, MissingDialog) and dialog.isVisible()
    items = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    [item] = [text for text in items if "not indicated" in text.lower()]
    rect = dialog.list.visualItemRect(dialog.list.item(items.index(item)))
    qtbot.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert editor.tabs.currentWidget() is editor.tab_pages["post"]
    combo = editor.post.respiratory_check
    qtbot.waitUntil(lambda: combo.hasFocus() or combo.isAncestorOf(QApplication.focusWidget()))
