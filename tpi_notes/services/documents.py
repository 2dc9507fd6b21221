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
by whom the sheet was printed, even when that was after signing. In the app that row is written only once the
print system took the sheet (:func:`aftercare_sheet`, then :func:`aftercare_printed`): a preview is a view, and
a cancelled print or a refused job leaves no sheet "given" on the note and no large-print default changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tpi_notes.anatomy import Atlas, load_atlas
from tpi_notes.db.models import ProcedureSession
from tpi_notes.db.repositories import aftercare_prints, audit, patients, reference, session_records
from tpi_notes.domain.aftercare import (
    AftercareLibrary,
    compose_aftercare,
    language_names,
    load_library,
    print_detail,
)
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


_MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]")
PAPER_NAMES = {"letter": "Letter", "a4": "A4"}


def pdf_paper(pdf: bytes) -> str | None:
    """The paper a PDF of ours is laid out on ("letter" or "a4", from its first page's MediaBox), or None."""
    found = _MEDIA_BOX.search(pdf)
    if found is None:
        return None
    width, height = float(found.group(1)), float(found.group(2))
    for paper, (w, h) in {"letter": (612.0, 792.0), "a4": (595.28, 841.89)}.items():
        if abs(width - w) < 1 and abs(height - h) < 1:
            return paper
    return None


@dataclass(frozen=True)
class NoteDocument:
    """A procedure note made to show or send (:func:`procedure_note`); ``state`` is what its audit events say."""

    session_id: int
    patient_id: int
    pdf: bytes
    state: str


def procedure_note_pdf(ctx: AppContext, session_id: int, *, paper_copy: bool = False) -> bytes:
    """The procedure note of ``session_id`` (a draft prints with "DRAFT — NOT SIGNED"), audited as a print (the
    command line's file, and callers that hand it over at once); see :func:`procedure_note`."""
    return procedure_note(ctx, session_id, paper_copy=paper_copy).pdf


def note_printed(ctx: AppContext, note: NoteDocument, where: str) -> None:
    """The note went out (``where``: "sent to QUEUE as PDF on Letter, job ID", "saved as FILE"): its print event.
    The app makes the note unaudited for its print dialog and records the print only then, so a cancelled
    dialog or a refused job is no print in the trail, and a preview is a view."""
    ctx.require(Permission.PRINT)
    with ctx.transaction() as s:
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="print", entity="session",
                     entity_id=note.session_id, patient_id=note.patient_id,
                     detail=f"procedure note ({note.state}, {len(note.pdf)} bytes; {where})")


def procedure_note(ctx: AppContext, session_id: int, *, paper_copy: bool = False,
                   audit_as: str | None = "print") -> NoteDocument:
    """The procedure note of ``session_id`` (a draft prints with "DRAFT — NOT SIGNED"), audited as ``audit_as``
    ("print", "view" for a preview, or None for a print dialog: :func:`note_printed` records the print).

    A signed session prints its stored PAdES-signed PDF (the newest: the last addendum's), byte for byte, unless
    the record or that PDF no longer matches what was signed; then it is rendered from the record, saying so.
    ``paper_copy`` (the app's preview and print): when the clinic's paper is no longer the one the signed PDF was
    laid out on (the clinic moved from Letter to A4), the copy for paper is rendered from the same signed record
    on today's paper, its footer naming the signed PDF's paper (paper carries no PDF signature; the stored PDF
    stays as signed, and the command line still gives it)."""
    ctx.require(Permission.PRINT)
    with ctx.read() as s:
        chart = _chart(s, session_id)
        problem = signature_problem(s, chart.record)
        stored = signed_notes.stored_pdf(s, session_id, chart.record.patient_id) if chart.record.is_signed else None
        paper = reference.settings(s).paper_size
        signed_on = pdf_paper(stored.pdf) if stored is not None and paper_copy else None
        if stored is not None and not problem and stored.printable and signed_on not in (None, paper):
            on = PAPER_NAMES.get(signed_on or "", signed_on)
            pdf = _render_note(s, chart, None, f"{signed_notes.SIGNED} on {on}")
            state = (f"signed, laid out on {PAPER_NAMES.get(paper, paper)} from the record; its PAdES-signed PDF "
                     f"of {stored.created_at} is on {on}")
        elif stored is not None and not problem and stored.printable:
            pdf, state = stored.pdf, f"signed, its PAdES-signed PDF of {stored.created_at}"
        else:
            line = signed_notes.status_line(s, chart.record, stored) if chart.record.is_signed else ""
            pdf = _render_note(s, chart, problem, line)
            state = "signed" if chart.record.is_signed else "draft"
            if stored is not None and stored.problem:
                state += f", {stored.problem}"
        if problem:
            state += f", ALTERED AFTER SIGNING: {problem}"
        if audit_as is not None:
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action=audit_as, entity="session",
                         entity_id=session_id, patient_id=chart.record.patient_id,
                         detail=f"procedure note ({state}, {len(pdf)} bytes)")
        return NoteDocument(session_id, chart.record.patient_id, pdf, state)


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


