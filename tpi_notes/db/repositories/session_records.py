"""A whole session read back as a plain SessionRecord."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tpi_notes.db.models import (
    Addendum as AddendumRow,
)
from tpi_notes.db.models import (
    FormularyItem,
    Lot,
    Preparation,
    PreparationComponent,
    ProcedureSession,
    SessionDiagnosis,
    SessionFinding,
    Site,
    User,
)
from tpi_notes.db.repositories import outcomes
from tpi_notes.domain import session as d
from tpi_notes.domain.findings import Finding

_PLAIN_FIELDS = (
    "location", "indication", "conservative_care", "consent_type", "consent_form_id", "timeout_done", "timeout_at",
    "position", "antisepsis", "guidance", "pain_before", "pain_after", "relief_pct", "complications", "tolerance",
    "blood_loss", "observation_minutes", "respiratory_check", "disposition", "follow_up", "follow_up_in", "comments", "signed_at",
    "content_sha256", "formulary_version", "aftercare_version", "row_version", "assistant_id", "signed_by_id",
    "signed_context", "content_version", "signature", "icd10_version", "carried_from",
)


def _user_label(s: Session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    # Two columns, not the User object (whose roles would be loaded with it): a save reads the record twice.
    user = s.execute(select(User.full_name, User.credentials).where(User.id == user_id)).first()
    if user is None:
        return ""
    return f"{user.full_name}, {user.credentials}" if user.credentials else user.full_name


def _site(row: Site, labels: dict[int, str]) -> d.Site:
    estim = None
    if row.estim_frequency_hz is not None:
        estim = d.EStim(row.estim_frequency_hz, row.estim_pulse_width_us or 0.0, row.estim_intensity_ma or 0.0,
                        row.estim_minutes or 0.0, bool(row.estim_attended))
    return d.Site(
        number=row.number, view=row.view, x=row.x, y=row.y, region_code=row.region_code, muscle_id=row.muscle_id,
        muscle=row.muscle, side=row.side, technique=row.technique,
        preparation_label=labels.get(row.preparation_id) if row.preparation_id else None, volume_ml=row.volume_ml,
        needle=row.needle, aspiration=row.aspiration, passes=row.passes, twitch=row.twitch,
        needles_in=row.needles_in, needles_out=row.needles_out, dwell_minutes=row.dwell_minutes, estim=estim,
        note=row.note,
    )


def load(s: Session, session_id: int) -> d.SessionRecord | None:
    row = s.get(ProcedureSession, session_id)
    if row is None:
        return None
    preps = s.scalars(select(Preparation).where(Preparation.session_id == session_id).order_by(Preparation.label))
    preparations, labels = [], {}
    for prep in preps:
        labels[prep.id] = prep.label
        components = s.execute(
            select(PreparationComponent.volume_ml, FormularyItem.code, Lot.lot_number, Lot.expiry,
                   PreparationComponent.vials_opened, Lot.ndc)
            .join(FormularyItem, FormularyItem.id == PreparationComponent.item_id)
            .outerjoin(Lot, Lot.id == PreparationComponent.lot_id)
            .where(PreparationComponent.preparation_id == prep.id)
            .order_by(PreparationComponent.position)
        )
        preparations.append(d.Preparation(prep.label, tuple(
            d.Component(code, volume, lot or "", expiry, vials, ndc or "")
            for volume, code, lot, expiry, vials, ndc in components)))
    sites = s.scalars(select(Site).where(Site.session_id == session_id).order_by(Site.number))
    diagnoses = s.scalars(select(SessionDiagnosis).where(SessionDiagnosis.session_id == session_id)
                          .order_by(SessionDiagnosis.position))
    addenda = s.scalars(select(AddendumRow).where(AddendumRow.session_id == session_id)
                        .order_by(AddendumRow.created_at, AddendumRow.id))
    findings = s.scalars(select(SessionFinding).where(SessionFinding.session_id == session_id)
                         .order_by(SessionFinding.id))
    values = {name: getattr(row, name) for name in _PLAIN_FIELDS}
    scales, responses = outcomes.load(s, session_id)
    return d.SessionRecord(
        id=row.id, patient_id=row.patient_id, status=row.status, performed_start=row.performed_start,
        performed_end=row.performed_end, physician_id=row.physician_id,
        physician=_user_label(s, row.physician_id), atlas_version=row.atlas_version,
        assistant=_user_label(s, row.assistant_id),
        diagnoses=tuple(d.Diagnosis(x.code, x.display) for x in diagnoses),
        exam_findings=tuple(d.ExamFinding(**f) for f in row.exam_findings or ()),
        consent_risks=tuple(row.consent_risks or ()),
        carried_fields=tuple(row.carried_fields or ()),
        preparations=tuple(preparations), sites=tuple(_site(x, labels) for x in sites),
        addenda=tuple(d.Addendum(a.kind, a.text, _user_label(s, a.author_id), a.created_at, a.content_sha256)
                      for a in addenda),
        findings=tuple(Finding(f.rule_code, f.severity, f.message, f.source, f.subject, bool(f.override_reason),
                               f.override_reason) for f in findings),
        signed_by=_user_label(s, row.signed_by_id), scales=scales, prior_responses=responses, **values,
    )


def latest_for_patient(s: Session, patient_id: int, exclude_id: int | None = None) -> int | None:
    """The id of the patient's most recent session (other than ``exclude_id``)."""
    query = select(ProcedureSession.id).where(ProcedureSession.patient_id == patient_id)
    if exclude_id is not None:
        query = query.where(ProcedureSession.id != exclude_id)
    return s.scalar(query.order_by(ProcedureSession.performed_start.desc(), ProcedureSession.id.desc()).limit(1))


def status_and_version(s: Session, session_id: int) -> tuple[str, int] | None:
    row = s.execute(select(ProcedureSession.status, ProcedureSession.row_version)
                    .where(ProcedureSession.id == session_id)).one_or_none()
    return None if row is None else (row[0], row[1])


def patient_of(s: Session, session_id: int) -> int | None:
    """The id of the session's patient, or None when there is no such session."""
    return s.scalar(select(ProcedureSession.patient_id).where(ProcedureSession.id == session_id))
