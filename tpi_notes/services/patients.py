"""Patient actions: search, open, register, update, and the patient's sessions."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tpi_notes.db.repositories import audit, locks, patients, sessions
from tpi_notes.domain.allergies import entries_of, stamped
from tpi_notes.domain.errors import ConcurrentEditError, NotFoundError, ValidationError
from tpi_notes.domain.history_answers import recorded
from tpi_notes.domain.patient import PatientInput, PatientRecord, PatientSummary, validate_patient
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.session import SessionSummary
from tpi_notes.services.context import AppContext

SEARCH_LIMIT = 500
SEARCH_TEXT_MAX = 200  # characters a search box takes; far beyond any name, MRN and date together


def search_patients(ctx: AppContext, text: str, limit: int = SEARCH_LIMIT) -> list[PatientSummary]:
    """Patients matching every word typed (name start, MRN start, or date of birth), by name."""
    ctx.require(Permission.VIEW_RECORDS)
    if len(text) > SEARCH_TEXT_MAX:
        raise ValidationError({"search": f"Type at most {SEARCH_TEXT_MAX} characters to search."})
    with ctx.read() as s:
        return patients.search(s, text, limit)


def count_patients(ctx: AppContext) -> int:
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        return patients.count(s)


def get_patient(ctx: AppContext, patient_id: int) -> PatientRecord:
    """Open a patient's record (an audited view)."""
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        row = patients.get(s, patient_id)
        if row is None:
            raise NotFoundError(f"Patient {patient_id} does not exist.")
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="view", entity="patient",
                     entity_id=row.id, patient_id=row.id)
        return patients.to_record(row)


def _check_mrn_free(s, mrn: str, patient_id: int | None) -> None:  # noqa: ANN001 - Session
    owner = patients.mrn_owner(s, mrn)
    if owner is not None and owner != patient_id:
        raise ValidationError({"mrn": f"MRN {mrn} already belongs to another patient."})


def create_patient(ctx: AppContext, data: PatientInput) -> PatientRecord:
    """Register a patient; invalid input raises ValidationError and writes nothing."""
    ctx.require(Permission.EDIT_PATIENTS)
    clean = validate_patient(data, ctx.today())
    # Each answered history item is stamped with who recorded it and when (unanswered ones stay unknown).
    now = datetime.now().replace(microsecond=0)
    clean = replace(clean, history=recorded(None, clean, ctx.actor, now),
                    allergy_entries=stamped((), entries_of(clean), ctx.actor, now))  # each allergy: who and when
    with ctx.transaction() as s:
        _check_mrn_free(s, clean.mrn, None)
        row = patients.add(s, clean)
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="create", entity="patient",
                     entity_id=row.id, patient_id=row.id)
        return patients.to_record(row)


def update_patient(ctx: AppContext, patient_id: int, data: PatientInput, row_version: int) -> PatientRecord:
    """Save changes to a patient opened at ``row_version``; a newer save by someone else is refused."""
    ctx.require(Permission.EDIT_PATIENTS)
    clean = validate_patient(data, ctx.today())
    with ctx.transaction() as s:
        locks.patient_row(s, patient_id)  # another save of this patient waits (PostgreSQL)
        row = patients.get(s, patient_id)
        if row is None:
            raise NotFoundError(f"Patient {patient_id} does not exist.")
        if row.row_version != row_version:
            raise ConcurrentEditError(
                "This patient was changed on another workstation after you opened it. "
                "Reload to see the current details, then make your change again."
            )
        _check_mrn_free(s, clean.mrn, patient_id)
        before = patients.to_record(row)
        # An answer that changed is stamped now by this user; the others keep who recorded them and when.
        now = datetime.now().replace(microsecond=0)
        clean = replace(clean, history=recorded(before, clean, ctx.actor, now),
                        allergy_entries=stamped(entries_of(before), entries_of(clean), ctx.actor, now))
        patients.update(s, row, clean)
        changed = [k for k in PatientInput.__dataclass_fields__ if getattr(before, k) != getattr(clean, k)]
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="patient",
                     entity_id=row.id, patient_id=row.id, detail="fields: " + ", ".join(changed))
        return patients.to_record(row)


def list_patient_sessions(ctx: AppContext, patient_id: int) -> list[SessionSummary]:
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        return sessions.summaries_for_patient(s, patient_id)
