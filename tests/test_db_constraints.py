"""The database itself refuses impossible records, whatever code writes them."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from tpi_notes.db.models import Patient, ProcedureSession, Site, User
from tpi_notes.domain.patient import search_key
from tpi_notes.services.context import AppContext


def _patient(mrn: str = "C1", **over: object) -> Patient:
    values: dict[str, object] = dict(mrn=mrn, family_name="Doe", given_name="Jan", search_key=search_key("Doe", "Jan"),
                                     birth_date=date(1980, 1, 1))
    values.update(over)
    return Patient(**values)


def test_mrn_is_unique(ctx: AppContext) -> None:
    with ctx.transaction() as s:
        s.add(_patient("U1"))
    with pytest.raises(IntegrityError), ctx.transaction() as s:
        s.add(_patient("U1"))


@pytest.mark.parametrize("field,value", [("weight_kg", -3.0), ("sex", "x"), ("language", "fr"), ("mrn", "")])
def test_patient_checks(ctx: AppContext, field: str, value: object) -> None:
    with pytest.raises(IntegrityError), ctx.transaction() as s:
        s.add(_patient(**{field: value}))


def _session(ctx: AppContext, **over: object) -> int:
    with ctx.transaction() as s:
        patient = _patient(f"S{datetime.now().timestamp()}")
        user = User(username=f"u{datetime.now().timestamp()}", full_name="Dr X")
        s.add_all([patient, user])
        s.flush()
        values: dict[str, object] = dict(patient_id=patient.id, physician_id=user.id,
                                         performed_start=datetime(2026, 1, 5, 9), atlas_version="1")
        values.update(over)
        row = ProcedureSession(**values)
        s.add(row)
        s.flush()
        return row.id


@pytest.mark.parametrize("over", [{"pain_before": 11}, {"pain_after": -1}, {"relief_pct": 101},
                                  {"performed_end": datetime(2026, 1, 5, 8)}, {"status": "final"},
                                  {"status": "signed"}])
def test_session_checks(ctx: AppContext, over: dict) -> None:
    with pytest.raises(IntegrityError):
        _session(ctx, **over)


def test_foreign_keys_are_enforced(ctx: AppContext) -> None:
    with pytest.raises(IntegrityError), ctx.transaction() as s:
        s.add(ProcedureSession(patient_id=999, physician_id=999, performed_start=datetime(2026, 1, 1),
                               atlas_version="1"))


@pytest.mark.parametrize("over", [{"x": 1.2}, {"y": -0.1}, {"side": "B"}, {"view": "lateral"}, {"number": 0},
                                  {"technique": "laser"}, {"volume_ml": -1.0}])
def test_site_checks(ctx: AppContext, over: dict) -> None:
    sid = _session(ctx)
    values: dict[str, object] = dict(session_id=sid, number=1, view="posterior", x=0.5, y=0.3,
                                     region_code="post.upper_trapezius.R", muscle_id="upper_trapezius",
                                     muscle="Upper trapezius", side="R")
    values.update(over)
    with pytest.raises(IntegrityError), ctx.transaction() as s:
        s.add(Site(**values))
