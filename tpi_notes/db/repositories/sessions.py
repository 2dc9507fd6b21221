"""Procedure sessions as plain summaries for lists, and signed sessions read back in batches to check them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tpi_notes.db.models import (
    Addendum,
    FormularyItem,
    Lot,
    Patient,
    Preparation,
    PreparationComponent,
    ProcedureSession,
    SessionDiagnosis,
    SessionFinding,
    Site,
    User,
)
from tpi_notes.db.repositories import outcomes
from tpi_notes.db.repositories.session_records import _PLAIN_FIELDS, _site
from tpi_notes.domain import session as d
from tpi_notes.domain.addenda import StoredAddendum, signed_record_problem
from tpi_notes.domain.findings import Finding
from tpi_notes.domain.session import SessionSummary

BATCH = 500


@dataclass(frozen=True)
class SessionContents:
    """What a list row shows of each session: muscles with sides in site order, techniques, site count, agents
    in syringe order, addenda count (keyed by session id)."""

    muscles: dict[int, list[str]]
    techniques: dict[int, set[str]]
    sites: dict[int, int]
    agents: dict[int, list[str]]
    addenda: dict[int, int]


def session_contents(s: Session, ids: Sequence[int]) -> SessionContents:
    """The list-row contents of the sessions ``ids``, in three queries (shared by the patient's session list and
    the history browser)."""
    muscles: dict[int, list[str]] = defaultdict(list)
    techniques: dict[int, set[str]] = defaultdict(set)
    sites: dict[int, int] = defaultdict(int)
    for sid, side, muscle, technique in s.execute(
        select(Site.session_id, Site.side, Site.muscle, Site.technique)
        .where(Site.session_id.in_(ids)).order_by(Site.session_id, Site.number)
    ):
        label = f"{side} {muscle.lower()}"
        if label not in muscles[sid]:
            muscles[sid].append(label)
        techniques[sid].add(technique)
        sites[sid] += 1
    agents: dict[int, list[str]] = defaultdict(list)
    for sid, name in s.execute(
        select(Preparation.session_id, FormularyItem.name)
        .join(PreparationComponent, PreparationComponent.preparation_id == Preparation.id)
        .join(FormularyItem, FormularyItem.id == PreparationComponent.item_id)
        .where(Preparation.session_id.in_(ids))
        .order_by(Preparation.session_id, Preparation.label, PreparationComponent.position)
    ):
        if name not in agents[sid]:
            agents[sid].append(name)
    addenda = dict(s.execute(select(Addendum.session_id, func.count(Addendum.id))
                             .where(Addendum.session_id.in_(ids)).group_by(Addendum.session_id)).all())
    return SessionContents(muscles, techniques, sites, agents, addenda)


def summaries_for_patient(s: Session, patient_id: int) -> list[SessionSummary]:
    sessions = s.execute(
        select(ProcedureSession, User.full_name, User.credentials)
        .outerjoin(User, User.id == ProcedureSession.physician_id)
        .where(ProcedureSession.patient_id == patient_id)
        .order_by(ProcedureSession.performed_start.desc(), ProcedureSession.id.desc())
    ).all()
    ids = [row[0].id for row in sessions]
    if not ids:
        return []
    contents = session_contents(s, ids)
    problems = tampered_among(s, [row[0].id for row in sessions if row[0].status == "signed"])
    result = []
    for row, name, credentials in sessions:
        physician = f"{name}, {credentials}" if credentials else name or ""
        result.append(
            SessionSummary(
                id=row.id,
                performed_start=row.performed_start,
                status=row.status,
                physician=physician,
                muscles=tuple(contents.muscles[row.id]),
                agents=tuple(contents.agents[row.id]),
                techniques=tuple(sorted(contents.techniques[row.id])),
                pain_before=row.pain_before,
                pain_after=row.pain_after,
                site_count=contents.sites[row.id],
                addenda=contents.addenda.get(row.id, 0),
                tampered=row.id in problems,
            )
        )
    return result


def signed_page(s: Session, after_id: int, limit: int = BATCH,
                patient_id: int | None = None) -> list[tuple[int, str]]:
    """(id, patient MRN) of the next ``limit`` signed sessions after ``after_id``, in id order."""
    query = (select(ProcedureSession.id, Patient.mrn).join(Patient, Patient.id == ProcedureSession.patient_id)
             .where(ProcedureSession.status == "signed", ProcedureSession.id > after_id))
    if patient_id is not None:
        query = query.where(ProcedureSession.patient_id == patient_id)
    return [(sid, mrn) for sid, mrn in s.execute(query.order_by(ProcedureSession.id).limit(limit))]


def records_for_checking(s: Session, ids: Sequence[int]) -> dict[int, d.SessionRecord]:
    """The sessions ``ids`` as SessionRecords, a batch in a handful of queries.

    Built with session_records.load's own field list and site conversion, so the content (and hence
    ``record_sha256``) is the same as load's; tests hold the two equal.
    """
    if not ids:
        return {}
    table = ProcedureSession.__table__
    users = {uid: f"{name}, {cred}" if cred else name
             for uid, name, cred in s.execute(select(User.id, User.full_name, User.credentials))}
    labels: dict[int, str] = {}
    preparations: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pid, sid, label in s.execute(select(Preparation.id, Preparation.session_id, Preparation.label)
                                     .where(Preparation.session_id.in_(ids)).order_by(Preparation.label)):
        labels[pid] = label
        preparations[sid].append((pid, label))
    components: dict[int, list[d.Component]] = defaultdict(list)
    for pid, volume, code, lot, expiry, vials, ndc in s.execute(
        select(PreparationComponent.preparation_id, PreparationComponent.volume_ml, FormularyItem.code,
               Lot.lot_number, Lot.expiry, PreparationComponent.vials_opened, Lot.ndc)
        .join(Preparation, Preparation.id == PreparationComponent.preparation_id)
        .join(FormularyItem, FormularyItem.id == PreparationComponent.item_id)
        .outerjoin(Lot, Lot.id == PreparationComponent.lot_id)
        .where(Preparation.session_id.in_(ids)).order_by(PreparationComponent.position)
    ):
        components[pid].append(d.Component(code, volume, lot or "", expiry, vials, ndc or ""))
    sites: dict[int, list[d.Site]] = defaultdict(list)
    for row in s.execute(select(Site.__table__).where(Site.session_id.in_(ids)).order_by(Site.number)):
        sites[row.session_id].append(_site(row, labels))
    diagnoses: dict[int, list[d.Diagnosis]] = defaultdict(list)
    for sid, code, display in s.execute(
        select(SessionDiagnosis.session_id, SessionDiagnosis.code, SessionDiagnosis.display)
        .where(SessionDiagnosis.session_id.in_(ids)).order_by(SessionDiagnosis.position)
    ):
        diagnoses[sid].append(d.Diagnosis(code, display))
    addenda: dict[int, list[d.Addendum]] = defaultdict(list)
    for a in stored_addenda(s, ids):
        addenda[a.session_id].append(d.Addendum(a.kind, a.text, users.get(a.author_id, ""), a.created_at,
                                                a.content_sha256))
    findings: dict[int, list[Finding]] = defaultdict(list)
    for f in s.execute(select(SessionFinding.__table__).where(SessionFinding.session_id.in_(ids))
                       .order_by(SessionFinding.id)):
        findings[f.session_id].append(Finding(f.rule_code, f.severity, f.message, f.source, f.subject,
                                              bool(f.override_reason), f.override_reason))
    scales, responses = outcomes.load_many(s, ids)
    records = {}
    for row in s.execute(select(table).where(table.c.id.in_(ids))):
        values = {name: getattr(row, name) for name in _PLAIN_FIELDS}
        records[row.id] = d.SessionRecord(
            id=row.id, patient_id=row.patient_id, status=row.status, performed_start=row.performed_start,
            performed_end=row.performed_end, physician_id=row.physician_id,
            physician=users.get(row.physician_id, ""), atlas_version=row.atlas_version,
            assistant=users.get(row.assistant_id, ""), diagnoses=tuple(diagnoses[row.id]),
            exam_findings=tuple(d.ExamFinding(**f) for f in row.exam_findings or ()),
            consent_risks=tuple(row.consent_risks or ()),
            preparations=tuple(d.Preparation(label, tuple(components[pid])) for pid, label in preparations[row.id]),
            sites=tuple(sites[row.id]), addenda=tuple(addenda[row.id]), findings=tuple(findings[row.id]),
            signed_by=users.get(row.signed_by_id, ""), scales=scales.get(row.id, ()),
            prior_responses=responses.get(row.id, ()), **values,
        )
    return records


def stored_addenda(s: Session, ids: Sequence[int]) -> list[StoredAddendum]:
    """The addenda of sessions ``ids`` with everything their hashes cover, oldest first."""
    rows = s.execute(select(Addendum.id, Addendum.session_id, Addendum.kind, Addendum.text, Addendum.author_id,
                            Addendum.created_at, Addendum.content_sha256)
                     .where(Addendum.session_id.in_(ids)).order_by(Addendum.created_at, Addendum.id))
    return [StoredAddendum(*row) for row in rows]


def tampered_among(s: Session, ids: Sequence[int]) -> dict[int, str]:
    """Of the sessions ``ids``, the signed ones that no longer match their signature, with the reason."""
    records = records_for_checking(s, ids)
    addenda: dict[int, list[StoredAddendum]] = defaultdict(list)
    for a in stored_addenda(s, ids):
        addenda[a.session_id].append(a)
    problems = {}
    for sid, record in records.items():
        if record.status == "signed":
            problem = signed_record_problem(record, record.content_sha256, addenda[sid])
            if problem:
                problems[sid] = problem
    return problems
