"""Issue 16 item 1 as an outside tester would check it: copy-forward and templates carry the clinical frame and the
technique, never what was observed or checked at that visit, from the right session, with codes valid today.

Scenarios (each failed before its fix): a newer *draft* is not what "the last session" means (it is unreviewed: the
last signed session is copied); a site's aspiration, twitch response and note are that visit's observations; a
carried diagnosis no longer billable on the new date is left out (it made Save refuse the whole draft) and said;
another physician's session, a later correction and an unsigned draft (copied only when nothing is signed) are
named where the carried fields are confirmed.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

import pytest  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QPushButton  # noqa: E402
from test_report_support import PASSWORD, add_patient, save_session, session_draft, setup_clinic, sign  # noqa: E402

from tpi_notes.domain.session import Diagnosis  # noqa: E402
from tpi_notes.domain.templates import carried_blocker, split_source, with_details  # noqa: E402
from tpi_notes.services import addenda, drafts, staff  # noqa: E402
from tpi_notes.services.accounts import set_password  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui.app import ensure_application  # noqa: E402
from tpi_notes.ui.editor.reference import load_reference  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

SIGNED_DAY = datetime(2026, 11, 2, 9, 30)


@pytest.fixture
def charted(ctx: AppContext) -> tuple[AppContext, int, int]:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    return ctx, patient.id, doctor


def when(day: datetime) -> dict[str, datetime]:
    """A session's times on ``day`` (it starts, has its time-out and ends that morning)."""
    return {"performed_start": day, "timeout_at": day + timedelta(minutes=2),
            "performed_end": day + timedelta(minutes=25)}


def _today_draft(ctx: AppContext, patient_id: int, physician_id: int, day: datetime | None = None):  # noqa: ANN202
    draft = replace(drafts.new_draft(ctx, patient_id), physician_id=physician_id)
    return replace(draft, performed_start=day) if day is not None else draft


def test_copy_forward_copies_the_last_signed_session_not_a_newer_draft(charted) -> None:  # noqa: ANN001
    ctx, patient, doctor = charted
    signed = save_session(ctx, patient, doctor, **when(SIGNED_DAY), indication="Signed: neck pain 6 months")
    sign(ctx, signed, doctor)
    # a later draft nobody finished (or signed): its frame is unreviewed, it is not "the last session"
    save_session(ctx, patient, doctor, **when(SIGNED_DAY + timedelta(days=14)),
                 indication="Unfinished draft text", diagnoses=(Diagnosis("M79.7", ""),))
    copied = drafts.copy_forward(ctx, _today_draft(ctx, patient, doctor))
    assert copied.indication == "Signed: neck pain 6 months"
    assert [d.code for d in copied.diagnoses] == ["M79.18", "M54.2"]
    assert split_source(copied.carried_from)[0] == "as on 2026-11-02"


def test_with_only_drafts_the_latest_draft_is_copied_and_said_to_be_unsigned(charted) -> None:  # noqa: ANN001
    ctx, patient, doctor = charted
    save_session(ctx, patient, doctor, **when(SIGNED_DAY), indication="Draft: neck pain")
    copied = drafts.copy_forward(ctx, _today_draft(ctx, patient, doctor))
    assert copied.indication == "Draft: neck pain"
    source, detail = split_source(copied.carried_from)
    assert source == "as on 2026-11-02" and "unsigned" in detail


def _assert_technique_only(sites, earlier) -> None:  # noqa: ANN001
    assert len(sites) == len(earlier)
    for site, was in zip(sites, earlier, strict=True):
        # the technique comes: syringe, volume, needle, passes
        assert (site.muscle_id, site.side, site.preparation_label, site.volume_ml, site.needle, site.passes) == (
            was.muscle_id, was.side, was.preparation_label, was.volume_ml, was.needle, was.passes)
        # what was observed at that visit does not: aspiration result, twitch response, the site's note
        assert (site.aspiration, site.twitch, site.note) == (None, None, ""), site.number


def test_copy_forward_and_templates_leave_each_sites_observations_behind(charted) -> None:  # noqa: ANN001
    ctx, patient, doctor = charted
    earlier = session_draft(ctx, patient, doctor, **when(SIGNED_DAY))
    noted = tuple(replace(s, note=f"Referred pain to the occiput at site {s.number}") for s in earlier.sites)
    signed = drafts.save_draft(ctx, replace(earlier, sites=noted))
    sign(ctx, signed.id, doctor)
    assert all(s.aspiration and s.twitch and s.note for s in signed.sites)  # the earlier visit observed them
    copied = drafts.copy_forward(ctx, _today_draft(ctx, patient, doctor))
    _assert_technique_only(copied.sites, signed.sites)
    # a template saved from a draft with lots, notes and observations filled in
    drafts.save_template(ctx, "Neck three sites", "", signed)
    [template] = drafts.list_templates(ctx)
    applied = drafts.apply_template(ctx, template.id, _today_draft(ctx, patient, doctor))
    _assert_technique_only(applied.sites, signed.sites)
    for draft in (copied, applied):
        assert all((c.lot_number, c.lot_expiry, c.vials_opened, c.ndc) == ("", None, None, "")
                   for p in draft.preparations for c in p.components)


