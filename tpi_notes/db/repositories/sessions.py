"""Procedure sessions as plain summaries for lists."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tpi_notes.db.models import (
    Addendum,
    FormularyItem,
    Preparation,
    PreparationComponent,
    ProcedureSession,
    Site,
    User,
)
from tpi_notes.domain.session import SessionSummary


def summaries_for_patient(s: Session, patient_id: int) -> list[SessionSummary]:
    sessions = s.execute(
        select(ProcedureSession, User.full_name, User.credentials)
        .join(User, User.id == ProcedureSession.physician_id)
        .where(ProcedureSession.patient_id == patient_id)
        .order_by(ProcedureSession.performed_start.desc(), ProcedureSession.id.desc())
    ).all()
    ids = [row[0].id for row in sessions]
    if not ids:
        return []
    muscles: dict[int, list[str]] = defaultdict(list)
    techniques: dict[int, set[str]] = defaultdict(set)
    counts: dict[int, int] = defaultdict(int)
    for sid, side, muscle, technique in s.execute(
        select(Site.session_id, Site.side, Site.muscle, Site.technique)
        .where(Site.session_id.in_(ids))
        .order_by(Site.session_id, Site.number)
    ):
        label = f"{side} {muscle.lower()}"
        if label not in muscles[sid]:
            muscles[sid].append(label)
        techniques[sid].add(technique)
        counts[sid] += 1
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
    addenda = dict(
        s.execute(
            select(Addendum.session_id, func.count(Addendum.id))
            .where(Addendum.session_id.in_(ids))
            .group_by(Addendum.session_id)
        ).all()
    )
    result = []
    for row, name, credentials in sessions:
        physician = f"{name}, {credentials}" if credentials else name
        result.append(
            SessionSummary(
                id=row.id,
                performed_start=row.performed_start,
                status=row.status,
                physician=physician,
                muscles=tuple(muscles[row.id]),
                agents=tuple(agents[row.id]),
                techniques=tuple(sorted(techniques[row.id])),
                pain_before=row.pain_before,
                pain_after=row.pain_after,
                site_count=counts[row.id],
                addenda=addenda.get(row.id, 0),
            )
        )
    return result
