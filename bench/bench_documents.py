"""Documents (product.md §11): a 10-site procedure note with its diagram ≤ 200 ms, an aftercare sheet ≤ 150 ms.

Measured through the services, as the app and the CLI call them: reading the session, assessing a
draft, composing, rendering and writing the print audit event. It works on a copy of the 100,000-session
clinic (state["big_db"], built by bench_demo) so that the benchmark's own patient and session do not change
it; without it, a small demo clinic is built in state["tmp"].
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from acting import BENCH

from tpi_notes.anatomy import load_atlas
from tpi_notes.domain.patient import PatientInput
from tpi_notes.domain.session import Component, Diagnosis, ExamFinding, Preparation
from tpi_notes.domain.sites import place_site
from tpi_notes.services import documents, drafts, patients, staff
from tpi_notes.services.clinic import list_lots
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.demo import DEMO_END, build_demo

RUNS = 15
MUSCLES = [("upper_trapezius", "R"), ("upper_trapezius", "L"), ("levator_scapulae", "R"), ("levator_scapulae", "L"),
           ("rhomboid_major", "R"), ("rhomboid_major", "L"), ("infraspinatus", "R"), ("gluteus_medius", "R"),
           ("gluteus_medius", "L"), ("longissimus_lumborum", "R")]


def _clinic(state: dict) -> Path:
    target = state["tmp"] / "clinic-documents.sqlite"
    big = state.get("big_db")
    if big and Path(big).exists():
        with sqlite3.connect(big) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return target
    ctx = open_clinic(str(target), principal=BENCH)
    try:
        build_demo(ctx, patients=50, sessions=300, seed=7)
    finally:
        ctx.close()
    return target


def _ten_site_session(ctx: AppContext, mrn: str = "BENCH-10") -> int:
    """A draft with 10 injected sites and a mixed syringe (local anesthetic + steroid), on real lots."""
    atlas = load_atlas()
    when = datetime.combine(DEMO_END - timedelta(days=1), datetime.min.time()).replace(hour=9)
    lots = {lot.item_code: lot.lot_number for lot in list_lots(ctx) if not lot.retired and lot.expiry >= when.date()}
    patient = patients.create_patient(ctx, PatientInput(
        mrn=mrn, family_name="Nguyễn", given_name="Bench Ánh", birth_date=when.date().replace(year=1960),
        weight_kg=72.0, diabetes=True, anticoagulant="apixaban", allergies=("Penicillin",)))
    physician = staff.list_staff(ctx, "physician")[0]
    sites = []
    for number, (muscle, side) in enumerate(MUSCLES, start=1):
        region = next(r for r in atlas.regions if (r.muscle_id, r.side) == (muscle, side))
        site = place_site(atlas, region.view, *region.anchor, number)
        sites.append(replace(site, preparation_label="A", volume_ml=0.8, needle="25 G × 1.5 in", aspiration=True,
                             passes=3, twitch=True))
    draft = replace(
        drafts.new_draft(ctx, patient.id), performed_start=when, performed_end=when + timedelta(minutes=30),
        physician_id=physician.id, location="Procedure room 1", indication="Neck and back pain for 8 months",
        diagnoses=(Diagnosis("M79.18", ""),), consent_type="written", timeout_done=True,
        timeout_at=when + timedelta(minutes=2), position="Prone", pain_before=7, sites=tuple(sites),
        conservative_care="Physical therapy for 8 weeks", pain_after=3, relief_pct=57,
        respiratory_check="Breath sounds equal, no dyspnea",  # complete enough to sign (bench_ratios signs it)
        exam_findings=tuple(ExamFinding(s.region_code, True, True, True) for s in sites),
        preparations=(Preparation("A", (Component("lidocaine-1", 7.0, lots["lidocaine-1"]),
                                        Component("triamcinolone-40", 1.0, lots["triamcinolone-40"]))),),
    )
    saved = drafts.save_draft(ctx, draft)
    assert saved.id is not None
    return saved.id


def _median_ms(action: object) -> float:
    action()  # warm-up: fonts registered, atlas and rules loaded
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def run(state: dict) -> list[dict]:
    ctx = open_clinic(str(_clinic(state)), principal=BENCH)
    try:
        session_id = _ten_site_session(ctx)
        note = _median_ms(lambda: documents.procedure_note_pdf(ctx, session_id))
        sheet = _median_ms(lambda: documents.aftercare_pdf(ctx, session_id, "en"))
        large = _median_ms(lambda: documents.aftercare_pdf(ctx, session_id, "es", large_print=True))
    finally:
        ctx.close()
    return [
        {"what": "procedure note PDF, 10 sites + diagram (median)", "measured": note, "unit": "ms", "budget": 200.0},
        {"what": "aftercare sheet PDF (median)", "measured": sheet, "unit": "ms", "budget": 150.0},
        {"what": "aftercare sheet PDF, large print (median)", "measured": large, "unit": "ms", "budget": 150.0},
    ]