def test_a_carried_code_not_billable_on_the_new_date_is_left_out_and_said(charted) -> None:  # noqa: ANN001
    ctx, patient, doctor = charted
    # M72.2 (plantar fascial fibromatosis) is billable in FY2026 and deleted in FY2027 (CMS FY2027 addenda)
    september = datetime(2026, 9, 21, 10, 0)
    signed = save_session(ctx, patient, doctor, **when(september),
                          diagnoses=(Diagnosis("M79.18", ""), Diagnosis("M72.2", "")))
    sign(ctx, signed, doctor)
    october = _today_draft(ctx, patient, doctor, datetime(2026, 10, 5, 9, 0))
    copied = drafts.copy_forward(ctx, october)
    assert [d.code for d in copied.diagnoses] == ["M79.18"]
    assert "M72.2" in split_source(copied.carried_from)[1]
    saved = drafts.save_draft(ctx, copied)  # refused before: "M72.2 is not a billable ICD-10-CM code"
    assert [d.code for d in saved.diagnoses] == ["M79.18"]
    # a template keeps the code it was saved with; applied on a FY2027 date it is left out the same way
    drafts.save_template(ctx, "Foot and calf", "", drafts.get_draft(ctx, signed))
    [template] = drafts.list_templates(ctx)
    applied = drafts.apply_template(ctx, template.id, october)
    assert [d.code for d in applied.diagnoses] == ["M79.18"]
    drafts.save_draft(ctx, applied)


def test_another_physicians_session_and_a_later_correction_are_named(charted) -> None:  # noqa: ANN001
    ctx, patient, doctor = charted
    other = staff.add_staff(ctx, "Bea Stone", "DO", ("physician",))
    set_password(ctx, other.id, PASSWORD)
    signed = save_session(ctx, patient, other.id, **when(SIGNED_DAY))
    sign(ctx, signed, other.id)
    addenda.add_addendum(ctx, signed, "correction", "Diagnosis should read M79.12, not M79.18.", other.id, PASSWORD)
    copied = drafts.copy_forward(ctx, _today_draft(ctx, patient, doctor))
    source, detail = split_source(copied.carried_from)
    assert source == "as on 2026-11-02"
    assert "Bea Stone" in detail and "correction" in detail
    blocker = carried_blocker(copied)
    assert blocker is not None and "correction" in blocker
    # the physician's own session, never corrected: nothing more to say
    mine = save_session(ctx, patient, doctor, **when(SIGNED_DAY + timedelta(days=7)))
    sign(ctx, mine, doctor)
    assert drafts.copy_forward(ctx, _today_draft(ctx, patient, doctor)).carried_from == "as on 2026-11-09"


def _editor(qtbot, ctx: AppContext, patient: int, doctor: int) -> SessionEditor:  # noqa: ANN001
    ensure_application()
    draft = _today_draft(ctx, patient, doctor)
    editor = SessionEditor(ctx, draft, load_reference(ctx, patient), baseline=draft)
    qtbot.addWidget(editor)
    editor.resize(1500, 950)
    editor.show()
    qtbot.waitExposed(editor)
    return editor


def _copy_forward(qtbot, editor: SessionEditor) -> None:  # noqa: ANN001
    button = editor.editor_actions.toolbar.widgetForAction(editor.editor_actions.copy_forward)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_the_bar_says_before_confirming_and_confirm_can_be_undone(qtbot, charted) -> None:  # noqa: ANN001
    ctx, patient, doctor = charted
    other = staff.add_staff(ctx, "Bea Stone", "DO", ("physician",))
    set_password(ctx, other.id, PASSWORD)
    signed = save_session(ctx, patient, other.id, **when(SIGNED_DAY))
    sign(ctx, signed, other.id)
    editor = _editor(qtbot, ctx, patient, doctor)
    _copy_forward(qtbot, editor)
    text = editor.carried.label.text()
    assert "fields as on 2026-11-02 — confirm" in text  # the label the issue names, unchanged
    assert "Before confirming:</b> charted by Bea Stone, DO." in text
    carried = editor.current_draft().carried_fields
    assert carried and len(editor.document) == 3
    qtbot.mouseClick(editor.carried.confirm_button, Qt.MouseButton.LeftButton)
    assert editor.current_draft().carried_fields == () and not editor.carried.confirm_button.isVisible()
    # pressed too soon: Edit > Undo takes the confirmation back, not the copied sites under it
    editor.editor_actions.undo.trigger()
    assert editor.current_draft().carried_fields == carried
    assert editor.carried.bar.isVisible() and editor.pre.indication.property("carried")
    assert len(editor.document) == 3
    editor.editor_actions.redo.trigger()
    assert editor.current_draft().carried_fields == () and not editor.pre.indication.property("carried")
    editor._baseline = editor.current_draft()  # noqa: SLF001 - closed without the unsaved-changes question


