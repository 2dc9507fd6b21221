"""Charting a session: new drafts, copy-forward, templates, and saving a draft (one transaction each)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from tpi_notes.anatomy import load_atlas
from tpi_notes.db.repositories import (
    audit,
    locks,
    reference,
    session_records,
    session_writer,
    staff,
    templates,
)
from tpi_notes.db.repositories import patients as patient_rows
from tpi_notes.domain import icd10
from tpi_notes.domain.consent_risks import pretick
from tpi_notes.domain.draft import DEFAULT_RISKS, SessionDraft, draft_from_record
from tpi_notes.domain.draft_rules import validate_draft
from tpi_notes.domain.errors import ConcurrentEditError, NotFoundError, TpiError, ValidationError
from tpi_notes.domain.note_defaults import note_defaults
from tpi_notes.domain.numbers import plural
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.session import TECHNIQUES, VIEWS
from tpi_notes.domain.templates import (
    TemplateSummary,
    carry_frame,
    clinical_frame,
    codes_left_out_note,
    copied_from_label,
    copy_details,
    frame_on_day,
    from_template_body,
    kept_note,
    merge_into,
    template_body,
    template_label,
    typed_today,
    with_details,
)
from tpi_notes.services import icd10_sets
from tpi_notes.services.context import AppContext

ASSISTANT_ROLES = ("nurse", "physician")  # who the editor offers as the assistant


class SignedSessionError(TpiError):
    """A signed session cannot change; corrections are addenda."""


def _now_rounded() -> datetime:
    now = datetime.now().replace(second=0, microsecond=0)
    return now.replace(minute=now.minute - now.minute % 5)


def new_draft(ctx: AppContext, patient_id: int) -> SessionDraft:
    """A blank draft for the patient, not yet saved, with the clinic's defaults."""
    ctx.require(Permission.PREPARE_DRAFTS)
    with ctx.transaction() as s:
        settings = reference.settings(s)
        physicians = [p.id for p in staff.with_role(s, "physician")]
        formulary_version = settings.formulary_version
    # the signed-in physician charts their own session; a nurse preparing it gets the clinic's only physician
    physician = ctx.user_id if ctx.user_id in physicians else physicians[0] if len(physicians) == 1 else None
    return SessionDraft(
        patient_id=patient_id, performed_start=_now_rounded(), atlas_version=load_atlas().version,
        physician_id=physician, consent_risks=DEFAULT_RISKS,
        antisepsis="Chlorhexidine-alcohol", guidance="landmark", formulary_version=formulary_version,
        **note_defaults().fields,  # complications, tolerance, blood loss, disposition: visible, editable
    )


def get_draft(ctx: AppContext, session_id: int) -> SessionDraft:
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        record = session_records.load(s, session_id)
        if record is None:
            raise NotFoundError(f"Session {session_id} does not exist.")
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="view", entity="session",
                     entity_id=session_id, patient_id=record.patient_id)
        return draft_from_record(record)


def recovery_problem(ctx: AppContext, draft: SessionDraft) -> str | None:
    """Why a draft from the recovery journal cannot be reopened in this clinic (its patient or its session is
    gone, or the session now belongs to someone else), or None. Reads no clinical content: not audited."""
    ctx.require(Permission.PREPARE_DRAFTS)
    if not all(0 < n < 2**63 for n in (draft.patient_id, draft.id or 1)):
        return "its patient or session number is out of range"
    problem = _diagram_problem(draft)
    if problem:
        return problem
    with ctx.transaction() as s:
        if patient_rows.get(s, draft.patient_id) is None:
            return f"its patient (number {draft.patient_id}) is not in this clinic's record"
        if draft.id is not None:
            owner = session_records.patient_of(s, draft.id)
            if owner is None:
                return f"its session {draft.id} is not in this clinic's record"
            if owner != draft.patient_id:
                return f"its session {draft.id} belongs to another patient"
    return None


def _diagram_problem(draft: SessionDraft) -> str | None:
    """Why the editor could not draw the draft's sites and findings (a file another program or version wrote)."""
    try:
        atlas = load_atlas(draft.atlas_version)
    except ValueError:
        return f"its body diagram (atlas version {draft.atlas_version[:20]!r}) is not one this version knows"
    for site in draft.sites:
        if site.view not in VIEWS or site.technique not in TECHNIQUES:
            return f"its site {site.number} is not on the body diagram"
    try:
        for code in [site.region_code for site in draft.sites] + [f.region_code for f in draft.exam_findings]:
            atlas.region(code)
    except KeyError:
        return "it names a muscle region the body diagram does not have"
    return None


