"""The acceptance walk of issue 16: a routine note charted, signed and its aftercare sheet printed with real widgets
and simulated input only (QTest clicks, key chords, wheel), counted as a user's actions.

Counting: each click, key chord (a key with or without modifiers) and wheel notch is one action; typed characters
are counted apart (``typed``), and the signing PIN apart again (``secret``). Nothing is set by calling a setter:
the clinic, its lots, the open vials of the room and the physician's PIN are made through the services before the
walk starts (that is the clinic as the user finds it), and the print queue is the one boundary replaced: CUPS'
``lp`` is not run, the job it would get is recorded.

(a) A repeat visit copied forward, from the patient selected in the main window to the aftercare print job: at
most 15 actions in all, the PEG and the response to the last session (issue 17) included, plus the PIN and no
other typed character. The last blockers (lots, pain after, respiratory check) are answered in the findings panel,
where they are listed; every click lands on something in sight (not scrolled away).
(b) A new visit of 6 sites (bilateral upper trapezius and levator scapulae, R rhomboid major, L infraspinatus; one
syringe of lidocaine 1 % 5 mL + triamcinolone 40 mg/mL 1 mL): at most 30 actions.
The counts are printed (``-s`` shows them; ``make bench`` reports them from WALK_COUNTS_FILE when set).
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QEvent, QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QComboBox, QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import Clinic, region  # noqa: E402

from tpi_notes import printing  # noqa: E402
from tpi_notes.domain.permissions import Principal  # noqa: E402
from tpi_notes.services import accounts, open_vials, signing_pin  # noqa: E402
from tpi_notes.services import outcomes as outcomes_service  # noqa: E402
from tpi_notes.services import patients as patient_service  # noqa: E402
from tpi_notes.ui.app import create_main_window  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402
from tpi_notes.ui.main_window import MainWindow  # noqa: E402
from tpi_notes.ui.settings import remember_room  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]

PASSWORD = "Walk-the-routine-note-77"
PIN = "482915"
ROOM = "Procedure room 1"
LIMIT_REPEAT, LIMIT_NEW, LIMIT_OUTCOMES = 15, 30, 4


def _in_sight(widget: QWidget, point: QPoint) -> bool:
    """The point lies inside the widget and every widget around it up to the window (not scrolled away)."""
    target: QWidget | None = widget
    while target is not None:
        if not target.rect().contains(widget.mapTo(target, point)):
            return False
        target = None if target.isWindow() else target.parentWidget()
    return True


@dataclass
class Walk:
    """Drives widgets as a user does and counts what it took."""

    qtbot: QtBot
    name: str
    actions: int = 0
    typed: int = 0
    secret: int = 0
    outcomes: int = 0  # of ``actions``: the PEG and the response to the last session (issue 17)
    steps: list[str] = field(default_factory=list)

    def _note(self, what: str, count: int = 1) -> None:
        self.actions += count
        self.steps.append(what)

    def click(self, widget: QWidget, what: str, pos: QPoint | None = None) -> None:
        assert widget.isVisible() and widget.isEnabled(), f"{what}: {widget!r} is not there to click"
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)  # laid out as the user sees it
        point = pos if pos is not None else widget.rect().center()
        # in sight, not scrolled away or covered by its scroll area's edge: a user clicks only what they see
        assert _in_sight(widget, point), f"{what}: {widget!r} is out of sight"
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
        self._note(what)

    def key(self, widget: QWidget, key: Qt.Key, what: str,
            modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        """A key chord where a user's key goes: the open pop-up list if any, else ``widget``."""
        QTest.keyClick(QApplication.activePopupWidget() or widget, key, modifiers)
        self._note(what)

    def type(self, widget: QWidget, text: str, *, secret: bool = False) -> None:
        QTest.keyClicks(widget, text)
        if secret:
            self.secret += len(text)
        else:
            self.typed += len(text)
        self.steps.append(f"type {'•' * len(text) if secret else repr(text)}")
        QApplication.processEvents()

    def tab(self, editor: SessionEditor, page: str) -> None:
        bar = editor.tabs.tabBar()
        self.click(bar, f"tab {page}", bar.tabRect(editor.tabs.indexOf(editor.tab_pages[page])).center())

    def pick(self, combo: QComboBox, text: str | None = None, data: str | None = None) -> None:
        """Open a drop-down and click one of its entries (by text or by data): two actions."""
        self.settle(combo.window())
        arrow = QPoint(combo.width() - 10, combo.height() // 2)  # an editable one opens from its arrow
        self.click(combo, f"open {combo.objectName() or 'list'}", arrow if combo.isEditable() else None)
        view = combo.view()
        self.qtbot.waitUntil(view.isVisible)
        index = combo.findText(text) if text is not None else combo.findData(data)
        assert index >= 0, text or data
        rect = view.visualRect(combo.model().index(index, 0))
        self.qtbot.wait(QApplication.doubleClickInterval() + 50)  # Qt ignores a release this soon after opening
        self.click(view.viewport(), f"choose {text or data!r}", rect.center())
        self.qtbot.waitUntil(lambda: not view.isVisible())
        # the offscreen platform leaves the closed list active; a desktop gives the window back (not an action)
        combo.window().activateWindow()
        self.qtbot.waitUntil(lambda: QApplication.activeWindow() is combo.window())

    def settle(self, window: QWidget) -> None:
        """Let the window be the active one again after a dialog or list closed (the offscreen platform is slower
        to hand activation back than a desktop; a pop-up list opened meanwhile would close at once). Not an
        action: the user does nothing."""
        self.qtbot.wait(50)
        if QApplication.activeWindow() is not window:
            window.activateWindow()
            self.qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        last = window.focusWidget()  # where the keyboard was: a desktop gives it back with the window
        if QApplication.focusWidget() is None and last is not None:
            last.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def report(self) -> str:
        return (f"walk {self.name}: {self.actions} actions (clicks, key chords, wheel notches; {self.outcomes} of them "
                f"the PEG and the response to the last session), {self.typed} typed characters, PIN {self.secret} digits")


@dataclass
class Desk:
    """The clinic as the physician finds it, and the main window with the patient selected."""

    clinic: Clinic
    window: MainWindow
    jobs: list[dict[str, Any]]


@pytest.fixture
def desk(qtbot: QtBot, clinic: Clinic, monkeypatch: pytest.MonkeyPatch, answers: dict) -> Desk:
    ctx = clinic.ctx
    accounts.set_password(ctx, clinic.physician_id, PASSWORD)
    # this morning's multi-dose lidocaine vial in the room (triamcinolone comes in single-dose vials: its lot is
    # chosen from the list for each patient)
    open_vials.record_opened(ctx, "lidocaine-1", "LID-A1", ROOM, at=datetime.now() - timedelta(hours=1))
    ctx.act_as(Principal.for_user(clinic.physician_id, "ahart", "Amelia Hart", ("physician",)))
    signing_pin.set_signing_pin(ctx, PASSWORD, PIN)
    remember_room(ROOM)  # the room this workstation charts in
    jobs: list[dict[str, Any]] = []

    def send_pdf(pdf: bytes, queue: str, *, paper: str, title: str, **_kw: Any) -> SimpleNamespace:
        jobs.append({"pdf": pdf, "queue": queue, "paper": paper, "title": title})
        return SimpleNamespace(job_id=f"{queue}-{len(jobs)}")

    monkeypatch.setattr(printing, "default_queue", lambda: "Front-desk")
    monkeypatch.setattr(printing, "send_pdf", send_pdf)
    window = create_main_window(ctx)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.patient_list.select_patient(clinic.patient_id)  # where the walk starts: the patient selected
    qtbot.waitUntil(lambda: window.current_patient is not None)
    return Desk(clinic, window, jobs)


def _editor(qtbot: QtBot, window: MainWindow) -> SessionEditor:
    qtbot.waitUntil(lambda: bool(window.editors))
    editor = window.editors[-1]
    # the walk is on a 1600 × 1000 screen's worth; the editor opens no larger than its screen (H32), and the
    # offscreen one is 800 × 800
    editor.resize(1600, 1000)
    qtbot.waitExposed(editor)
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    return editor


def _region_point(editor: SessionEditor, muscle: str, side: str) -> QPoint:
    reg = region(muscle, "posterior", side)
    return editor.diagram.view.mapFromScene(editor.diagram.scene.scene_point(reg.view, *reg.anchor))


def _phrase(walk: Walk, qtbot: QtBot, editor: SessionEditor, box: QWidget, what: str) -> None:
    """Click into a free-text field, F2 for its phrases, Enter inserts the first."""
    walk.click(box, f"into {what}")
    walk.key(box, Qt.Key.Key_F2, f"phrases for {what}")
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None
                    or any(w.objectName() == "phrase_picker" and w.isVisible() for w in QApplication.topLevelWidgets()))
    picker = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "phrase_picker" and w.isVisible())
    walk.key(picker.filter, Qt.Key.Key_Return, f"insert the first {what} phrase")
    qtbot.waitUntil(lambda: not picker.isVisible())