def test_a_signed_session_is_saved_as_a_template_from_its_window(qtbot, charted) -> None:  # noqa: ANN001
    from tpi_notes.services import sessions
    from tpi_notes.ui.session_window import SessionWindow

    ctx, patient, doctor = charted
    sid = save_session(ctx, patient, doctor, **when(SIGNED_DAY))
    sign(ctx, sid, doctor)
    ensure_application()
    window = SessionWindow(sessions.get_session(ctx, sid), "Nguyễn Thị Ánh", {}, ctx=ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    button = window.findChild(QPushButton, "save_template")  # was: no way to keep a signed visit as a template
    assert button is not None and button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.active_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.name, "Neck and shoulders routine")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert "Neck and shoulders routine" in window.message.text()
    [template] = drafts.list_templates(ctx)
    applied = drafts.apply_template(ctx, template.id, _today_draft(ctx, patient, doctor))
    assert applied.indication == "Neck and upper back pain for 6 months" and len(applied.sites) == 3
    assert all(c.lot_number == "" for p in applied.preparations for c in p.components)
    assert all(s.aspiration is None and s.twitch is None for s in applied.sites)
    assert (applied.pain_before, applied.timeout_done, applied.exam_findings) == (None, False, ())
    window.close()


def test_what_the_clinician_already_typed_today_is_kept_not_replaced_unseen(charted) -> None:  # noqa: ANN001
    ctx, patient, doctor = charted
    signed = save_session(ctx, patient, doctor, **when(SIGNED_DAY))
    sign(ctx, signed, doctor)
    today = replace(_today_draft(ctx, patient, doctor), indication="New: left hip pain since a fall last week.",
                    diagnoses=(Diagnosis("M79.18", "Myalgia, other site"),))
    copied = drafts.copy_forward(ctx, today)
    # was: last visit's "Neck and upper back pain for 6 months" over today's text, marked as carried
    assert copied.indication == "New: left hip pain since a fall last week."
    assert [d.code for d in copied.diagnoses] == ["M79.18"]
    assert "indication" not in copied.carried_fields and "diagnoses" not in copied.carried_fields
    assert copied.conservative_care == "Physical therapy for 8 weeks; home exercise"  # empty today: carried
    assert "conservative_care" in copied.carried_fields
    assert "today's indication, diagnoses kept" in split_source(copied.carried_from)[1]
    # the same for a template
    drafts.save_template(ctx, "Neck", "", drafts.get_draft(ctx, signed))
    [template] = drafts.list_templates(ctx)
    applied = drafts.apply_template(ctx, template.id, today)
    assert applied.indication == today.indication and "indication" not in applied.carried_fields
    # a long label is cut to what the record keeps, with "…", never mid-way without a sign
    long = with_details("as in template “" + "N" * 110 + "”", ["today's indication kept", "M72.2 left out"])
    assert len(long) == 160 and long.endswith("…")


def test_a_late_entry_copies_the_visit_before_it_not_a_later_one(charted) -> None:  # noqa: ANN001
    ctx, patient, doctor = charted
    october = datetime(2026, 10, 12, 9, 0)
    earlier = save_session(ctx, patient, doctor, **when(october), indication="October: neck pain")
    sign(ctx, earlier, doctor)
    later = save_session(ctx, patient, doctor, **when(SIGNED_DAY), indication="November: neck pain")
    sign(ctx, later, doctor)
    # charted today for a visit on 20 October (a late entry): the visit before it is 12 October's
    late = _today_draft(ctx, patient, doctor, datetime(2026, 10, 20, 15, 0))
    copied = drafts.copy_forward(ctx, late)
    assert copied.indication == "October: neck pain"
    assert split_source(copied.carried_from)[0] == "as on 2026-10-12"
    # a session earlier the same day counts as before
    same_day = _today_draft(ctx, patient, doctor, SIGNED_DAY - timedelta(hours=1))
    assert drafts.copy_forward(ctx, same_day).indication == "November: neck pain"
