"""Bleeding risk: one predicate for the safety finding, the aftercare sheet, the badge and the exports.

Every needle carries bleeding risk (product.md §4; clinical-reference §4.2: anticoagulants are a precaution
for trigger point injection and for dry needling alike). The finding and the sheet's bleeding block used to
decide this separately, and disagreed for dry needling; both now ask :func:`bleeding_risk`.
"""

from __future__ import annotations

from collections.abc import Iterable

from tpi_notes.domain.none_answers import named_or_empty
from tpi_notes.domain.patient import PatientInput


def anticoagulant_taken(patient: PatientInput) -> str:
    """The anticoagulant or antiplatelet the patient takes, or "" (nothing recorded, or "None", "n/a"…)."""
    return named_or_empty(patient.anticoagulant)


def bleeding_risk(patient: PatientInput, sites: Iterable[object]) -> bool:
    """This patient has a bleeding risk for this session: any needle (injection or dry needling) and an
    anticoagulant or a bleeding disorder."""
    return any(True for _ in sites) and (bool(anticoagulant_taken(patient)) or patient.bleeding_disorder)


def bleeding_risk_reason(patient: PatientInput) -> str:
    """What the risk is, for the finding's message: "takes warfarin and has a bleeding disorder"."""
    parts = []
    drug = anticoagulant_taken(patient)
    if drug:
        parts.append(f"takes {drug}")
    if patient.bleeding_disorder:
        parts.append("has a bleeding disorder")
    return " and ".join(parts)
