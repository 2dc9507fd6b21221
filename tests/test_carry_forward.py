"""Issue 16 item 1: copy-forward and templates carry the clinical frame, marked until one confirm action;
never pain scores, exam findings, time-out, findings, signatures or lots. Signing waits for the confirmation."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402
from datetime import timedelta  # noqa: E402

import pytest  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QPushButton, QToolButton  # noqa: E402
from test_ui_editor_fixtures import Clinic, click_region, region  # noqa: E402

from tpi_notes.anatomy import load_atlas  # noqa: E402
from tpi_notes.domain.draft import SessionDraft  # noqa: E402
from tpi_notes.domain.findings import FindingOverride  # noqa: E402
from tpi_notes.domain.session import Component, Diagnosis, ExamFinding, Preparation  # noqa: E402
from tpi_notes.domain.sites import place_site  # noqa: E402
from tpi_notes.domain.templates import CARRIED_FIELDS, NEVER_CARRIED, split_source  # noqa: E402
from tpi_notes.services import assessment, drafts  # noqa: E402
from tpi_notes.ui.editor.signing_dialog import MissingDialog  # noqa: E402
from tpi_notes.ui.editor.site_commands import with_technique  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]

# The issue's two lists, spelled out here so that a change to either is a deliberate one.
CARRIED = ("indication", "diagnoses", "conservative_care", "consent_type", "consent_risks", "position",
           "antisepsis", "guidance", "observation_minutes", "disposition", "follow_up", "follow_up_in")
NEVER = ("pain_before", "pain_after", "relief_pct", "exam_findings", "timeout_done", "timeout_at", "overrides",
         "complications", "tolerance", "blood_loss", "respiratory_check", "comments", "consent_form_id")
EARLIER_DAY = timedelta(days=21)


def earlier_values(draft: SessionDraft) -> dict[str, object]:
    """A value for every listed field, each different from a new draft's default."""
    site = draft.sites[0]
    return {
        "indication": "Right neck and shoulder myofascial pain for 8 months, limits desk work.",
        "diagnoses": (Diagnosis("M79.12", "Myalgia of auxiliary muscles, head and neck"),),
        "conservative_care": "Physical therapy 8 weeks, naproxen 6 weeks, daily home stretching.",
        "consent_type": "verbal",
        "consent_risks": ("bleeding or bruising", "infection"),
        "position": "Seated",
        "antisepsis": "Povidone-iodine",
        "guidance": "ultrasound",
        "observation_minutes": 20,
        "disposition": "Home with an escort",
        "follow_up": "Reassess in 6 weeks; continue home exercise",
        "follow_up_in": "6w",
        "pain_before": 7, "pain_after": 2, "relief_pct": 71,
        "exam_findings": (ExamFinding(site.region_code, taut_band=True, hypersensitive_spot=True,
                                      muscle_id=site.muscle_id, side=site.side),),
        "timeout_done": True, "timeout_at": draft.performed_start + timedelta(minutes=5),
        "overrides": (FindingOverride("anticoagulant", "warfarin", "INR 2.1 this morning"),),
        "complications": "Bruising or hematoma", "tolerance": "Tolerated with discomfort",
        "blood_loss": "Moderate, controlled with pressure", "respiratory_check": "Breath sounds equal",
        "comments": "Prefers the left side lying.", "consent_form_id": "CF-2231",
        "performed_end": draft.performed_start + timedelta(minutes=25),
    }


def earlier_session(clinic: Clinic, muscle: str = "upper_trapezius") -> SessionDraft:
    """A saved session three weeks ago, with a value in every field and lots on its syringe."""
    atlas = load_atlas()
    draft = drafts.new_draft(clinic.ctx, clinic.patient_id)
    reg = region(muscle, "posterior", "R")
    site = replace(with_technique(place_site(atlas, reg.view, *reg.anchor, 1), "injection", "A"), volume_ml=1.0)
    prep = Preparation("A", (Component("lidocaine-1", 4.0, "LID-A1"), Component("triamcinolone-40", 1.0, "TRI-77")))
    draft = replace(draft, performed_start=draft.performed_start - EARLIER_DAY, sites=(site,), preparations=(prep,),
                    physician_id=clinic.physician_id)
    draft = replace(draft, **earlier_values(draft))
    return drafts.save_draft(clinic.ctx, draft)


