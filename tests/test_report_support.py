"""Builders shared by the document tests (imported by tests/test_report_*.py and test_aftercare*.py):
a clinic with a physician, patients with any name, sessions with any number of sites, signing."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select

from tpi_notes.anatomy import load_atlas
from tpi_notes.db.models import FormularyItem, Lot
from tpi_notes.db.repositories import reference
from tpi_notes.domain.draft import DEFAULT_RISKS, NEAR_LUNG_RISK, STEROID_RISKS
from tpi_notes.domain.history_answers import History
from tpi_notes.domain.patient import PatientInput, PatientRecord
from tpi_notes.domain.session import Component, Diagnosis, EStim, ExamFinding, Preparation
from tpi_notes.domain.sites import place_site
from tpi_notes.services import drafts, patients, staff
from tpi_notes.services.clinic import list_lots
from tpi_notes.services.context import AppContext
from tpi_notes.services.signing import sign_session

PASSWORD = "Correct-horse-42"
START = datetime(2026, 11, 2, 9, 30)
# Muscles in the order a long session adds them: (muscle id, view, side).
MUSCLES = [
    ("upper_trapezius", "posterior", "R"), ("upper_trapezius", "posterior", "L"),
    ("levator_scapulae", "posterior", "R"), ("levator_scapulae", "posterior", "L"),
    ("rhomboid_major", "posterior", "R"), ("rhomboid_major", "posterior", "L"),
    ("infraspinatus", "posterior", "R"), ("infraspinatus", "posterior", "L"),
    ("gluteus_medius", "posterior", "R"), ("gluteus_medius", "posterior", "L"),
    ("longissimus_lumborum", "posterior", "R"), ("longissimus_lumborum", "posterior", "L"),
    ("gluteus_maximus", "posterior", "R"), ("gluteus_maximus", "posterior", "L"),
    ("gastrocnemius", "posterior", "R"), ("gastrocnemius", "posterior", "L"),
    ("deltoid", "anterior", "R"), ("deltoid", "anterior", "L"),
    ("vastus_lateralis", "anterior", "R"), ("vastus_lateralis", "anterior", "L"),
]


def setup_clinic(ctx: AppContext, *, after_hours: str = "(555) 010-9999", hours: int = 48) -> int:
    """Clinic details, a lot of every formulary item and one physician (with a password); returns its id."""
    with ctx.transaction() as s:
        settings = reference.settings(s)
        settings.name = "Harbor & Pines Pain Clinic"
        settings.address = "10 Harbor Way\nPortland, OR 97201"
        settings.phone = "(555) 010-2000"
        settings.after_hours_phone = after_hours
        settings.strenuous_activity_hours = hours
        for item in s.scalars(select(FormularyItem)):
            s.add(Lot(item_id=item.id, lot_number=f"{item.code.split('-')[0][:3].upper()}-2611",
                      expiry=date(2027, 6, 30), ndc="99999-0001-01"))
    doctor = staff.add_staff(ctx, "Amelia Hart", "MD", ("physician",))
    from tpi_notes.services.accounts import set_password

    set_password(ctx, doctor.id, PASSWORD)
    return doctor.id


def add_patient(ctx: AppContext, family: str = "Nguyễn", given: str = "Thị Ánh", mrn: str = "P-100",
                **fields: Any) -> PatientRecord:
    data = PatientInput(mrn=mrn, family_name=family, given_name=given, birth_date=date(1961, 3, 9), sex="female",
                        weight_kg=70.0, history=History.of(allergies="no", pregnant="no", breastfeeding="no"))  # asked, all denied
    return patients.create_patient(ctx, replace(data, **fields))


def _lot(ctx: AppContext, code: str) -> str:
    lots = [x for x in list_lots(ctx) if x.item_code == code]
    return lots[-1].lot_number if lots else ""


def session_draft(ctx: AppContext, patient_id: int, physician_id: int, n_sites: int = 3, *,
                  technique: str = "injection",
                  syringe: tuple[tuple[str, float], ...] = (("lidocaine-1", 8.0), ("triamcinolone-40", 1.0),
                                                            ("saline-0.9", 1.0)),
                  muscles: list[tuple[str, str, str]] | None = None, estim: bool = False, **fields: Any):  # noqa: ANN201
    """A complete draft with ``n_sites`` sites (all ``technique``), ready to save and sign (on the newest atlas,
    or on ``atlas_version`` when given)."""
    atlas = load_atlas(fields.get("atlas_version"))
    chosen = (muscles or MUSCLES)[:n_sites]
    per_site = round(min(1.0, sum(ml for _code, ml in syringe) / max(1, len(chosen))), 2)
    sites = []
    for number, (muscle, view, side) in enumerate(chosen, start=1):
        region = next(r for r in atlas.regions if (r.muscle_id, r.view, r.side) == (muscle, view, side))
        site = place_site(atlas, view, *region.anchor, number, technique)
        if technique == "injection":
            site = replace(site, preparation_label="A", volume_ml=per_site, needle="25 G × 1.5 in", aspiration=True,
                           passes=3, twitch=True)
        else:
            site = replace(site, needle="0.30 × 50 mm", needles_in=2, needles_out=2, dwell_minutes=10.0, twitch=False,
                           estim=EStim(2.0, 250.0, 8.0, 15.0, True) if estim else None)
        sites.append(site)
    preps = ()
    if technique == "injection":
        preps = (Preparation("A", tuple(Component(code, ml, _lot(ctx, code)) for code, ml in syringe)),)
    risks = DEFAULT_RISKS + STEROID_RISKS + (NEAR_LUNG_RISK,)
    draft = replace(
        drafts.new_draft(ctx, patient_id), performed_start=START, performed_end=START + timedelta(minutes=25),
        location="Procedure room 2", physician_id=physician_id, indication="Neck and upper back pain for 6 months",
        conservative_care="Physical therapy for 8 weeks; home exercise", consent_type="written",
        consent_risks=risks, consent_form_id="TPI-C-2026",
        diagnoses=(Diagnosis("M79.18", ""), Diagnosis("M54.2", "")),
        exam_findings=tuple(ExamFinding(s.region_code, taut_band=True, hypersensitive_spot=True, referred_pain=True)
                            for s in sites),
        timeout_done=True, timeout_at=START + timedelta(minutes=2), position="Prone", pain_before=7, pain_after=3,
        relief_pct=57, complications="None", tolerance="Tolerated well", blood_loss="Minimal",
        observation_minutes=15, respiratory_check="Breath sounds equal, no dyspnea", disposition="Home, ambulatory",
        follow_up="Reassess in 6 weeks", sites=tuple(sites), preparations=preps,
    )
    return replace(draft, **fields)


def save_session(ctx: AppContext, patient_id: int, physician_id: int, n_sites: int = 3, **kw: Any) -> int:
    saved = drafts.save_draft(ctx, session_draft(ctx, patient_id, physician_id, n_sites, **kw))
    assert saved.id is not None
    return saved.id


def sign(ctx: AppContext, session_id: int, physician_id: int) -> None:
    draft = drafts.get_draft(ctx, session_id)
    sign_session(ctx, session_id, physician_id, PASSWORD, row_version=draft.row_version or 1)


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page, as pypdf extracts it."""
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Whitespace folded to single spaces (table cells wrap words onto new lines)."""
    return " ".join(text.split())


def test_session_builder_makes_the_sites_asked_for(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    draft = session_draft(ctx, patient.id, doctor, 20)
    assert [s.number for s in draft.sites] == list(range(1, 21))
    assert len({(s.muscle_id, s.side) for s in draft.sites}) == 20
