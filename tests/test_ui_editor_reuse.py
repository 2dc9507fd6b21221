"""Starting from earlier work in the editor: copy the last session forward, save and apply templates."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402
from datetime import timedelta  # noqa: E402

import pytest  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import (  # noqa: E402
    Clinic,
    click_region,
    region,
)

from tpi_notes.anatomy import load_atlas  # noqa: E402
from tpi_notes.domain.session import Component, Preparation  # noqa: E402
from tpi_notes.domain.sites import place_site  # noqa: E402
from tpi_notes.services import drafts  # noqa: E402
from tpi_notes.ui.editor.site_commands import with_technique  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def earlier_session(clinic: Clinic) -> None:
    """A session last week: L and R upper trapezius from syringe A (lidocaine + triamcinolone)."""
    atlas = load_atlas()
    draft = drafts.new_draft(clinic.ctx, clinic.patient_id)
    sites = []
    for number, side in enumerate(("L", "R"), start=1):
        reg = region("upper_trapezius", "posterior", side)
        site = place_site(atlas, reg.view, *reg.anchor, number)
        sites.append(replace(with_technique(site, "injection", "A"), volume_ml=1.5, needle="27 G × 1.25 in",
                             note="tender"))
    prep = Preparation("A", (Component("lidocaine-1", 4.0, "LID-A1"), Component("triamcinolone-40", 1.0, "TRI-77")))
    drafts.save_draft(clinic.ctx, replace(draft, performed_start=draft.performed_start - timedelta(days=7),
                                          sites=tuple(sites), preparations=(prep,), pain_before=8))


def test_copy_forward_fills_sites_and_syringes_as_one_undo_step(qtbot, make_editor, clinic: Clinic,  # noqa: ANN001
                                                                answers) -> None:
    editor = make_editor()
    editor.editor_actions.copy_forward.trigger()
    assert answers["calls"][-1][0] == "information" and "no earlier session" in answers["calls"][-1][2]
    earlier_session(clinic)
    editor.editor_actions.copy_forward.trigger()
    sites = editor.document.sites()
    assert [(s.number, s.muscle_id, s.side, s.volume_ml, s.needle) for s in sites] == [
        (1, "upper_trapezius", "L", 1.5, "27 G × 1.25 in"), (2, "upper_trapezius", "R", 1.5, "27 G × 1.25 in")]
    # never last visit's lots (issue 16): today's vial is confirmed today
    assert [(c.item_code, c.volume_ml, c.lot_number) for c in editor.syringes.preparations()[0].components] == [
        ("lidocaine-1", 4.0, ""), ("triamcinolone-40", 1.0, "")]
    assert editor.pre.pain_before.optional_value() is None  # never the scores
    assert editor.isWindowModified()
    assert editor.dose.summary.row("triamcinolone-40").total_mg == pytest.approx(24)
    editor.undo_stack.undo()
    assert len(editor.document) == 0
    editor.undo_stack.redo()
    assert editor.save()
    assert drafts.get_draft(clinic.ctx, editor.draft_id).sites == tuple(editor.document.sites())


def test_copy_forward_over_existing_sites_asks_first(qtbot, make_editor, clinic: Clinic, answers) -> None:  # noqa: ANN001
    earlier_session(clinic)
    editor = make_editor()
    click_region(qtbot, editor, region("gluteus_medius", "posterior", "L"))
    answers["question"] = answers["question"].No
    editor.editor_actions.copy_forward.trigger()
    assert [s.muscle_id for s in editor.document.sites()] == ["gluteus_medius"]
    answers["question"] = answers["question"].Yes
    editor.editor_actions.copy_forward.trigger()
    assert [s.muscle_id for s in editor.document.sites()] == ["upper_trapezius", "upper_trapezius"]


def test_save_a_template_then_apply_it_after_existing_sites(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    source = make_editor()
    for muscle in ("levator_scapulae", "rhomboid_major"):
        click_region(qtbot, source, region(muscle, "posterior", "R"))
    source.syringes.box("A").rows[0].volume.setValue(3.0)
    source.editor_actions.save_template.trigger()
    dialog = source.active_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.name.setText("Right neck and scapula")
    dialog.save()
    assert not dialog.isVisible()
    [template] = drafts.list_templates(clinic.ctx)
    assert template.name == "Right neck and scapula"

    editor = make_editor()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "L"))
    editor.editor_actions.fill_template_menu()
    [action] = [a for a in editor.editor_actions.template_menu.actions() if a.text() == template.name]
    action.trigger()
    sites = editor.document.sites()
    assert [(s.number, s.muscle_id, s.side) for s in sites] == [
        (1, "upper_trapezius", "L"), (2, "levator_scapulae", "R"), (3, "rhomboid_major", "R")]
    labels = [p.label for p in editor.syringes.preparations()]
    assert labels == ["A", "B"]  # the template's syringe A arrives as B next to this session's A
    assert [s.preparation_label for s in sites] == ["A", "B", "B"]
    assert editor.syringes.box("B").rows[0].component().volume_ml == 3.0
    editor.undo_stack.undo()  # the template's sites come off in one step
    assert [s.muscle_id for s in editor.document.sites()] == ["upper_trapezius"]
