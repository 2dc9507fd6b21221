"""Shared set-up for the export tests: a demo clinic, a session for a chosen patient, the audit trail."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from tpi_notes.anatomy import load_atlas
from tpi_notes.db.models import AuditEvent
from tpi_notes.domain.export_csv import BOM
from tpi_notes.domain.history_answers import History
from tpi_notes.domain.patient import PatientInput
from tpi_notes.domain.session import Component, Diagnosis, Preparation
from tpi_notes.domain.sites import place_site
from tpi_notes.services import drafts, patients, staff
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo
from tpi_notes.services.exports import export_to_file

DEMO_SESSIONS = 200


def demo_clinic(ctx: AppContext) -> AppContext:
    """A believable clinic: 40 patients, 200 sessions (signed and drafts, addenda, every agent class)."""
    build_demo(ctx, patients=40, sessions=DEMO_SESSIONS, seed=7)
    return ctx


def add_session(ctx: AppContext, family: str, given: str, *, mrn: str, day: date = date(2026, 3, 2),
                complications: str = "None", muscles: tuple[tuple[str, str], ...] = (("upper_trapezius", "R"),)
                ) -> int:
    """A patient called ``family``/``given`` with one saved draft: lidocaine 1 % into ``muscles``."""
    doctor = staff.add_staff(ctx, f"Doctor {mrn}", "MD", ("physician",))
    patient = patients.create_patient(ctx, PatientInput(mrn=mrn, family_name=family, given_name=given,
                                                        birth_date=date(1970, 5, 1), weight_kg=70.0,
                                                        history=History.of(allergies="no", pregnant="no", breastfeeding="no")))
    atlas = load_atlas()
    sites = []
    for number, (muscle, side) in enumerate(muscles, start=1):
        region = next(r for r in atlas.regions if (r.muscle_id, r.view, r.side) == (muscle, "posterior", side))
        sites.append(replace(place_site(atlas, "posterior", *region.anchor, number), preparation_label="A",
                             volume_ml=1.0))
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=9)
    draft = replace(drafts.new_draft(ctx, patient.id), performed_start=start, physician_id=doctor.id,
                    performed_end=start + timedelta(minutes=20), diagnoses=(Diagnosis("M79.12", ""),),
                    complications=complications, pain_before=6, pain_after=2, sites=tuple(sites),
                    preparations=(Preparation("A", (Component("lidocaine-1", 5.0),)),))
    saved = drafts.save_draft(ctx, draft)
    assert saved.id is not None
    return saved.id


def export_events(ctx: AppContext) -> list[AuditEvent]:
    with ctx.transaction() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)))


def csv_rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))


def jsonl_sessions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def export(ctx: AppContext, fmt: str, tmp_path: Path, name: str | None = None, **kwargs) -> Path:  # noqa: ANN003
    target = tmp_path / (name or f"export.{fmt}")
    export_to_file(ctx, fmt, target, **kwargs)
    return target
