"""How values are worded on the documents: numbers, dates, yes/no, labels (plain functions, no layout)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from tpi_notes.domain.draft import CONSENT_TYPES, GUIDANCE
from tpi_notes.domain.history_answers import (
    allergies_text,
    anticoagulant_text,
    pregnancy_relevant,
    pregnancy_text,
    yes_no_unknown,
)
from tpi_notes.domain.patient import PatientRecord
from tpi_notes.domain.session import Site

CONSENT = {key: f"{label} consent obtained" for key, label in CONSENT_TYPES.items()}
GUIDANCE_LABELS = dict(GUIDANCE)
SEVERITY = {"stop": "STOP", "warn": "Warning", "info": "Info"}


def num(value: float | None, digits: int = 2) -> str:
    """``1.0`` → ``"1"``, ``2.50`` → ``"2.5"``, rounded to ``digits`` decimals; None → ``"—"``."""
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def date_text(value: date | None) -> str:
    """Dates as YYYY-MM-DD: unambiguous for every reader of the chart."""
    return value.isoformat() if value else "—"


def time_text(value: datetime | None) -> str:
    return value.strftime("%H:%M") if value else "—"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def yes_no(value: bool | None) -> str:
    return "—" if value is None else ("Yes" if value else "No")


def technique_label(site: Site) -> str:
    if site.technique == "dry_needling":
        return "Dry needling + e-stim" if site.estim else "Dry needling"
    return "Injection"


def procedure_title(sites: Sequence[Site]) -> str:
    """The procedure's name (clinical-reference §1.1), from what was actually done."""
    injection = any(s.technique == "injection" for s in sites)
    needling = any(s.technique == "dry_needling" for s in sites)
    estim = any(s.estim for s in sites)
    parts = []
    if injection:
        parts.append("Trigger point injection" + ("s" if sum(s.technique == "injection" for s in sites) > 1 else ""))
    if needling:
        parts.append("dry needling" if injection else "Dry needling")
    title = " and ".join(parts) or "Procedure (no sites recorded)"
    if estim:
        title += " with electrical stimulation"
    return title


def patient_history(patient: PatientRecord, day: date | None = None) -> tuple[tuple[str, str], ...]:
    """The pre-procedure history the note must show (clinical-reference §1.2). A question nobody answered
    prints "Not recorded", never a negative; pregnant and breastfeeding print both."""
    relevant = pregnancy_relevant(patient.sex, patient.birth_date, day or date.today())
    diabetes = yes_no_unknown(patient, "diabetes")
    if diabetes == "Yes" and patient.insulin:
        diabetes = "Yes, on insulin"
    return (
        ("Allergies", allergies_text(patient)),
        ("Anticoagulant / antiplatelet", anticoagulant_text(patient)),
        ("Bleeding disorder", yes_no_unknown(patient, "bleeding_disorder")),
        ("Pregnancy / breastfeeding", pregnancy_text(patient, relevant)),
        ("Diabetes", diabetes),
        ("Immunosuppressed", yes_no_unknown(patient, "immunosuppressed")),
        ("Implanted electronic device", yes_no_unknown(patient, "implanted_device")),
    )