def _answer(qtbot: QtBot, editor: SessionEditor, name: str) -> QWidget:
    """A sign blocker's inline answer in the findings panel (shown once the panel caught up; not an action)."""
    panel = editor.findings

    def shown() -> QWidget | None:
        widget = panel.findChild(QWidget, name)
        ready = widget is not None and widget.isVisible() and not panel.timer.isActive()
        return widget if ready else None

    qtbot.waitUntil(lambda: shown() is not None)
    widget = shown()
    assert widget is not None
    return widget


def _sign_and_print(walk: Walk, qtbot: QtBot, editor: SessionEditor, desk: Desk) -> None:
    button = editor.editor_actions.toolbar.widgetForAction(editor.editor_actions.sign)
    walk.click(button, "Sign")
    qtbot.waitUntil(lambda: editor.active_dialog is not None and editor.active_dialog.isVisible())
    dialog = editor.active_dialog
    missing = [dialog.list.item(i).text() for i in range(dialog.list.count())] if hasattr(dialog, "list") else []
    assert dialog.objectName() == "sign_dialog", f"not ready to sign: {missing}"
    walk.type(dialog.secret, PIN, secret=True)
    walk.key(dialog.secret, Qt.Key.Key_Return, "Enter: sign and print the aftercare sheet")
    qtbot.waitUntil(lambda: bool(desk.jobs), timeout=20000)


