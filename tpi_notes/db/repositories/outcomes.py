"""A session's outcome rows (functional scales, response to an earlier session per muscle): written with the draft,
read with the record, and what the patient page and the editor need of a patient's earlier outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from tpi_notes.db.models import (
    FormularyItem,
    Preparation,
    PreparationComponent,
    ProcedureSession,
    SessionScale,
    Site,
    User,
)
from tpi_notes.db.models import PriorResponse as ResponseRow
from tpi_notes.domain.outcomes import PEG, PriorResponse, ScaleScore


def write(s: Session, session_id: int, scales: Sequence[ScaleScore], responses: Sequence[PriorResponse]) -> None:
    """Replace the session's outcome rows (the caller has checked it is a draft)."""
    s.execute(delete(SessionScale).where(SessionScale.session_id == session_id))
    s.execute(delete(ResponseRow).where(ResponseRow.session_id == session_id))
    s.add_all(SessionScale(session_id=session_id, scale=x.scale, items=list(x.items), score=x.score,
                           measured_at=x.measured_at, measured_by_id=x.measured_by_id) for x in scales)
    s.add_all(ResponseRow(session_id=session_id, prior_session_id=r.prior_session_id, muscle_id=r.muscle_id,
                          side=r.side, relief_pct=r.relief_pct, duration_weeks=r.duration_weeks, lasting=r.lasting)
              for r in responses)
    s.flush()


def _label(full_name: str | None, credentials: str | None) -> str:
    if not full_name:
        return ""
    return f"{full_name}, {credentials}" if credentials else full_name


# Built once: every save and every open of a session reads them (issue 19).
_SCALES = (select(SessionScale.scale, SessionScale.items, SessionScale.measured_at, SessionScale.measured_by_id,
                  User.full_name, User.credentials)
           .outerjoin(User, User.id == SessionScale.measured_by_id)
           .where(SessionScale.session_id == bindparam("sid")).order_by(SessionScale.scale))
_RESPONSES = (select(ResponseRow.prior_session_id, ResponseRow.muscle_id, ResponseRow.side, ResponseRow.relief_pct,
                     ResponseRow.duration_weeks, ResponseRow.lasting)
              .where(ResponseRow.session_id == bindparam("sid"))
              .order_by(ResponseRow.prior_session_id, ResponseRow.muscle_id, ResponseRow.side))


def load(s: Session, session_id: int) -> tuple[tuple[ScaleScore, ...], tuple[PriorResponse, ...]]:
    params = {"sid": session_id}
    scales = tuple(
        ScaleScore(scale, tuple(items or ()), at, by, _label(name, credentials))
        for scale, items, at, by, name, credentials in s.execute(_SCALES, params))
    responses = tuple(
        PriorResponse(prior, muscle, side, relief, weeks, bool(lasting))
        for prior, muscle, side, relief, weeks, lasting in s.execute(_RESPONSES, params))
    return scales, responses


def peg_history(s: Session, patient_id: int, scale: str = PEG) -> list[tuple[int, datetime, float]]:
    """(session id, date, PEG score) of the patient's signed sessions with a complete PEG, in date order (or of
    ``scale``: the NDI or the ODI when the clinic records them)."""
    rows = s.execute(
        select(ProcedureSession.id, ProcedureSession.performed_start, SessionScale.score)
        .join(SessionScale, SessionScale.session_id == ProcedureSession.id)
        .where(ProcedureSession.patient_id == patient_id, SessionScale.scale == scale,
               SessionScale.score.is_not(None), ProcedureSession.status == "signed")
        .order_by(ProcedureSession.performed_start, ProcedureSession.id))
    return [(sid, at, float(score)) for sid, at, score in rows]


def responses_to(s: Session, patient_id: int) -> list[tuple[int, datetime, PriorResponse]]:
    """Every response recorded for the patient's sessions: (recording session id, its date, response), oldest
    recording first, so the last one per muscle and side is the latest word on it."""
    rows = s.execute(
        select(ProcedureSession.id, ProcedureSession.performed_start, ResponseRow.prior_session_id,
               ResponseRow.muscle_id, ResponseRow.side, ResponseRow.relief_pct, ResponseRow.duration_weeks,
               ResponseRow.lasting)
        .join(ResponseRow, ResponseRow.session_id == ProcedureSession.id)
        .where(ProcedureSession.patient_id == patient_id)
        .order_by(ProcedureSession.performed_start, ProcedureSession.id))
    return [(sid, at, PriorResponse(prior, muscle, side, relief, weeks, bool(lasting)))
            for sid, at, prior, muscle, side, relief, weeks, lasting in rows]


def load_many(s: Session, ids: Sequence[int]) -> tuple[dict[int, tuple[ScaleScore, ...]],
                                                       dict[int, tuple[PriorResponse, ...]]]:
    """:func:`load` for a batch of sessions (verify streams signed sessions in batches), two queries."""
    scales: dict[int, list[ScaleScore]] = {}
    for sid, scale, items, at, by, name, credentials in s.execute(
            select(SessionScale.session_id, SessionScale.scale, SessionScale.items, SessionScale.measured_at,
                   SessionScale.measured_by_id, User.full_name, User.credentials)
            .outerjoin(User, User.id == SessionScale.measured_by_id)
            .where(SessionScale.session_id.in_(ids)).order_by(SessionScale.session_id, SessionScale.scale)):
        scales.setdefault(sid, []).append(ScaleScore(scale, tuple(items or ()), at, by, _label(name, credentials)))
    responses: dict[int, list[PriorResponse]] = {}
    for sid, prior, muscle, side, relief, weeks, lasting in s.execute(
            select(ResponseRow.session_id, ResponseRow.prior_session_id, ResponseRow.muscle_id, ResponseRow.side,
                   ResponseRow.relief_pct, ResponseRow.duration_weeks, ResponseRow.lasting)
            .where(ResponseRow.session_id.in_(ids))
            .order_by(ResponseRow.session_id, ResponseRow.prior_session_id, ResponseRow.muscle_id, ResponseRow.side)):
        responses.setdefault(sid, []).append(PriorResponse(prior, muscle, side, relief, weeks, bool(lasting)))
    return ({k: tuple(v) for k, v in scales.items()}, {k: tuple(v) for k, v in responses.items()})


def sessions_treated(s: Session, ids: Sequence[int]) -> dict[int, tuple[datetime, dict[tuple[str, str], str],
                                                                          list[str]]]:
    """For each session of ``ids``: its date, its muscles and sides (their names) and its agents (formulary names,
    syringe order): what the note prints of the earlier sessions a response is about."""
    out: dict[int, tuple[datetime, dict[tuple[str, str], str], list[str]]] = {
        sid: (at, {}, []) for sid, at in s.execute(select(ProcedureSession.id, ProcedureSession.performed_start)
                                                   .where(ProcedureSession.id.in_(ids)))}
    for sid, muscle_id, side, muscle in s.execute(select(Site.session_id, Site.muscle_id, Site.side, Site.muscle)
                                                  .where(Site.session_id.in_(ids)).order_by(Site.number)):
        out[sid][1].setdefault((muscle_id, side), muscle)
    for sid, name in s.execute(
            select(Preparation.session_id, FormularyItem.name)
            .join(PreparationComponent, PreparationComponent.preparation_id == Preparation.id)
            .join(FormularyItem, FormularyItem.id == PreparationComponent.item_id)
            .where(Preparation.session_id.in_(ids)).order_by(Preparation.label, PreparationComponent.position)):
        if name not in out[sid][2]:
            out[sid][2].append(name)
    return out