def _context_for_rules(s, draft: SessionDraft) -> tuple[dict, list]:  # noqa: ANN001 - Session
    """The whole formulary (retired items included) and the lots the draft's syringes name: the rules look a
    lot up by item and number only, so the rest of the clinic's lot list is not read (issue 19)."""
    formulary = {item.code: item for item in reference.list_items(s, include_retired=True)}
    numbers = {n for prep in draft.preparations for c in prep.components for n in (c.lot_number, c.lot_number.strip())
               if n}
    return formulary, reference.lots_named(s, numbers)


def save_draft(ctx: AppContext, draft: SessionDraft) -> SessionDraft:
    """Validate and store a draft; returns it with its id and new row version.

    Raises ValidationError (nothing written), ConcurrentEditError when someone saved it since it was
    opened, SignedSessionError for a signed session, NotFoundError when it was deleted.
    """
    ctx.require(Permission.PREPARE_DRAFTS)
    try:
        atlas = load_atlas(draft.atlas_version)
    except ValueError as exc:
        raise ValidationError({"atlas_version": str(exc)}) from None
    with ctx.transaction() as s:
        formulary, lots = _context_for_rules(s, draft)
        # Diagnoses are checked against the ICD-10-CM set valid on the date of service (issue 15 item 7).
        code_sets = icd10_sets.code_sets_in(s)
        day = draft.performed_start.date()
        clean = validate_draft(draft, formulary=formulary, lots=lots, atlas=atlas,
                               lookup_code=lambda code: icd10.lookup(code, day, code_sets), today=ctx.today())
        if clean.physician_id is not None and not staff.has_role(s, clean.physician_id, "physician"):
            raise ValidationError({"physician_id": "Choose a physician from the clinic's staff."})
        if clean.assistant_id is not None and not staff.has_any_role(s, clean.assistant_id, ASSISTANT_ROLES):
            raise ValidationError({"assistant_id": "Choose the assistant from the clinic's nurses and physicians."})
        stored = None
        before = None
        if not clean.is_new:
            locks.session_row(s, clean.id)  # type: ignore[arg-type]  # another save of it waits (PostgreSQL)
            # Read once: its status and version to check, the risks it carried (pretick) and the rows the
            # writer compares with, so that only what changed is written (issue 19).
            stored = session_records.load(s, clean.id, content_only=True)  # type: ignore[arg-type]
            if stored is None:
                raise NotFoundError(f"Session {clean.id} no longer exists.")
            if stored.status != "draft":
                raise SignedSessionError("This session is signed and locked; add an addendum instead.")
            if stored.row_version != clean.row_version:
                raise ConcurrentEditError(
                    "This session was saved on another workstation after you opened it. Reload to see that "
                    "version; your changes here were not saved.")
            before = draft_from_record(stored)
        # Risks that the sites and agents now carry are ticked (pneumothorax, corticosteroid risks); one the
        # physician unticked stays so, and signing asks for the reason (domain/consent_risks.py).
        clean = pretick(before, clean, formulary, atlas)
        from tpi_notes.services.assessment import assess_in

        assessment = assess_in(s, clean, formulary=formulary, lots=lots, code_sets=code_sets)
        written = session_writer.write(s, stored, clean, assessment.findings,
                                       icd10_version=icd10.set_or_nearest(day, code_sets).version,
                                       formulary=formulary, lots=lots)
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="create" if stored is None else "change",
                     entity="session", entity_id=written.id, patient_id=clean.patient_id,
                     detail=f"draft saved: {plural(len(clean.sites), 'site')}, "
                            f"{plural(len(clean.preparations), 'syringe')}")
        # what get_draft would now return, read back only where the save wrote rows the database shapes
        return session_writer.as_written(s, before, clean, assessment.findings, written)


def _frame_today(s, draft: SessionDraft, frame: dict) -> tuple[dict, list[str], str]:  # noqa: ANN001 - Session
    """The frame's diagnoses as the code set of the draft's date bills them, the codes left out, and that set."""
    code_sets = icd10_sets.code_sets_in(s)
    day = draft.performed_start.date()
    kept, left_out = frame_on_day(frame, lambda code: icd10.lookup(code, day, code_sets))
    return kept, left_out, icd10.set_or_nearest(day, code_sets).version


