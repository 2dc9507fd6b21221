"""Small builders for table-driven rule tests (plain data, no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from tpi_notes.anatomy import load_atlas
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.formulary import load_default_formulary
from tpi_notes.domain.patient import PatientRecord
from tpi_notes.domain.session import Component, EStim, ExamFinding, Preparation, Site
from tpi_notes.domain.sites import place_site

ATLAS = load_atlas()
FORMULARY = {item.code: item for item in load_default_formulary().items}
START = datetime(2026, 6, 1, 10, 0)


def region(muscle_id: str, side: str, view: str = "posterior"):  # noqa: ANN201
    return next(r for r in ATLAS.regions if (r.muscle_id, r.side, r.view) == (muscle_id, side, view))


def site(n: int, muscle_id: str, side: str, technique: str = "injection", ml: float | None = 1.0,
         label: str | None = "A", view: str = "posterior", **more: object) -> Site:
    reg = region(muscle_id, side, view)
    placed = place_site(ATLAS, view, *reg.anchor, n, technique)
    assert placed is not None
    if technique == "injection":
        return replace(placed, preparation_label=label, volume_ml=ml, **more)
    return replace(placed, needles_in=more.pop("needles_in", 1), needles_out=more.pop("needles_out", 1), **more)


def syringe(*parts: tuple[str, float], label: str = "A") -> Preparation:
    return Preparation(label, tuple(Component(code, ml, "LOT1") for code, ml in parts))


def patient(**over: object) -> PatientRecord:
    base = PatientRecord(mrn="T1", family_name="Test", given_name="Pat", birth_date=date(1970, 1, 1),
                         sex="female", weight_kg=70.0, id=1)
    return replace(base, **over)


def draft(sites: list[Site], preps: list[Preparation], **over: object) -> SessionDraft:
    base = SessionDraft(patient_id=1, performed_start=START, atlas_version=ATLAS.version, sites=tuple(sites),
                        preparations=tuple(preps), consent_type="written", timeout_done=True, timeout_at=START,
                        exam_findings=tuple(ExamFinding(s.region_code, True, True) for s in sites))
    return replace(base, **over)


__all__ = ["ATLAS", "FORMULARY", "START", "EStim", "draft", "patient", "region", "site", "syringe"]
