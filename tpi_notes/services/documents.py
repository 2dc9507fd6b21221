"""Printing: the procedure note and the aftercare sheet as PDF bytes, each one audited transaction.

The data comes from the existing repositories. A draft is assessed as it stands (findings, doses and
codes, the same as the editor shows); a signed session prints the findings stored at signing, with
doses and codes recomputed from its record by the rules of its date, and the patient (and, on the note,
the clinic letterhead) as they were at signing. The aftercare sheet of a signed session keeps the
clinic's current phone numbers: the patient should call the numbers that work today. The aftercare sheet records the
library version it used: on a draft in the session's ``aftercare_version`` (outside the row version, so
an editor open on the draft is not disturbed; the signature later covers it); a signed session is
never changed — its print event names the version instead. Every print of the sheet is also a row of
``aftercare_print`` pointing at its audit event, from which the note prints when, in which language and
by whom the sheet was printed, even when that was after signing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tpi_notes.anatomy import Atlas, load_atlas
from tpi_notes.db.models import ProcedureSession
from tpi_notes.db.repositories import aftercare_prints, audit, patients, reference, session_records
from tpi_notes.domain.aftercare import compose_aftercare, language_names, load_library, print_detail
from tpi_notes.domain.clinic import ClinicInfo
from tpi_notes.domain.coding import Coding, derive_codes
from tpi_notes.domain.dosing import DoseSummary, dose_summary
from tpi_notes.domain.draft import draft_from_record
from tpi_notes.domain.errors import NotFoundError
from tpi_notes.domain.findings import Finding
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.patient import PatientRecord
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.printed_context import formulary_as_signed, printed_of, record_as_signed
from tpi_notes.domain.rules import rules_for
from tpi_notes.domain.session import SessionRecord
from tpi_notes.domain.signed_context import clinic_as_signed, patient_as_signed
from tpi_notes.reports.aftercare_sheet import render_aftercare
from tpi_notes.reports.note_model import build_note_vm
from tpi_notes.reports.procedure_note import render_procedure_note
from tpi_notes.services import aftercare_prefs, signed_notes
from tpi_notes.services import outcomes as outcome_rows
from tpi_notes.services.context import AppContext
from tpi_notes.services.integrity import signature_problem


@dataclass(frozen=True)
class _Chart:
    record: SessionRecord
    patient: PatientRecord
    clinic: ClinicInfo
    formulary: dict[str, FormularyItem]
    atlas: Atlas


def _chart(s: Session, session_id: int) -> _Chart:
    """The session with its patient and clinic; a signed session's patient is the one it was signed with
    (weight, history, identifiers: domain/signed_context.py). The clinic is the current one here: callers
    that print the signed letterhead apply :func:`clinic_as_signed` themselves."""
    record = session_records.load(s, session_id)
    if record is None:
        raise NotFoundError(f"Session {session_id} does not exist.")
    row = patients.get(s, record.patient_id)
    if row is None:
        raise NotFoundError(f"Patient {record.patient_id} of session {session_id} does not exist.")
    formulary = {item.code: item for item in reference.list_items(s, include_retired=True)}
    patient = patient_as_signed(patients.to_record(row), record.signed_context)
    # names, formulary items, lots and finding sources as signed (content version 5; domain/printed_context.py)
    formulary = formulary_as_signed(formulary, record.signed_context)
    record = record_as_signed(record, record.signed_context)
    return _Chart(record, patient, reference.clinic_info(s), formulary, load_atlas(record.atlas_version))


def _assessment(s: Session, chart: _Chart) -> tuple[DoseSummary, Coding, tuple[Finding, ...]]:
    record = chart.record
    if not record.is_signed:
        from tpi_notes.services.assessment import assess_in

        # the formulary _chart read (a draft's is the current one, nothing as signed): not read again (issue 19)
        current = chart.formulary if printed_of(record.signed_context) is None else None
        result = assess_in(s, draft_from_record(record), formulary=current)
        return result.doses, result.coding, result.findings
    doses = dose_summary(record, chart.formulary, chart.patient.weight_kg)
    profile = reference.settings(s).estim_payer_profile
    coding = derive_codes(record, chart.formulary, rules_for(record.performed_start.date()), profile)
    return doses, coding, record.findings


def _render_note(s: Session, chart: _Chart, problem: str | None, pdf_line: str) -> bytes:
    """The note rendered from the record (``pdf_line``: what it says about its PDF signature)."""
    doses, coding, findings = _assessment(s, chart)
    clinic = clinic_as_signed(chart.clinic, chart.record.signed_context)  # the letterhead it was signed under
    vm = build_note_vm(chart.record, chart.patient, clinic, chart.formulary, chart.atlas,
                       doses=doses, coding=coding, findings=findings,
                       aftercare_prints=aftercare_prints.for_session(s, chart.record.id),
                       language_names=language_names())
    vm = replace(vm, outcomes=outcome_rows.note_outcomes(s, chart.record))  # PEG, response to prior (issue 17)
    if problem:  # loud on paper: every page says the record was altered after signing
        vm = replace(vm, integrity_problem=problem)
    if vm.signature is not None and pdf_line:
        vm = replace(vm, signature=replace(vm.signature, pdf_signature=pdf_line))
    return render_procedure_note(vm, paper=reference.settings(s).paper_size)


def render_signed_note(s: Session, session_id: int, pdf_line: str) -> tuple[bytes, int, str] | None:
    """Inside a signing transaction: the note to PAdES-sign (services/signed_notes.py), its patient id and the
    clinic's name; None when the record no longer matches its signature (nothing altered is ever PDF-signed)."""
    chart = _chart(s, session_id)
    if signature_problem(s, chart.record):
        return None
    return _render_note(s, chart, None, pdf_line), chart.record.patient_id, chart.clinic.name