def walk_new_visit(qtbot: QtBot, desk: Desk, walk: Walk) -> SessionEditor:
    """(b): a new visit of six sites, one syringe of two drugs, from the patient selected to the print job."""
    window = desk.window
    walk.key(window, Qt.Key.Key_N, "Ctrl+Shift+N: new session",
             Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    editor = _editor(qtbot, window)
    pre, post = editor.pre, editor.post
    entry = editor.diagram.entry
    assert entry.muscle.hasFocus()  # a new session opens with the keyboard in the add-site box
    walk.type(entry.muscle, "upper trap")
    walk.key(entry.muscle, Qt.Key.Key_Return, "Enter: upper trapezius, both sides")
    walk.type(entry.muscle, "levator")
    walk.key(entry.muscle, Qt.Key.Key_Return, "Enter: levator scapulae, both sides")
    view = editor.diagram.view.viewport()
    walk.click(view, "R rhomboid major on the diagram", _region_point(editor, "rhomboid_major", "R"))
    walk.click(view, "L infraspinatus on the diagram", _region_point(editor, "infraspinatus", "L"))
    assert len(editor.document) == 6
    assert editor.tabs.currentWidget() is editor.tab_pages["pre"]  # adding sites left the form in view

    walk.click(pre.all_found.buttons[False], "exam: all treated muscles, taut band + tender spot")
    _phrase(walk, qtbot, editor, pre.indication, "indication")
    def offered() -> list[QWidget]:
        return [b for b in editor.findChildren(QWidget) if b.objectName().startswith("suggest_") and b.isVisible()]

    qtbot.waitUntil(lambda: bool(offered()))  # the codes for the treated muscles
    suggested = offered()
    walk.click(suggested[0], f"diagnosis {suggested[0].objectName().removeprefix('suggest_')}")
    _phrase(walk, qtbot, editor, pre.conservative_care, "conservative care")
    walk.pick(pre.consent_type, "Verbal")
    walk.click(pre.timeout_at.now_button, "time-out: Now")
    walk.click(pre.pain_before.buttons[7], "pain before 7")

    walk.tab(editor, "syringes")
    box = editor.syringes.box("A")
    assert box is not None
    walk.click(box.add_button, "+ Add drug")
    triamcinolone = box.rows[1]
    qtbot.waitUntil(triamcinolone.item.hasFocus)
    walk.type(triamcinolone.item, "tri")  # the list's own search: Triamcinolone acetonide 10 mg/mL …
    walk.key(triamcinolone.item, Qt.Key.Key_Down, "↓: … 40 mg/mL")
    assert triamcinolone.component().item_code == "triamcinolone-40"

    # the last blockers answered where the findings panel lists them
    lots = _answer(qtbot, editor, "answer_lots")
    words = lots.accessibleName()
    assert "LID-A1 (open vial" in words and "TRI-77 (the only in-date lot)" in words, words
    walk.click(lots, "lots: use LID-A1 (open vial) · TRI-77 (the only in-date lot) [findings panel]")
    assert [row.component().lot_number for row in box.rows] == ["LID-A1", "TRI-77"]
    walk.click(_answer(qtbot, editor, "answer_pain_after").buttons[2], "pain after 2 [findings panel]")
    walk.click(_answer(qtbot, editor, "answer_respiratory_check_0"),
               "respiratory check: breath sounds equal [findings panel]")
    assert post.pain_after.value() == 2 and post.respiratory_check.currentText().startswith("Breath")
    _sign_and_print(walk, qtbot, editor, desk)
    return editor


def walk_repeat_visit(qtbot: QtBot, desk: Desk, walk: Walk) -> None:
    """(a): the next visit copied forward from the last one, from the patient selected to the print job."""
    walk.key(desk.window, Qt.Key.Key_R, "Ctrl+Shift+R: repeat last session",
             Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    editor = _editor(qtbot, desk.window)
    assert len(editor.document) == 6 and editor.carried.bar.isVisible()
    walk.click(editor.carried.confirm_button, "confirm the carried frame")
    # issue 17: a returning patient's session opens on the PEG and the response to the last session
    assert editor.tabs.currentWidget() is editor.tab_pages["outcomes"]
    before = walk.actions
    for item, value in (("pain", 4), ("enjoyment", 3), ("activity", 3)):
        walk.click(editor.outcomes.findChild(QWidget, f"peg_{item}_{value}"), f"PEG {item} {value}")
    walk.click(editor.outcomes.findChild(QWidget, "response_all_70"), "every muscle: 70 % relief, still lasting")
    walk.outcomes = walk.actions - before
    walk.tab(editor, "pre")
    walk.click(editor.pre.all_found.buttons[False], "exam: all treated muscles")
    walk.click(editor.pre.timeout_at.now_button, "time-out: Now")
    walk.click(editor.pre.pain_before.buttons[6], "pain before 6")
    # the last blockers answered where the findings panel lists them (no tab hunting)
    lots = _answer(qtbot, editor, "answer_lots")
    words = lots.accessibleName()
    assert "LID-A1 (open vial" in words and "TRI-77 (used here" in words, words
    walk.click(lots, "lots: use LID-A1 (open vial) · TRI-77 (used here) [findings panel]")
    walk.click(_answer(qtbot, editor, "answer_pain_after").buttons[2], "pain after 2 [findings panel]")
    walk.click(_answer(qtbot, editor, "answer_respiratory_check_0"),
               "respiratory check: breath sounds equal [findings panel]")
    box = editor.syringes.box("A")
    assert box is not None and [row.component().lot_number for row in box.rows] == ["LID-A1", "TRI-77"]
    assert editor.post.pain_after.value() == 2 and editor.post.respiratory_check.currentText().startswith("Breath")
    _sign_and_print(walk, qtbot, editor, desk)


def _record(walk: Walk) -> None:
    print("\n" + walk.report())
    print("  " + "; ".join(walk.steps))
    target = os.environ.get("WALK_COUNTS_FILE")
    if target:  # make bench collects them
        counts = json.loads(open(target).read()) if os.path.exists(target) else {}  # noqa: SIM115, PTH123
        counts[walk.name] = {"actions": walk.actions, "typed": walk.typed, "pin": walk.secret,
                             "outcomes": walk.outcomes}
        with open(target, "w") as out:  # noqa: PTH123
            json.dump(counts, out)


def _signed_sessions(desk: Desk) -> int:
    sessions = patient_service.list_patient_sessions(desk.clinic.ctx, desk.clinic.patient_id)
    return sum(1 for s in sessions if s.status == "signed")


def _check_print(desk: Desk) -> None:
    job = desk.jobs[-1]
    assert job["queue"] == "Front-desk" and job["pdf"].startswith(b"%PDF") and "Aftercare" in job["title"]
    assert job["paper"] == "letter"  # the clinic's paper (Letter unless set to A4)


def test_b_a_new_six_site_visit_is_charted_signed_and_printed_in_30_actions(qtbot: QtBot, desk: Desk) -> None:
    walk = Walk(qtbot, "new visit (b)")
    walk_new_visit(qtbot, desk, walk)
    _record(walk)
    assert _signed_sessions(desk) == 1
    _check_print(desk)
    assert walk.actions <= LIMIT_NEW, walk.report()


def test_a_a_repeat_visit_copied_forward_is_signed_and_printed_in_15_actions(qtbot: QtBot, desk: Desk) -> None:
    walk_new_visit(qtbot, desk, Walk(qtbot, "setup: the last visit"))  # the session to copy forward
    qtbot.waitUntil(lambda: _signed_sessions(desk) == 1)
    desk.window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is desk.window)
    desk.window.patient_list.select_patient(desk.clinic.patient_id)
    walk = Walk(qtbot, "repeat visit (a)")
    walk_repeat_visit(qtbot, desk, walk)
    _record(walk)
    assert _signed_sessions(desk) == 2 and len(desk.jobs) == 2
    _check_print(desk)
    assert walk.typed == 0 and walk.secret == len(PIN)
    # the whole visit, the PEG and the responses (issue 17) included, within issue 16's 15 actions
    assert walk.actions <= LIMIT_REPEAT, walk.report()
    assert walk.outcomes <= LIMIT_OUTCOMES, walk.report()
    found = outcomes_service.patient_outcomes(desk.clinic.ctx, desk.clinic.patient_id)
    assert [round(score, 1) for _at, score in found.peg] == [3.3]  # (4 + 3 + 3) / 3, signed with the repeat visit
    assert found.muscles and all(m.response is not None and m.response.relief_pct == 70 and m.response.lasting
                                 for m in found.muscles), found.text()
