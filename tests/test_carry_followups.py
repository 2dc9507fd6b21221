"""H34: two defects of a repeat visit seen in a real window (H31's walk, screenshots 28/29).

1. Confirming the carried fields hid the bar above the forms: the tabs and everything under it jumped up about
   60 px, and the user's next click landed on another tab than the one aimed at. The bar now keeps its height
   and says the fields were confirmed (with an Undo) until the next save.
2. The ICD-10 chips still offered "+ M79.12" when M79.12 was already a (carried) diagnosis: the carried codes
   were loaded without telling the suggestions. A chosen code is never offered, whatever its spelling, and
   comes back when removed.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402

import pytest  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QToolButton, QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from test_carry_forward import earlier_session  # noqa: E402
from test_ui_editor_fixtures import Clinic, click_region, region  # noqa: E402

from tpi_notes.domain import phrases as rules  # noqa: E402
from tpi_notes.domain.permissions import Principal  # noqa: E402
from tpi_notes.domain.session import Diagnosis  # noqa: E402
from tpi_notes.services import drafts, phrases  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]

MYALGIA = Diagnosis("M79.12", "Myalgia of auxiliary muscles, head and neck")


def settle() -> None:
    """Let the layouts run (they do on posted events, as between two clicks of a real user)."""
    for _ in range(3):
        QApplication.processEvents()


def repeat_visit(qtbot: QtBot, make_editor, clinic: Clinic) -> SessionEditor:  # noqa: ANN001
    """The last session (upper trapezius, M79.12) copied forward into today's, in the window H31 used."""
    earlier_session(clinic)
    editor = make_editor()
    editor.resize(1600, 1000)
    button = editor.editor_actions.toolbar.widgetForAction(editor.editor_actions.copy_forward)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle()
    assert editor.carried.bar.isVisible() and "diagnoses" in editor.current_draft().carried_fields
    return editor


def at(editor: SessionEditor, widget: QWidget) -> QPoint:
    return widget.mapTo(editor, QPoint(0, 0))


def click_at(qtbot: QtBot, editor: SessionEditor, point: QPoint) -> QWidget:
    """A click where the pointer is (window coordinates): it goes to whatever is drawn there now."""
    target = editor.childAt(point)
    assert target is not None
    qtbot.mouseClick(target, Qt.MouseButton.LeftButton, pos=target.mapFrom(editor, point))
    return target


def offered(editor: SessionEditor) -> list[str]:
    """The chips the user sees (new ones are shown on the next turn of the event loop)."""
    settle()
    return [b.objectName().removeprefix("suggest_") for b in editor.diagnosis_help.buttons if b.isVisibleTo(editor)]


def chosen(editor: SessionEditor) -> list[str]:
    return [d.code for d in editor.current_draft().diagnoses]


def add_typed(qtbot: QtBot, editor: SessionEditor, text: str) -> None:
    search = editor.pre.diagnoses.search_edit
    qtbot.mouseClick(search, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(search, text)
    qtbot.keyClick(search, Qt.Key.Key_Return)


def pre_tab(qtbot: QtBot, editor: SessionEditor) -> None:
    bar = editor.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(editor.tabs.indexOf(editor.tab_pages["pre"]))
                     .center())
    assert editor.tabs.currentWidget() is editor.tab_pages["pre"]


