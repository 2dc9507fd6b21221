"""Outcomes (issue 17): what the editor shows of the last session, and the patient page's response map and PEG trend.

Recording the PEG and the responses is part of saving the draft (services/drafts.py); these are reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from tpi_notes.db.models import FormularyItem, Preparation, PreparationComponent, ProcedureSession, Site
from tpi_notes.db.repositories import audit, outcomes
from tpi_notes.domain.errors import NotFoundError
from tpi_notes.domain.outcomes import PEG, PatientOutcomes, PriorSession, TreatedMuscle, latest_responses
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.session import SessionRecord
from tpi_notes.services.context import AppContext

if TYPE_CHECKING:  # ReportLab comes with the note's outcomes block when a note is made, not at start-up (issue 19)
    from tpi_notes.reports.outcomes_note import NoteOutcomes


def prior_session(ctx: AppContext, patient_id: int, before: datetime, exclude_id: int | None = None
                  ) -> PriorSession | None:
    """The patient's last signed session started at or before ``before`` (not ``exclude_id``, the session being
    charted): its muscles, agents and date.
    Read inside the editor, whose opening is the audited view of this patient."""
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        query = (select(ProcedureSession.id, ProcedureSession.performed_start)
                 .where(ProcedureSession.patient_id == patient_id, ProcedureSession.status == "signed",
                        ProcedureSession.performed_start <= before))  # the same minute too: it is signed
        if exclude_id is not None:
            query = query.where(ProcedureSession.id != exclude_id)
        row = s.execute(query.order_by(ProcedureSession.performed_start.desc(), ProcedureSession.id.desc())
                        .limit(1)).one_or_none()
        if row is None:
            return None
        sid, at = row
        muscles: dict[tuple[str, str], TreatedMuscle] = {}
        techniques: dict[str, None] = {}
        for muscle_id, side, muscle, technique in s.execute(
                select(Site.muscle_id, Site.side, Site.muscle, Site.technique)
                .where(Site.session_id == sid).order_by(Site.number)):
            muscles.setdefault((muscle_id, side), TreatedMuscle(muscle_id, side, muscle))
            techniques.setdefault(technique, None)
        agents = list(dict.fromkeys(s.scalars(
            select(FormularyItem.name).join(PreparationComponent, PreparationComponent.item_id == FormularyItem.id)
            .join(Preparation, Preparation.id == PreparationComponent.preparation_id)
            .where(Preparation.session_id == sid).order_by(Preparation.label, PreparationComponent.position))))
        return PriorSession(sid, at, tuple(muscles.values()), tuple(agents), tuple(techniques))


def _treated(s, patient_id: int) -> list[tuple[int, datetime, TreatedMuscle]]:  # noqa: ANN001 - Session
    return [(sid, at, TreatedMuscle(muscle_id, side, muscle)) for sid, at, muscle_id, side, muscle in s.execute(
        select(ProcedureSession.id, ProcedureSession.performed_start, Site.muscle_id, Site.side, Site.muscle)
        .join(Site, Site.session_id == ProcedureSession.id)
        .where(ProcedureSession.patient_id == patient_id, ProcedureSession.status == "signed")
        .order_by(ProcedureSession.performed_start, Site.number))]


def patient_outcomes(ctx: AppContext, patient_id: int, *, audited: bool = False) -> PatientOutcomes:
    """Each treated muscle's latest response (signed sessions) and the PEG trend, for the patient page and the
    editor. Not audited by default: both show it beside a view that is (``get_patient``, the editor's opening);
    ``audited`` records a "view" of the patient's outcomes for a caller that shows them alone."""
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        treated = _treated(s, patient_id)
        muscles = latest_responses(treated, outcomes.responses_to(s, patient_id))
        peg = tuple((at, score) for _sid, at, score in outcomes.peg_history(s, patient_id))
        if not treated and not peg:
            from tpi_notes.db.repositories import patients

            if patients.get(s, patient_id) is None:
                raise NotFoundError(f"Patient {patient_id} does not exist.")
        if audited:
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="view", entity="outcomes",
                         patient_id=patient_id)
        return PatientOutcomes(muscles, peg)


def note_outcomes(s, record: SessionRecord) -> NoteOutcomes:  # noqa: ANN001 - Session, inside the print's read
    """The note's outcomes section: this session's scales and responses, the patient's signed PEG scores before it,
    and what the earlier sessions responded to were (date, muscles, agents)."""
    from tpi_notes.reports.outcomes_note import note_outcomes as build_note_outcomes

    earlier = [(at, score) for sid, at, score in outcomes.peg_history(s, record.patient_id)
               if sid != record.id and at < record.performed_start]
    treated = outcomes.sessions_treated(s, sorted({r.prior_session_id for r in record.prior_responses}))
    others = {x.scale: [(at, score) for sid, at, score in outcomes.peg_history(s, record.patient_id, x.scale)
                        if sid != record.id and at < record.performed_start]
              for x in record.scales if x.scale != PEG}  # NDI, ODI (issue 17 item 1)
    return build_note_outcomes(record.scales, record.prior_responses, earlier, treated, others)