@dataclass(frozen=True)
class AftercareSheet:
    """A sheet made to show or to send (:func:`aftercare_sheet`); nothing says the patient was given it until
    :func:`aftercare_printed` records that the print system took it."""

    session_id: int
    pdf: bytes
    lang: str
    large_print: bool
    version: str


def _compose_sheet(s: Session, session_id: int, lang: str | None, large_print: bool,
                   library: AftercareLibrary) -> tuple[_Chart, str, bytes]:
    chart = _chart(s, session_id)
    chosen = lang or chart.patient.language or "en"
    doc = compose_aftercare(chart.record, chart.patient, chart.clinic, chart.formulary, chart.atlas, library, chosen)
    return chart, chosen, render_aftercare(doc, large_print=large_print, paper=reference.settings(s).paper_size)


def aftercare_sheet(ctx: AppContext, session_id: int, lang: str | None = None, large_print: bool = False, *,
                    preview: bool = False) -> AftercareSheet:
    """The aftercare sheet to show (``preview``: audited as a view) or to send to a printer (recorded once sent,
    by :func:`aftercare_printed`): a preview, a cancelled print dialog or a printer that refused the job is not a
    sheet handed to the patient, and does not change the patient's large-print default."""
    ctx.require(Permission.PRINT)
    library = load_library()
    with ctx.read() as s:
        chart, chosen, pdf = _compose_sheet(s, session_id, lang, large_print, library)
        if preview:
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="view", entity="session",
                         entity_id=session_id, patient_id=chart.record.patient_id,
                         detail=f"aftercare sheet preview, library version {library.version}, language {chosen}"
                                f"{', large print' if large_print else ''}")
    return AftercareSheet(session_id, pdf, chosen, large_print, library.version)


def aftercare_printed(ctx: AppContext, sheet: AftercareSheet, where: str) -> None:
    """The sheet went out (``where``: "sent to QUEUE, job ID", "saved as FILE"): the print's audit event and
    row (the note lists it), the text version on a draft, and large print kept as the patient's default."""
    ctx.require(Permission.PRINT)
    with ctx.transaction() as s:
        found = s.execute(select(ProcedureSession.status, ProcedureSession.patient_id)
                          .where(ProcedureSession.id == sheet.session_id)).first()
        if found is None:
            raise NotFoundError(f"Session {sheet.session_id} does not exist.")
        status, patient_id = found
        signed = status != "draft"
        recorded = _record_version(s, sheet.session_id, sheet.version) if not signed else False
        how = "recorded on the draft" if recorded else ("signed session unchanged" if signed else "already recorded")
        aftercare_prefs.remember(s, patient_id, sheet.large_print)
        aftercare_prints.record(s, actor=ctx.actor, user_id=ctx.user_id, session_id=sheet.session_id,
                                patient_id=patient_id, lang=sheet.lang, large_print=sheet.large_print,
                                version=sheet.version,
                                detail=print_detail(sheet.version, f"{how}; {where}", sheet.lang, sheet.large_print))


def aftercare_pdf(ctx: AppContext, session_id: int, lang: str | None = None, large_print: bool = False) -> bytes:
    """The aftercare sheet in ``lang`` (default: the patient's language), optionally in large print, recorded as
    printed at once (the command line's file: it is handed over as it is written)."""
    ctx.require(Permission.PRINT)
    library = load_library()
    with ctx.transaction() as s:
        chart, chosen, pdf = _compose_sheet(s, session_id, lang, large_print, library)
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
