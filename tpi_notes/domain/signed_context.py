"""What a signature also fixes besides the session itself: the patient and the clinic as they were.

A procedure note prints the patient's identifiers, weight and risk history and the clinic's letterhead, and
its "% of maximum" is worked out from the weight. Those live in the patient and clinic records, which keep
changing after the session (a new weight, a newly found allergy, a clinic that moves). A reprint of a signed
note must still say what the physician signed, so signing copies these values into the session as its
*signed context*, and the content hash covers them (content version 2).

Sessions signed before this existed (content version 1) have no signed context; they print the current
patient and clinic, as they always did, and verify as before.

Content version 3 adds the patient's ``history``: each history item's answer (yes / no / unknown) with who
recorded it and when (domain/history_answers.py), so a reprint tells "asked, no" from "not asked". A version 2
context has no answers: its negatives were never asserted, so it reprints them as "Not recorded"; what it
hashes is unchanged.

Content version 4 adds ``allergy_entries``: each allergy as recorded (substance as typed, allergy or
intolerance, reaction, who and when; domain/allergies.py), so the note reprints "Kenalog (allergy,
anaphylaxis)" as signed. ``allergies`` keeps the plain list beside it; a context without entries (versions 2
and 3) reads that list as allergies with no reaction, and what it hashes is unchanged.

The patient's preferred language and the clinic's logo are deliberately not captured: the language is a
preference for the next printout, and the logo is the clinic's mark, not part of the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

from tpi_notes.domain.allergies import entries_from_json, entries_of
from tpi_notes.domain.clinic import ClinicInfo
from tpi_notes.domain.history_answers import History, history_context, history_from_values
from tpi_notes.domain.patient import PatientRecord

# The content version of a session signed with its context; 1 is the session's own fields only, 2 the
# context without history answers, 3 with them, 4 with the coded allergy entries.
SIGNED_CONTEXT_VERSION = 4

PATIENT_FIELDS = (
    "mrn", "family_name", "given_name", "birth_date", "sex", "weight_kg", "weight_date", "allergies",
    "anticoagulant", "bleeding_disorder", "diabetes", "insulin", "pregnant", "breastfeeding", "immunosuppressed",
    "implanted_device",
)
CLINIC_FIELDS = ("name", "address", "phone", "after_hours_phone")
_DATES = ("birth_date", "weight_date")


def patient_context(values: Mapping[str, Any]) -> dict[str, Any]:
    """The patient part of a signed context from stored patient values (a row or a record's fields)."""
    out: dict[str, Any] = {}
    for name in PATIENT_FIELDS:
        value = values.get(name)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple | list):
            value = list(value)
        out[name] = value
    return out


def clinic_context(clinic: ClinicInfo) -> dict[str, Any]:
    return {name: getattr(clinic, name) for name in CLINIC_FIELDS}


def capture(patient: PatientRecord, clinic: ClinicInfo) -> dict[str, Any]:
    """The signed context as plain JSON-ready values (dates as ISO text, lists for tuples)."""
    values = patient_context({name: getattr(patient, name) for name in PATIENT_FIELDS})
    values["history"] = history_context(patient)  # content version 3
    values["allergy_entries"] = [e.content() for e in entries_of(patient)]  # content version 4
    return {"patient": values, "clinic": clinic_context(clinic)}


def patient_as_signed(patient: PatientRecord, context: Mapping[str, Any] | None) -> PatientRecord:
    """``patient`` with the values it had at signing (unchanged when there is no signed context)."""
    if not context or "patient" not in context:
        return patient
    stored = context["patient"]
    values: dict[str, Any] = {}
    for name in PATIENT_FIELDS:
        if name not in stored:
            continue
        value = stored[name]
        if name in _DATES and value is not None:
            value = date.fromisoformat(value)
        elif name == "allergies":
            value = tuple(value or ())
        values[name] = value
    # Answers as signed; a context from before them (version 2) asserted no negative: all unknown.
    values["history"] = History.from_json(stored.get("history"))
    # the entries as signed; before version 4 the plain list is all there is (allergies, no reaction)
    values["allergy_entries"] = entries_from_json(stored.get("allergy_entries", stored.get("allergies")))
    return replace(patient, **values)


def clinic_as_signed(clinic: ClinicInfo, context: Mapping[str, Any] | None) -> ClinicInfo:
    """``clinic`` with the letterhead it had at signing (its settings and logo stay current)."""
    if not context or "clinic" not in context:
        return clinic
    stored = context["clinic"]
    return replace(clinic, **{name: stored[name] for name in CLINIC_FIELDS if name in stored})


_Row = TypeVar("_Row")
_EXPORTED = ("mrn", "family_name", "given_name", "birth_date", "sex", "weight_kg", "diabetes", "anticoagulant",
             "pregnant", "breastfeeding", "weight_date", "insulin", "allergies", "bleeding_disorder",
             "immunosuppressed", "implanted_device")


def export_patient_as_signed(patient: _Row, context: Mapping[str, Any]) -> _Row:
    """An export's patient tuple (a NamedTuple with some of :data:`PATIENT_FIELDS`) as it was at signing."""
    stored = context.get("patient") or {}
    values = {name: stored[name] for name in _EXPORTED if name in stored and name in patient._fields}  # type: ignore[attr-defined]
    for name in _DATES:
        if values.get(name) is not None:
            values[name] = date.fromisoformat(values[name])
    if "allergies" in values:  # coded entries as signed (version 4), else the plain list as allergies
        values["allergies"] = entries_from_json(stored.get("allergy_entries", values["allergies"]))
    for name in ("insulin", "bleeding_disorder", "immunosuppressed", "implanted_device"):
        if name in values:
            values[name] = bool(values[name])
    if "history" in patient._fields:  # type: ignore[attr-defined]
        # the answers as signed; a version-2 context has none: its positives only, the rest unknown
        values["history"] = history_from_values(stored, stored.get("history"))
    return patient._replace(**values)  # type: ignore[attr-defined]
