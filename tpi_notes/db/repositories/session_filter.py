"""The history filter as SQL: which sessions match, shared by the history browser and the exports."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, select

from tpi_notes.db.models import (
    FormularyItem,
    Patient,
    Preparation,
    PreparationComponent,
    ProcedureSession,
    Site,
)
from tpi_notes.db.repositories.patients import search_conditions
from tpi_notes.domain.history import AGENT_CLASSES, HistoryFilter


def conditions(f: HistoryFilter) -> list[ColumnElement[bool]]:
    """WHERE conditions on ProcedureSession (patient text needs the Patient join of ``matching_ids``)."""
    found: list[ColumnElement[bool]] = []
    if f.date_from is not None:
        found.append(ProcedureSession.performed_start >= datetime.combine(f.date_from, time.min))
    if f.date_to is not None:
        found.append(ProcedureSession.performed_start < datetime.combine(f.date_to + timedelta(days=1), time.min))
    if f.physician_id is not None:
        found.append(ProcedureSession.physician_id == f.physician_id)
    if f.status is not None:
        found.append(ProcedureSession.status == f.status)
    if f.patient_id is not None:
        found.append(ProcedureSession.patient_id == f.patient_id)
    if f.technique is not None:
        found.append(exists().where(Site.session_id == ProcedureSession.id, Site.technique == f.technique))
    if f.muscle_id is not None:
        found.append(exists().where(Site.session_id == ProcedureSession.id, Site.muscle_id == f.muscle_id))
    if f.agent:
        item = FormularyItem.agent_class == f.agent if f.agent in AGENT_CLASSES else FormularyItem.code == f.agent
        found.append(exists().where(Preparation.session_id == ProcedureSession.id,
                                    PreparationComponent.preparation_id == Preparation.id,
                                    FormularyItem.id == PreparationComponent.item_id, item))
    if f.patient_text.strip():
        found.append(exists().where(Patient.id == ProcedureSession.patient_id,
                                    and_(*search_conditions(f.patient_text))))
    return found


def matching_ids(f: HistoryFilter) -> Select[tuple[int]]:
    """SELECT procedure_session.id for every session the filter matches (no order)."""
    query = select(ProcedureSession.id)
    where = conditions(f)
    return query.where(and_(*where)) if where else query