def test_the_two_lists_are_the_issues() -> None:
    assert CARRIED_FIELDS == CARRIED
    assert set(NEVER_CARRIED) == set(NEVER)


def toolbar_button(editor, action) -> QToolButton:  # noqa: ANN001
    button = editor.editor_actions.toolbar.widgetForAction(action)
    assert isinstance(button, QToolButton) and button.isVisible()
    return button


def test_copy_forward_carries_exactly_the_frame_and_marks_it(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    earlier = earlier_session(clinic)
    editor = make_editor()
    fresh = editor.current_draft()
    qtbot.mouseClick(toolbar_button(editor, editor.editor_actions.copy_forward), Qt.MouseButton.LeftButton)
    shown = editor.current_draft()
    for name in CARRIED:
        assert getattr(shown, name) == getattr(earlier, name), name
    for name in NEVER:
        assert getattr(shown, name) == getattr(fresh, name), name
    assert shown.performed_start == fresh.performed_start and shown.performed_end is None
    # the syringe comes without last visit's lots: today's vial is chosen today
    assert [(c.item_code, c.volume_ml, c.lot_number) for c in shown.preparations[0].components] == [
        ("lidocaine-1", 4.0, ""), ("triamcinolone-40", 1.0, "")]
    day = (fresh.performed_start - EARLIER_DAY).date().isoformat()
    # (copied from a draft: the patient has no signed session, so the label adds that it is unsigned)
    assert shown.carried_fields == CARRIED and split_source(shown.carried_from)[0] == f"as on {day}"
    bar = editor.carried.bar
    assert bar.isVisible() and f"as on {day} — confirm" in editor.carried.label.text()
    marked = {name for name, w in editor.carried.widgets().items() if w.property("carried")}
    assert marked == set(CARRIED)
    assert "not yet confirmed" in editor.pre.indication.accessibleDescription()
    assert "not yet confirmed" not in editor.pre.pain_before.accessibleDescription()
    grab = editor.pre.indication.grab().toImage()
    tint = grab.pixelColor(grab.width() // 2, grab.height() - 6)
    assert (tint.red(), tint.green(), tint.blue()) != (255, 255, 255)  # not the plain white of a field
    editor.grab().save("/tmp/h3/carried.png")


def test_one_confirm_clears_every_mark_and_editing_a_field_confirms_it(qtbot, make_editor,  # noqa: ANN001
                                                                       clinic: Clinic) -> None:
    earlier_session(clinic)
    editor = make_editor()
    qtbot.mouseClick(toolbar_button(editor, editor.editor_actions.copy_forward), Qt.MouseButton.LeftButton)
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    editor.pre.conservative_care.setFocus()
    qtbot.keyClick(editor.pre.conservative_care, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor.pre.conservative_care, " Still exercising.")
    assert "conservative_care" not in editor.current_draft().carried_fields
    assert not editor.pre.conservative_care.property("carried")
    assert len(editor.current_draft().carried_fields) == len(CARRIED) - 1
    confirm = editor.carried.confirm_button
    assert isinstance(confirm, QPushButton) and confirm.isVisible()
    qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)
    draft = editor.current_draft()
    assert draft.carried_fields == () and draft.carried_from == ""
    # the bar stays, one line saying so, until the next save: nothing under the pointer moves (H34)
    assert editor.carried.note.isVisible() and not editor.carried.confirm_button.isVisible()
    assert not any(w.property("carried") for w in editor.carried.widgets().values())
    assert draft.indication.startswith("Right neck")  # the values stay, only the marks go
    assert editor.isWindowModified()


def test_signing_waits_until_the_carried_fields_are_confirmed(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    earlier_session(clinic)
    editor = make_editor()
    qtbot.mouseClick(toolbar_button(editor, editor.editor_actions.copy_forward), Qt.MouseButton.LeftButton)
    assert editor.save()
    stored = drafts.get_draft(clinic.ctx, editor.draft_id)
    assert stored.carried_fields == CARRIED  # kept across a save and a reopen
    missing = assessment.assess(clinic.ctx, stored).missing
    [blocker] = [m for m in missing if m.field == "carried_fields"]
    assert blocker.message.startswith("Confirm the fields carried forward (as on ")
    reopened = make_editor(stored)
    assert reopened.carried.bar.isVisible()
    qtbot.mouseClick(reopened.carried.confirm_button, Qt.MouseButton.LeftButton)
    assert reopened.save()
    confirmed = drafts.get_draft(clinic.ctx, reopened.draft_id)
    assert confirmed.carried_fields == ()
    assert all(m.field != "carried_fields" for m in assessment.assess(clinic.ctx, confirmed).missing)


def test_a_template_carries_the_frame_as_in_the_template(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    earlier = earlier_session(clinic)
    drafts.save_template(clinic.ctx, "Right neck", "", earlier)
    editor = make_editor()
    fresh = editor.current_draft()
    editor.editor_actions.fill_template_menu()
    [action] = [a for a in editor.editor_actions.template_menu.actions() if a.text() == "Right neck"]
    action.trigger()
    shown = editor.current_draft()
    for name in CARRIED:
        assert getattr(shown, name) == getattr(earlier, name), name
    for name in NEVER:
        assert getattr(shown, name) == getattr(fresh, name), name
    assert shown.carried_from == "as in template “Right neck”"
    assert all(c.lot_number == "" for p in shown.preparations for c in p.components)


def test_sign_lists_the_carried_fields_and_takes_you_to_confirm(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    earlier_session(clinic)
    editor = make_editor()
    qtbot.mouseClick(toolbar_button(editor, editor.editor_actions.copy_forward), Qt.MouseButton.LeftButton)
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)

    def missing_after_sign() -> tuple[MissingDialog, list[str]]:
        editor.editor_actions.sign.trigger()
        dialog = editor.active_dialog
        assert isinstance(dialog, MissingDialog) and dialog.isVisible()
        return dialog, [dialog.list.item(i).text() for i in range(dialog.list.count())]

    dialog, items = missing_after_sign()
    [carried] = [i for i in items if i.startswith("Confirm the fields carried forward (as on ")]
    assert "indication, diagnoses, conservative care" in carried
    rect = dialog.list.visualItemRect(dialog.list.item(items.index(carried)))
    qtbot.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not dialog.isVisible())
    qtbot.waitUntil(lambda: editor.focusWidget() is editor.carried.confirm_button)
    qtbot.keyClick(editor.carried.confirm_button, Qt.Key.Key_Space)  # the keyboard confirms too
    assert editor.current_draft().carried_fields == ()
    dialog, items = missing_after_sign()
    assert not any(i.startswith("Confirm the fields carried") for i in items)
    dialog.reject()


def test_a_risk_the_editor_ticks_for_a_new_site_leaves_the_risks_carried(qtbot, make_editor,  # noqa: ANN001
                                                                          clinic: Clinic) -> None:
    earlier_session(clinic, "gluteus_medius")  # no muscle over the lung last time: no pneumothorax risk
    editor = make_editor()
    qtbot.mouseClick(toolbar_button(editor, editor.editor_actions.copy_forward), Qt.MouseButton.LeftButton)
    assert not editor.pre.risk_boxes["pneumothorax"].isChecked()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "L"))  # today also the neck
    assert editor.pre.risk_boxes["pneumothorax"].isChecked()  # ticked by the editor, not by the clinician
    assert "consent_risks" in editor.current_draft().carried_fields
    box = editor.pre.risk_boxes["infection"]
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)  # the clinician unticks a carried risk: theirs now
    assert not box.isChecked()
    assert "consent_risks" not in editor.current_draft().carried_fields
    assert "indication" in editor.current_draft().carried_fields
