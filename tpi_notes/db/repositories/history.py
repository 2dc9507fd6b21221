"""A patient's earlier signed sessions, reduced to what the history-aware rules need."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from tpi_notes.db.models import FormularyItem as ItemRow
from tpi_notes.db.models import Preparation, PreparationComponent, ProcedureSession, Site
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.safety import PastSession


def past_sessions(s: Session, patient_id: int, formulary: Mapping[str, FormularyItem],
                  exclude_id: int | None = None) -> list[PastSession]:
    query = select(ProcedureSession.id, ProcedureSession.performed_start).where(
        ProcedureSession.patient_id == patient_id, ProcedureSession.status == "signed")
    if exclude_id is not None:
        query = query.where(ProcedureSession.id != exclude_id)
    sessions = s.execute(query).all()
    ids = [sid for sid, _ in sessions]
    if not ids:
        return []
    muscles: dict[int, set[tuple[str, str]]] = defaultdict(set)
    injected: dict[int, float] = defaultdict(float)
    volume_by_prep: dict[int, float] = defaultdict(float)
    for sid, muscle_id, side, technique, prep_id, volume in s.execute(
        select(Site.session_id, Site.muscle_id, Site.side, Site.technique, Site.preparation_id, Site.volume_ml)
        .where(Site.session_id.in_(ids))
    ):
        if technique == "injection":
            muscles[sid].add((muscle_id, side))
            injected[sid] += volume or 0.0
            if prep_id is not None:
                volume_by_prep[prep_id] += volume or 0.0
    steroid: dict[int, float] = defaultdict(float)
    totals: dict[int, float] = defaultdict(float)
    rows = s.execute(
        select(Preparation.id, Preparation.session_id, ItemRow.code, PreparationComponent.volume_ml)
        .join(PreparationComponent, PreparationComponent.preparation_id == Preparation.id)
        .join(ItemRow, ItemRow.id == PreparationComponent.item_id)
        .where(Preparation.session_id.in_(ids))
    ).all()
    for prep_id, _sid, _code, volume in rows:
        totals[prep_id] += volume
    for prep_id, sid, code, volume in rows:
        item = formulary.get(code)
        if item is None or not item.mpe_factor or not totals[prep_id]:
            continue
        # mg given = the share of this drug in the syringe x what the sites received from it
        given_ml = volume_by_prep[prep_id] * volume / totals[prep_id]
        steroid[sid] += given_ml * item.concentration_mg_per_ml * item.mpe_factor
    return [PastSession(sid, start, bool(muscles[sid]), frozenset(muscles[sid]), steroid[sid])
            for sid, start in sessions]