def procedure_note_pdf(ctx: AppContext, session_id: int) -> bytes:
    """The procedure note of ``session_id`` (a draft prints with "DRAFT — NOT SIGNED"); audited as a print.

    A signed session prints its stored PAdES-signed PDF (the newest: the last addendum's), byte for byte, unless
    the record or that PDF no longer matches what was signed; then it is rendered from the record, saying so."""
    ctx.require(Permission.PRINT)
    with ctx.read() as s:
        chart = _chart(s, session_id)
        problem = signature_problem(s, chart.record)
        stored = signed_notes.stored_pdf(s, session_id, chart.record.patient_id) if chart.record.is_signed else None
        if stored is not None and not problem and stored.printable:
            pdf, state = stored.pdf, f"signed, its PAdES-signed PDF of {stored.created_at}"
        else:
            line = signed_notes.status_line(s, chart.record, stored) if chart.record.is_signed else ""
            pdf = _render_note(s, chart, problem, line)
            state = "signed" if chart.record.is_signed else "draft"
            if stored is not None and stored.problem:
                state += f", {stored.problem}"
        if problem:
            state += f", ALTERED AFTER SIGNING: {problem}"
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="print", entity="session",
                     entity_id=session_id, patient_id=chart.record.patient_id,
                     detail=f"procedure note ({state}, {len(pdf)} bytes)")
        return pdf


def _record_version(s: Session, session_id: int, version: str) -> bool:
    """Store the aftercare version on a draft; a signed session is left exactly as signed."""
    result = s.execute(update(ProcedureSession)
                       .where(ProcedureSession.id == session_id, ProcedureSession.status == "draft",
                              ProcedureSession.aftercare_version != version)
                       .values(aftercare_version=version).execution_options(synchronize_session=False))
    return bool(result.rowcount)


def set_aftercare_version(ctx: AppContext, session_id: int, version: str) -> bool:
    """Record which aftercare text a draft's patient was given; False (nothing written) when signed or same."""
    ctx.require(Permission.PRINT)
    with ctx.transaction() as s:
        state = session_records.status_and_version(s, session_id)
        if state is None:
            raise NotFoundError(f"Session {session_id} does not exist.")
        recorded = _record_version(s, session_id, version)
        if recorded:
            patient_id = s.scalar(select(ProcedureSession.patient_id).where(ProcedureSession.id == session_id))
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="session",
                         entity_id=session_id, patient_id=patient_id,
                         detail=f"aftercare library version {version} recorded on the draft")
        return recorded


def aftercare_pdf(ctx: AppContext, session_id: int, lang: str | None = None, large_print: bool = False) -> bytes:
    """The aftercare sheet in ``lang`` (default: the patient's language), optionally in large print."""
    ctx.require(Permission.PRINT)
    library = load_library()
    with ctx.transaction() as s:
        chart = _chart(s, session_id)
        chosen = lang or chart.patient.language or "en"
        doc = compose_aftercare(chart.record, chart.patient, chart.clinic, chart.formulary, chart.atlas, library,
                                chosen)
        pdf = render_aftercare(doc, large_print=large_print, paper=reference.settings(s).paper_size)
        recorded = _record_version(s, session_id, library.version) if not chart.record.is_signed else False
        where = "recorded on the draft" if recorded else (
            "signed session unchanged" if chart.record.is_signed else "already recorded")
        # The print is an audit event with a row pointing at it: the note reads when, in which language and by
        # whom the sheet was printed, before or after signing, without any change to the signed content.
        aftercare_prefs.remember(s, chart.record.patient_id, large_print)  # the default next time
        aftercare_prints.record(s, actor=ctx.actor, user_id=ctx.user_id, session_id=session_id,
                                patient_id=chart.record.patient_id, lang=chosen, large_print=large_print,
                                version=library.version,
                                detail=print_detail(library.version, where, chosen, large_print))
        return pdf