# -- 1. the layout stays put under the pointer ----------------------------------------------------------------
def test_confirm_leaves_the_tabs_where_the_pointer_is(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = repeat_visit(qtbot, make_editor, clinic)
    tabs, bar = editor.tabs.tabBar(), editor.carried.bar
    tabs_at, findings_at, diagram_at = at(editor, tabs), at(editor, editor.findings), at(editor, editor.diagram)
    bar_height = bar.height()
    # where the user means to click next: the Site details tab, as drawn before Confirm
    aimed = tabs.mapTo(editor, tabs.tabRect(editor.tabs.indexOf(editor.tab_pages["site"])).center())
    qtbot.mouseClick(editor.carried.confirm_button, Qt.MouseButton.LeftButton)
    settle()
    assert editor.current_draft().carried_fields == ()
    assert not any(w.property("carried") for w in editor.carried.widgets().values())  # the marks go at once
    # nothing under the bar moved: the bar keeps its height and says what happened, with an Undo
    assert (at(editor, tabs), at(editor, editor.findings), at(editor, editor.diagram)) == (
        tabs_at, findings_at, diagram_at)
    assert bar.isVisible() and bar.height() == bar_height
    note = editor.carried.note.text()
    assert "confirmed by you at" in note and "as on " in note, note
    assert not editor.carried.confirm_button.isVisible()  # nothing to confirm twice with a double click
    assert editor.carried.undo_button.isVisible()
    click_at(qtbot, editor, aimed)
    assert editor.tabs.currentWidget() is editor.tab_pages["site"]  # was: the tab beside it, 60 px higher

    # the Undo in the note takes the confirmation back (not the copied sites), still without a jump
    sites = len(editor.document)
    qtbot.mouseClick(editor.carried.undo_button, Qt.MouseButton.LeftButton)
    settle()
    assert "diagnoses" in editor.current_draft().carried_fields and editor.pre.indication.property("carried")
    assert len(editor.document) == sites
    assert editor.carried.confirm_button.isVisible() and not editor.carried.note.isVisible()
    assert at(editor, tabs) == tabs_at and bar.height() == bar_height

    # confirmed again, then a form field and a site: the note stays; its Undo while Ctrl+Z would still take
    # the confirmation back (a form field is no undo step), gone once a site is (Ctrl+Z takes the site first)
    qtbot.mouseClick(editor.carried.confirm_button, Qt.MouseButton.LeftButton)
    pre_tab(qtbot, editor)
    qtbot.mouseClick(editor.pre.pain_before.buttons[5], Qt.MouseButton.LeftButton)
    settle()
    assert editor.carried.note.isVisible() and editor.carried.undo_button.isVisible()
    click_region(qtbot, editor, region("infraspinatus", "posterior", "L"))
    settle()
    assert len(editor.document) == sites + 1
    assert editor.carried.note.isVisible() and not editor.carried.undo_button.isVisible()
    assert at(editor, tabs) == tabs_at and bar.height() == bar_height
    # the next save ends it: the bar goes with the user's pointer on Save, above it
    save = editor.editor_actions.toolbar.widgetForAction(editor.editor_actions.save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    settle()
    assert editor.draft_id is not None and not bar.isVisible()
    assert drafts.get_draft(clinic.ctx, editor.draft_id).carried_fields == ()


def test_ctrl_z_after_confirm_brings_the_bar_back_as_it_was(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = repeat_visit(qtbot, make_editor, clinic)
    text = editor.carried.label.text()
    qtbot.mouseClick(editor.carried.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle()
    assert editor.carried.label.isVisible() and editor.carried.label.text() == text
    assert not editor.carried.note.isVisible()
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    settle()
    assert editor.current_draft().carried_fields == () and editor.carried.note.isVisible()


# -- 2. a chosen code is never offered ---------------------------------------------------------------------
def test_a_carried_diagnosis_is_not_offered_again(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = repeat_visit(qtbot, make_editor, clinic)
    pre_tab(qtbot, editor)
    assert chosen(editor) == ["M79.12"]
    assert "M79.12" not in offered(editor), offered(editor)  # was: "+ M79.12" beside the carried M79.12
    assert offered(editor)  # the muscles' other codes are still there
    qtbot.mouseClick(editor.carried.confirm_button, Qt.MouseButton.LeftButton)
    assert "M79.12" not in offered(editor)
    # removed again: offered again, and one click takes it back
    qtbot.mouseClick(editor.pre.diagnoses.rows()[0].remove_button, Qt.MouseButton.LeftButton)
    assert chosen(editor) == [] and offered(editor)[0] == "M79.12"
    qtbot.mouseClick(editor.diagnosis_help.buttons[0], Qt.MouseButton.LeftButton)
    assert chosen(editor) == ["M79.12"] and "M79.12" not in offered(editor)
    # removed, then typed back in another spelling: chosen once, not offered
    qtbot.mouseClick(editor.pre.diagnoses.rows()[0].remove_button, Qt.MouseButton.LeftButton)
    assert "M79.12" in offered(editor)
    add_typed(qtbot, editor, "m7912")
    assert chosen(editor) == ["M79.12"] and "M79.12" not in offered(editor)
    # the search list does not offer it either while it is chosen
    qtbot.keyClicks(editor.pre.diagnoses.search_edit, "M79.1")
    results = editor.pre.diagnoses.results
    listed = [results.item(i).data(Qt.ItemDataRole.UserRole).code for i in range(results.count())]
    assert "M79.11" in listed and "M79.12" not in listed
    qtbot.keyClick(editor.pre.diagnoses.search_edit, Qt.Key.Key_Escape)


def test_a_favourite_already_chosen_is_not_shown_as_addable(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    clinic.ctx.act_as(Principal.for_user(clinic.physician_id, "ahart", "Amelia Hart", ("physician",)))
    phrases.add_favourite(clinic.ctx, MYALGIA)
    phrases.add_favourite(clinic.ctx, Diagnosis("M79.7", "Fibromyalgia"))
    editor = repeat_visit(qtbot, make_editor, clinic)
    pre_tab(qtbot, editor)
    assert offered(editor)[0] == "M79.7" and "M79.12" not in offered(editor), offered(editor)
    [row] = editor.pre.diagnoses.rows()
    assert row.favourite_button.text() == "★"  # it is a favourite: shown on its row, not as a chip
    qtbot.mouseClick(row.remove_button, Qt.MouseButton.LeftButton)
    assert offered(editor)[:2] == ["M79.12", "M79.7"]  # removed: offered again, a favourite the muscles suggest
    button = editor.findChild(QToolButton, "suggest_M79.12")
    assert button is not None and button.isVisible() and "favourite" in button.toolTip()


def test_a_code_spelled_otherwise_is_still_the_chosen_code(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    """A draft holding "m7912" (an import, an older version) has M79.12: not offered, not added twice."""
    draft = drafts.new_draft(clinic.ctx, clinic.patient_id)
    draft = replace(draft, diagnoses=(Diagnosis("m7912", MYALGIA.display),))
    editor = make_editor(draft)
    pre_tab(qtbot, editor)
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    pre_tab(qtbot, editor)
    assert len(editor.document) == 1 and offered(editor)
    assert "M79.12" not in offered(editor), offered(editor)
    add_typed(qtbot, editor, "M79.12")
    assert len(editor.pre.diagnoses.rows()) == 1


def test_the_domain_suggestions_compare_codes_not_spellings() -> None:
    lookup = {"M79.12": MYALGIA, "M54.2": Diagnosis("M54.2", "Cervicalgia")}.get
    for spelling in ("M79.12", "m7912", " m79.12 ", "M7912"):
        got = rules.suggestions([MYALGIA], ["M79.12", "M54.2"], lookup, [Diagnosis(spelling, "")])
        assert [d.code for d, _ in got] == ["M54.2"], spelling
    # a favourite stored in another spelling is offered once, as the code set writes it
    got = rules.suggestions([Diagnosis("m79.12", "")], ["M79.12"], lambda c: lookup(c.upper()) or MYALGIA, [])
    assert [(d.code, why) for d, why in got] == [("M79.12", "favourite")]