def copy_forward(ctx: AppContext, draft: SessionDraft) -> SessionDraft:
    """The draft with the sites (their technique) and syringes (without lots) of the patient's last signed
    session, and its clinical frame marked "as on <that date>" until confirmed (domain/templates.py).

    The last *signed* session, even when a draft is newer: a draft is unreviewed and may be half written or
    abandoned, and the clinician confirms a frame believing it was charted and signed. Only when the patient has
    no signed session at all is the latest draft copied, and the label says it is unsigned. The label adds whose
    session it was when it is another physician's, its addenda (a correction may change what was carried) and
    any diagnosis left out because the code set of the new date does not bill it."""
    ctx.require(Permission.PREPARE_DRAFTS)
    # "last" is before this session's day is over: a late entry for an earlier day never copies a later visit
    before = datetime.combine(draft.performed_start.date() + timedelta(days=1), time())
    with ctx.read() as s:
        last_id = session_records.latest_for_patient(s, draft.patient_id, draft.id, status="signed", before=before)
        if last_id is None:
            last_id = session_records.latest_for_patient(s, draft.patient_id, draft.id, before=before)
        if last_id is None:
            raise NotFoundError("This patient has no earlier session to copy from.")
        last = session_records.load(s, last_id)
        assert last is not None
        frame, left_out, code_set = _frame_today(s, draft, clinical_frame(draft_from_record(last)))
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="view", entity="session",
                     entity_id=last_id, patient_id=draft.patient_id, detail="copied forward")
    merged = merge_into(draft, list(last.preparations), list(last.sites), load_atlas(draft.atlas_version),
                        replace_existing=True)
    mine = draft.physician_id if draft.physician_id is not None else ctx.user_id
    details = copy_details(last.physician, last.physician_id != mine, last.status != "signed",
                           [(a.kind, a.created_at.date()) for a in last.addenda], left_out,
                           draft.performed_start.date(), code_set)
    details += kept_note(n for n in typed_today(merged) if frame.get(n))
    return carry_frame(merged, frame, with_details(copied_from_label(last.performed_start.date()), details))


def list_templates(ctx: AppContext) -> list[TemplateSummary]:
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        return templates.summaries(s)


def apply_template(ctx: AppContext, template_id: int, draft: SessionDraft) -> SessionDraft:
    """The draft with the template's sites and syringes added and its clinical frame carried (audited; the draft
    is saved as usual)."""
    ctx.require(Permission.PREPARE_DRAFTS)
    with ctx.transaction() as s:
        body = templates.body(s, template_id)
        name = templates.name_of(s, template_id)
        if body is None:
            raise NotFoundError("That template no longer exists.")
        preps, sites = from_template_body(body)
        frame, left_out, code_set = _frame_today(s, draft, body.get("frame", {}))
        target = f"session {draft.id}" if draft.id is not None else "a new draft"
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="view", entity="template",
                     entity_id=template_id, patient_id=draft.patient_id,
                     detail=f"applied to {target}: {plural(len(sites), 'site')}, {plural(len(preps), 'syringe')}")
    merged = merge_into(draft, preps, sites, load_atlas(draft.atlas_version), replace_existing=False)
    note = codes_left_out_note(left_out, draft.performed_start.date(), code_set)
    note += kept_note(n for n in typed_today(merged) if frame.get(n))
    return carry_frame(merged, frame, with_details(template_label(name or ""), note))


def save_template(ctx: AppContext, name: str, description: str, draft: SessionDraft) -> TemplateSummary:
    """Keep this draft's sites, syringes and clinical frame (no lots, notes, scores or findings) under ``name``."""
    ctx.require(Permission.PREPARE_DRAFTS)
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise ValidationError({"name": "A template needs a name of at most 120 characters."})
    if not draft.sites and not draft.preparations:
        raise ValidationError({"name": "Place at least one site or draw up a syringe before saving a template."})
    with ctx.transaction() as s:
        existed = templates.by_name(s, name) is not None
        summary = templates.save(s, name, description.strip(), template_body(draft), ctx.user_id)
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change" if existed else "create",
                     entity="template", entity_id=summary.id, detail=name)
        return summary
