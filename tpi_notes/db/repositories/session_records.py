"""A whole session read back as a plain SessionRecord."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
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


# One session's rows, as plain columns (no ORM objects, no identity map), with statements built once: a save
# reads the record it changes, and the editor, the note and signing read one at every open (issue 19).
_SESSION = ProcedureSession.__table__
_SITE = Site.__table__
_SID = bindparam("sid")
_ROW = select(_SESSION).where(_SESSION.c.id == _SID)
_PREPARATIONS = (
    select(Preparation.__table__.c.label, PreparationComponent.__table__.c.volume_ml,
           FormularyItem.__table__.c.code, Lot.__table__.c.lot_number, Lot.__table__.c.expiry,
           PreparationComponent.__table__.c.vials_opened, Lot.__table__.c.ndc, Preparation.__table__.c.id)
    .select_from(Preparation.__table__)
    .outerjoin(PreparationComponent.__table__,
               PreparationComponent.__table__.c.preparation_id == Preparation.__table__.c.id)
    .outerjoin(FormularyItem.__table__, FormularyItem.__table__.c.id == PreparationComponent.__table__.c.item_id)
    .outerjoin(Lot.__table__, Lot.__table__.c.id == PreparationComponent.__table__.c.lot_id)
    .where(Preparation.__table__.c.session_id == _SID)
    .order_by(Preparation.__table__.c.label, PreparationComponent.__table__.c.position))
_SITES = select(_SITE).where(_SITE.c.session_id == _SID).order_by(_SITE.c.number)
_DIAGNOSES = (select(SessionDiagnosis.__table__.c.code, SessionDiagnosis.__table__.c.display)
              .where(SessionDiagnosis.__table__.c.session_id == _SID).order_by(SessionDiagnosis.__table__.c.position))
_ADDENDA = (select(AddendumRow.__table__.c.kind, AddendumRow.__table__.c.text, AddendumRow.__table__.c.author_id,
                   AddendumRow.__table__.c.created_at, AddendumRow.__table__.c.content_sha256)
            .where(AddendumRow.__table__.c.session_id == _SID)
            .order_by(AddendumRow.__table__.c.created_at, AddendumRow.__table__.c.id))
_FINDINGS = (select(SessionFinding.__table__.c.rule_code, SessionFinding.__table__.c.severity,
                    SessionFinding.__table__.c.message, SessionFinding.__table__.c.source,
                    SessionFinding.__table__.c.subject, SessionFinding.__table__.c.override_reason)
             .where(SessionFinding.__table__.c.session_id == _SID).order_by(SessionFinding.__table__.c.id))
_USERS = (select(User.__table__.c.id, User.__table__.c.full_name, User.__table__.c.credentials)
          .where(User.__table__.c.id.in_(bindparam("ids", expanding=True))))


def _user_labels(s: Session, ids: set[int | None]) -> dict[int | None, str]:
    """"Full Name, MD" by user id, for the ids named (two columns, not User objects with their roles)."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {uid: f"{name}, {credentials}" if credentials else name
            for uid, name, credentials in s.connection().execute(_USERS, {"ids": wanted})}


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


def _preparations(conn: Connection, params: dict) -> tuple[tuple[d.Preparation, ...], dict[int, str]]:
    """The session's syringes in label order, and each one's label by row id (the sites name them by id)."""
    labels: dict[int, str] = {}
    components: dict[str, list[d.Component]] = {}
    for label, volume, code, lot, expiry, vials, ndc, prep_id in conn.execute(_PREPARATIONS, params):
        labels[prep_id] = label
        drawn = components.setdefault(label, [])
        if code is not None:
            drawn.append(d.Component(code, volume, lot or "", expiry, vials, ndc or ""))
    return tuple(d.Preparation(label, tuple(drawn)) for label, drawn in components.items()), labels


def reread(s: Session, session_id: int, *, preparations: bool, sites: bool, outcome_rows: bool) -> dict[str, tuple]:
    """Of the session's children, only the ones named, as ``load`` reads them (a save reads back just what it
    wrote where the database may have shaped it: lots' expiry and NDC, site numbers' order, outcome labels)."""
    conn = s.connection()
    params = {"sid": session_id}
    parts: dict[str, tuple] = {}
    if preparations or sites:
        parts["preparations"], labels = _preparations(conn, params)
        if sites:
            parts["sites"] = tuple(_site(x, labels) for x in conn.execute(_SITES, params))
    if outcome_rows:
        parts["scales"], parts["prior_responses"] = outcomes.load(s, session_id)
    return parts


def load(s: Session, session_id: int, *, content_only: bool = False) -> d.SessionRecord | None:
    """The whole session as stored, or None: eight plain SELECTs (nine with the people's names).

    ``content_only``: without the addenda and the people's names (a draft has no addenda, and a save compares
    content), two SELECTs fewer."""
    s.flush()  # what the caller changed through the ORM in this transaction is read back (signing does)
    conn = s.connection()
    params = {"sid": session_id}
    row = conn.execute(_ROW, params).first()
    if row is None:
        return None
    preparations, labels = _preparations(conn, params)
    sites = tuple(_site(x, labels) for x in conn.execute(_SITES, params))
    diagnoses = tuple(d.Diagnosis(code, display) for code, display in conn.execute(_DIAGNOSES, params))
    addenda = [] if content_only else conn.execute(_ADDENDA, params).all()
    findings = tuple(Finding(code, severity, message, source, subject, bool(reason), reason)
                     for code, severity, message, source, subject, reason in conn.execute(_FINDINGS, params))
    names = {} if content_only else _user_labels(s, {row.physician_id, row.assistant_id, row.signed_by_id,
                                                     *(a[2] for a in addenda)})
    values = {name: getattr(row, name) for name in _PLAIN_FIELDS}
    scales, responses = outcomes.load(s, session_id)
    return d.SessionRecord(
        id=row.id, patient_id=row.patient_id, status=row.status, performed_start=row.performed_start,
        performed_end=row.performed_end, physician_id=row.physician_id,
        physician=names.get(row.physician_id, ""), atlas_version=row.atlas_version,
        assistant=names.get(row.assistant_id, ""), diagnoses=diagnoses,
        exam_findings=tuple(d.ExamFinding(**f) for f in row.exam_findings or ()),
        consent_risks=tuple(row.consent_risks or ()),
        carried_fields=tuple(row.carried_fields or ()),
        preparations=preparations, sites=sites,
        addenda=tuple(d.Addendum(kind, text, names.get(author, ""), at, digest)
                      for kind, text, author, at, digest in addenda),
        findings=findings, signed_by=names.get(row.signed_by_id, ""), scales=scales, prior_responses=responses,
        **values,
    )


def latest_for_patient(s: Session, patient_id: int, exclude_id: int | None = None, *,
                       status: str | None = None, before: datetime | None = None) -> int | None:
    """The id of the patient's most recent session (other than ``exclude_id``; of ``status`` and starting
    before ``before`` when given)."""
    query = select(ProcedureSession.id).where(ProcedureSession.patient_id == patient_id)
    if status is not None:
        query = query.where(ProcedureSession.status == status)
    if before is not None:
        query = query.where(ProcedureSession.performed_start < before)
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
