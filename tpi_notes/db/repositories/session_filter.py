"""The history filter as SQL: which sessions match, shared by the history browser and the exports.

Conditions on a session's children (sites, syringes) and on its patient are ``id IN (subquery)`` by
default: the subquery runs once over a covering index (migration 0006) and drives rowid lookups, so a
narrow filter (one muscle, one drug, a patient's name) costs what it matches, not the size of the
history. ``conditions(f, correlated=True)`` gives per-session ``EXISTS`` probes for broad filters.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, select

from tpi_notes.db.models import (
    FormularyItem,
    Lot,
    Patient,
    Preparation,
    PreparationComponent,
    ProcedureSession,
    Site,
)
from tpi_notes.db.repositories.patients import search_conditions
from tpi_notes.domain.history import AGENT_CLASSES, HistoryFilter


def agent_item_ids(agent: str) -> Select[tuple[int]]:
    """Formulary item ids an agent filter names: one item by code, or every item of an agent class."""
    item = FormularyItem.agent_class == agent if agent in AGENT_CLASSES else FormularyItem.code == agent
    return select(FormularyItem.id).where(item)


def conditions(f: HistoryFilter, correlated: bool = False) -> list[ColumnElement[bool]]:
    """WHERE conditions on ProcedureSession alone (no join needed, patient text included).

    ``correlated`` writes the site and syringe conditions as per-session ``EXISTS`` probes instead: the
    better plan when they match a large share of the history and rows are read in index order (the first
    page stops after a few hundred probes instead of gathering every match)."""
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
    for column, value in ((Site.technique, f.technique), (Site.muscle_id, f.muscle_id)):
        if value is None:
            continue
        if correlated:  # probes ix_site_technique_session / ix_site_muscle_session
            found.append(exists().where(column == value, Site.session_id == ProcedureSession.id))
        else:
            found.append(ProcedureSession.id.in_(select(Site.session_id).where(column == value)))
    if f.agent:
        items = agent_item_ids(f.agent)
        if correlated:
            # Nested, so that each session's syringes are probed (never every syringe of the item per session).
            found.append(exists().where(
                Preparation.session_id == ProcedureSession.id,
                exists().where(PreparationComponent.preparation_id == Preparation.id,
                               PreparationComponent.item_id.in_(items))))
        else:
            found.append(ProcedureSession.id.in_(
                select(Preparation.session_id)
                .join(PreparationComponent, PreparationComponent.preparation_id == Preparation.id)
                .where(PreparationComponent.item_id.in_(items))))
    lot = f.lot_number.strip()
    if lot:  # a recall: narrow whatever else the filter says, so always the subquery over ix_*_lot_id
        found.append(ProcedureSession.id.in_(
            select(Preparation.session_id)
            .join(PreparationComponent, PreparationComponent.preparation_id == Preparation.id)
            .where(PreparationComponent.lot_id.in_(select(Lot.id).where(Lot.lot_number == lot)))))
    patient = search_conditions(f.patient_text) if f.patient_text.strip() else []
    if patient:
        found.append(ProcedureSession.patient_id.in_(select(Patient.id).where(and_(*patient))))
    return found


def has_child_conditions(f: HistoryFilter) -> bool:
    """True when the filter looks beyond the session row itself (sites, syringes, the patient's name)."""
    return bool(f.technique or f.muscle_id or f.agent or f.patient_text.strip() or f.lot_number.strip())


def matching_ids(f: HistoryFilter) -> Select[tuple[int]]:
    """SELECT procedure_session.id for every session the filter matches (no order)."""
    query = select(ProcedureSession.id)
    where = conditions(f)
    return query.where(and_(*where)) if where else query
