"""The editor's outcomes panel (issue 17 item 2): PEG-3 one click per item, and for a returning patient the muscles
treated last time with one action for "all the same", then adjusted rows; four clicks in the routine case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QToolButton
from pytestqt.qtbot import QtBot
from test_report_support import START, add_patient, save_session, setup_clinic, sign
from test_ui_editor_fixtures import discard_and_close

from tpi_notes.domain.outcomes import peg_of, weeks_between
from tpi_notes.services import drafts
from tpi_notes.services.context import AppContext
from tpi_notes.services.sessions import get_session
from tpi_notes.ui.app import ensure_application
from tpi_notes.ui.editor.reference import load_reference
from tpi_notes.ui.editor.window import SessionEditor


@pytest.fixture
def returning(ctx: AppContext) -> tuple[AppContext, int, int]:
    """A patient with one signed session (three muscles), eight weeks before the visit charted now."""
    ensure_application()
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    earlier = START - timedelta(weeks=8)
    first = save_session(ctx, patient.id, doctor, 3, performed_start=earlier,
                         performed_end=earlier + timedelta(minutes=20), timeout_at=earlier + timedelta(minutes=2))
    sign(ctx, first, doctor)
    return ctx, patient.id, first


@pytest.fixture
def open_editor(qtbot: QtBot) -> Iterator:
    opened: list[SessionEditor] = []

    def make(ctx: AppContext, patient_id: int) -> SessionEditor:
        draft = drafts.new_draft(ctx, patient_id)
        editor = SessionEditor(ctx, draft, load_reference(ctx, patient_id), baseline=draft)
        opened.append(editor)
        editor.resize(1600, 1000)
        editor.show()
        qtbot.waitExposed(editor)
        return editor

    yield make
    for editor in opened:
        discard_and_close(editor)


def _show_outcomes(qtbot: QtBot, editor: SessionEditor) -> int:
    """Bring the outcomes panel into view as a user would: click its tab when it has one. Returns the clicks."""
    if editor.outcomes.isVisible():
        return 0
    bar = editor.tabs.tabBar()
    index = next(i for i in range(editor.tabs.count()) if editor.tabs.widget(i).isAncestorOf(editor.outcomes))
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert editor.outcomes.isVisible()
    return 1


def _click(qtbot: QtBot, editor: SessionEditor, name: str) -> None:
    bar = editor.tabs.tabBar()  # the panel has a tab of its own (issue 16: the forms fit one screen)
    if editor.tabs.currentWidget() is not editor.tab_pages["outcomes"]:
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(editor.tabs.indexOf(
            editor.tab_pages["outcomes"])).center())
    button = editor.findChild(QToolButton, name)
    assert button is not None and button.isVisible(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_repeat_visit_records_peg_and_every_muscles_response_in_four_clicks(
        qtbot: QtBot, returning: tuple[AppContext, int, int], open_editor) -> None:  # noqa: ANN001
    ctx, patient_id, first = returning
    editor = open_editor(ctx, patient_id)
    prior = get_session(ctx, first)
    table = editor.outcomes.table
    assert table.rowCount() == len({(s.muscle_id, s.side) for s in prior.sites}) == 3
    assert prior.sites[0].label in table.item(0, 0).text()
    assert f"{prior.performed_start:%Y-%m-%d}" in editor.outcomes.prior_label.text()
    assert "Lidocaine" in editor.outcomes.prior_label.text()  # the agents given last time

    _show_outcomes(qtbot, editor)  # the editor's layout (issue 16) gives the panel a tab of its own: one click
    for name in ("peg_pain_6", "peg_enjoyment_5", "peg_activity_4", "response_all_70"):  # four clicks in the panel
        _click(qtbot, editor, name)

    draft = editor.current_draft()
    peg = peg_of(draft.scales)
    assert peg is not None and peg.items == (6, 5, 4) and peg.score == 5.0 and peg.measured_at is not None
    weeks = weeks_between(prior.performed_start, draft.performed_start)
    assert [(r.prior_session_id, r.relief_pct, r.duration_weeks, r.lasting) for r in draft.prior_responses] == [
        (first, 70, weeks, True)] * 3
    assert "5.0" in editor.outcomes.peg_score.text()
    assert editor.isWindowModified()

    # then one row adjusted: the second muscle gave 30 % for 2 weeks
    table.cellWidget(1, 1).setValue(30)
    combo = table.cellWidget(1, 2)
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findText("2 weeks"))
    adjusted = editor.current_draft().prior_responses
    assert [(r.relief_pct, r.duration_weeks, r.lasting) for r in adjusted] == [
        (70, weeks, True), (30, 2, False), (70, weeks, True)]

    assert editor.save()
    stored = get_session(ctx, editor.draft_id)
    assert peg_of(stored.scales).items == (6, 5, 4)  # type: ignore[union-attr]
    assert {(r.muscle_id, r.side, r.relief_pct) for r in stored.prior_responses} == {
        (r.muscle_id, r.side, r.relief_pct) for r in adjusted}


def test_a_first_visit_shows_peg_only_and_a_second_click_clears_an_item(
        qtbot: QtBot, ctx: AppContext, open_editor) -> None:  # noqa: ANN001
    ensure_application()
    setup_clinic(ctx)
    patient = add_patient(ctx, mrn="P-200")
    editor = open_editor(ctx, patient.id)
    _show_outcomes(qtbot, editor)
    assert not editor.outcomes.table.isVisible() and "First visit" in editor.outcomes.prior_label.text()
    _click(qtbot, editor, "peg_pain_7")
    _click(qtbot, editor, "peg_pain_7")  # clicked again: not recorded
    assert editor.current_draft().scales == ()
    assert editor.current_draft().prior_responses == ()


def test_the_editor_shows_the_response_map_as_a_faint_layer_on_its_diagram(
        qtbot: QtBot, ctx: AppContext, open_editor) -> None:  # noqa: ANN001
    ensure_application()
    from test_outcomes_data import _two_visits

    from tpi_notes.palette import RESPONSE_COLOURS
    from tpi_notes.ui.response_map import FAINT_ALPHA

    doctor, first, second = _two_visits(ctx)
    sign(ctx, second, doctor)
    sites = get_session(ctx, first).sites
    editor = open_editor(ctx, get_session(ctx, first).patient_id)
    scene = editor.diagram.scene
    good = next(r.code for r in scene.atlas.regions if (r.muscle_id, r.side) == (sites[0].muscle_id, sites[0].side))
    weak = next(r.code for r in scene.atlas.regions if (r.muscle_id, r.side) == (sites[1].muscle_id, sites[1].side))
    assert editor.outcomes.tinted[good] == "good" and editor.outcomes.tinted[weak] == "none"  # 70 % / 8 wk; 20 %
    brush = scene.region_item(good).brush().color()
    assert brush.name() == RESPONSE_COLOURS["good"].lower() and brush.alpha() == FAINT_ALPHA
    assert scene.region_item(weak).brush().color().name() == RESPONSE_COLOURS["none"].lower()
