"""The session history read for export: batches of plain ``ExportSession``s, in order, never the whole result.

``ordered_ids`` streams the ids a filter matches, sorted by performed start then id (the database sorts the
small keys, not whole rows; ``yield_per``: SQLite steps its cursor as rows are taken, PostgreSQL uses a
server-side cursor). ``load`` reads one batch of ids with six column queries — sessions with their patient,
diagnoses, syringes with components and lots, sites, findings, addenda — on the session's Core connection
(plain tuples, none of the ORM's per-row bookkeeping). ``session_records.load`` does the same for one
session with a dozen queries; this is the reader for 100,000.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import NamedTuple

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session

from tpi_notes.db.models import (
    Addendum,
    FormularyItem,
    Lot,
    Patient,
    Preparation,
    PreparationComponent,
    ProcedureSession,
    SessionDiagnosis,
    SessionFinding,
    Site,
    User,
)
from tpi_notes.db.repositories import outcomes
from tpi_notes.db.repositories.session_filter import matching_ids
from tpi_notes.domain.allergies import entries_from_json
from tpi_notes.domain.export_records import (
    Clinician,
    ExportAddendum,
    ExportComponent,
    ExportDiagnosis,
    ExportExamFinding,
    ExportFinding,
    ExportPatient,
    ExportPreparation,
    ExportSession,
    ExportSite,
)
from tpi_notes.domain.history import HistoryFilter
from tpi_notes.domain.history_answers import history_from_values
from tpi_notes.domain.session import EStim
from tpi_notes.domain.signed_context import export_patient_as_signed

BATCH = 500
PS = ProcedureSession
IDS = bindparam("ids", expanding=True)

_SESSIONS = (select(PS.id, PS.status, PS.performed_start, PS.performed_end, PS.location, PS.physician_id,
                    PS.assistant_id, PS.signed_by_id, PS.signed_at, PS.content_sha256, PS.atlas_version,
                    PS.indication, PS.pain_before, PS.pain_after, PS.relief_pct, PS.complications, PS.follow_up,
                    PS.comments, Patient.id, Patient.mrn, Patient.family_name, Patient.given_name,
                    Patient.birth_date, Patient.sex, Patient.weight_kg, Patient.diabetes, Patient.anticoagulant,
                    Patient.pregnant, Patient.breastfeeding, PS.signed_context, Patient.allergies,
                    Patient.bleeding_disorder, Patient.immunosuppressed, Patient.implanted_device, Patient.history,
                    # the rest of the record the rules read (`tpi-notes assess`, issue 13 item 7)
                    Patient.weight_date, Patient.insulin, PS.conservative_care, PS.exam_findings, PS.consent_type,
                    PS.consent_risks, PS.consent_form_id, PS.timeout_done, PS.timeout_at, PS.position,
                    PS.antisepsis, PS.guidance, PS.respiratory_check, PS.tolerance, PS.blood_loss,
                    PS.observation_minutes, PS.disposition, PS.follow_up_in)
             .join(Patient, Patient.id == PS.patient_id).where(PS.id.in_(IDS)))
_DIAGNOSES = (select(SessionDiagnosis.session_id, SessionDiagnosis.code, SessionDiagnosis.display)
              .where(SessionDiagnosis.session_id.in_(IDS))
              .order_by(SessionDiagnosis.session_id, SessionDiagnosis.position))
_COMPONENTS = (select(Preparation.session_id, Preparation.id, Preparation.label, PreparationComponent.item_id,
                      PreparationComponent.volume_ml, Lot.lot_number, Lot.expiry, Lot.ndc,
                      FormularyItem.vial_volume_ml, PreparationComponent.vials_opened)
               .outerjoin(PreparationComponent, PreparationComponent.preparation_id == Preparation.id)
               .outerjoin(Lot, Lot.id == PreparationComponent.lot_id)
               .outerjoin(FormularyItem, FormularyItem.id == PreparationComponent.item_id)
               .where(Preparation.session_id.in_(IDS))
               .order_by(Preparation.session_id, Preparation.label, PreparationComponent.position))
_SITES = (select(Site.session_id, Site.number, Site.view, Site.x, Site.y, Site.region_code, Site.muscle_id,
                 Site.muscle, Site.side, Site.technique, Preparation.label, Site.volume_ml, Site.estim_frequency_hz,
                 Site.estim_pulse_width_us, Site.estim_intensity_ma, Site.estim_minutes, Site.estim_attended,
                 Site.needle, Site.aspiration, Site.passes, Site.twitch, Site.needles_in, Site.needles_out,
                 Site.dwell_minutes, Site.note)
          .outerjoin(Preparation, Preparation.id == Site.preparation_id)
          .where(Site.session_id.in_(IDS)).order_by(Site.session_id, Site.number))
_FINDINGS = (select(SessionFinding.session_id, SessionFinding.rule_code, SessionFinding.severity,
                    SessionFinding.message, SessionFinding.subject, SessionFinding.override_reason)
             .where(SessionFinding.session_id.in_(IDS)).order_by(SessionFinding.session_id, SessionFinding.id))
_ADDENDA = (select(Addendum.session_id, Addendum.kind, Addendum.text, Addendum.author_id, Addendum.created_at,
                   Addendum.content_sha256)
            .where(Addendum.session_id.in_(IDS)).order_by(Addendum.session_id, Addendum.created_at, Addendum.id))


class Lookups(NamedTuple):
    """What every batch needs and a clinic has little of: its users and its formulary item codes."""

    people: dict[int, Clinician]
    item_codes: dict[int, str]


def lookups(s: Session) -> Lookups:
    people = {uid: Clinician(uid, username, name, credentials or "")
              for uid, username, name, credentials in s.execute(
                  select(User.id, User.username, User.full_name, User.credentials))}
    codes = {item_id: code for item_id, code in s.execute(select(FormularyItem.id, FormularyItem.code))}
    return Lookups(people, codes)


def count(s: Session, flt: HistoryFilter) -> int:
    return s.scalar(select(func.count()).select_from(matching_ids(flt).subquery())) or 0


def ordered_ids(s: Session, flt: HistoryFilter, size: int = BATCH) -> Iterator[list[int]]:
    """The ids ``flt`` matches, by performed start then id, ``size`` at a time."""
    query = (select(PS.id).where(PS.id.in_(matching_ids(flt))).order_by(PS.performed_start, PS.id)
             .execution_options(yield_per=size))
    result = s.connection().execute(query)
    try:
        for partition in result.partitions(size):
            yield [row[0] for row in partition]
    finally:
        result.close()


def batches(s: Session, flt: HistoryFilter, size: int = BATCH) -> Iterator[list[ExportSession]]:
    """The sessions ``flt`` matches, in order, ``size`` at a time."""
    found = lookups(s)
    for ids in ordered_ids(s, flt, size):
        yield load(s, ids, found)


def load(s: Session, ids: list[int], found: Lookups) -> list[ExportSession]:
    """The sessions ``ids`` in that order (an id that no longer exists is left out)."""
    conn = s.connection()
    bound = {"ids": ids}
    rows = {row[0]: row for row in conn.execute(_SESSIONS, bound).all()}
    scales, responses = outcomes.load_many(s, ids)  # PEG and the response per muscle (issue 17)
    diagnoses, preparations, sites, findings, addenda = _children(conn, bound, found)
    people = found.people
    empty: tuple = ()
    out = []
    for sid in ids:
        row = rows.get(sid)
        if row is None:
            continue
        (_, status, start, end, location, physician_id, assistant_id, signer_id, signed_at, digest, atlas,
         indication, pain_before, pain_after, relief, complications, follow_up, comments,
         pid, mrn, family, given, born, sex, weight, diabetes, anticoagulant, pregnant, breastfeeding, context,
         allergies, bleeding, immunosuppressed, device, answers) = row[:35]
        (weighed, insulin, conservative_care, exam, consent_type, consent_risks, consent_form_id, timeout_done,
         timeout_at, position, antisepsis, guidance, respiratory_check, tolerance, blood_loss, observation,
         disposition, follow_up_in) = row[35:]
        values = {"allergies": allergies, "anticoagulant": anticoagulant, "bleeding_disorder": bleeding,
                  "diabetes": diabetes, "pregnant": pregnant, "breastfeeding": breastfeeding,
                  "immunosuppressed": immunosuppressed, "implanted_device": device}
        patient = ExportPatient(pid, mrn, family, given, born, sex, weight, bool(diabetes), anticoagulant or "",
                                bool(pregnant), bool(breastfeeding), history_from_values(values, answers or {}),
                                weighed, bool(insulin), entries_from_json(allergies), bool(bleeding),
                                bool(immunosuppressed), bool(device))
        now = None
        if context:  # a signed session exports the patient it was signed with, as its note prints
            now, patient = patient, export_patient_as_signed(patient, context)
        out.append(ExportSession(
            sid, status, start, end, location or "", patient,
            people.get(physician_id) if physician_id is not None else None,
            people.get(assistant_id) if assistant_id is not None else None,
            people.get(signer_id) if signer_id is not None else None,
            signed_at, digest, atlas, indication or "", pain_before, pain_after, relief, complications or "",
            follow_up or "", comments or "",
            tuple(diagnoses.get(sid, empty)), tuple(preparations.get(sid, empty)), tuple(sites.get(sid, empty)),
            tuple(findings.get(sid, empty)), tuple(addenda.get(sid, empty)), now,
            conservative_care=conservative_care or "",
            exam_findings=tuple(ExportExamFinding(str(f.get("region_code", "")), bool(f.get("taut_band")),
                                                  bool(f.get("hypersensitive_spot")), bool(f.get("referred_pain")),
                                                  bool(f.get("twitch")), str(f.get("muscle_id") or ""),
                                                  str(f.get("side") or ""), bool(f.get("jump_sign")))
                                for f in exam or ()),
            consent_type=consent_type, consent_risks=tuple(consent_risks or ()),
            consent_form_id=consent_form_id or "", timeout_done=bool(timeout_done), timeout_at=timeout_at,
            position=position or "", antisepsis=antisepsis or "", guidance=guidance,
            respiratory_check=respiratory_check or "", tolerance=tolerance or "", blood_loss=blood_loss or "",
            observation_minutes=observation, disposition=disposition or "", follow_up_in=follow_up_in or "",
            scales=scales.get(sid, ()), prior_responses=responses.get(sid, ()),
        ))
    return out


def _children(conn: Connection, bound: dict, found: Lookups) -> tuple[dict, ...]:
    diagnoses: dict[int, list[ExportDiagnosis]] = defaultdict(list)
    for sid, code, display in conn.execute(_DIAGNOSES, bound).all():
        diagnoses[sid].append(ExportDiagnosis(code, display))

    syringes: dict[int, list[tuple[str, list[ExportComponent]]]] = defaultdict(list)
    current_id = None
    parts: list[ExportComponent] = []
    codes = found.item_codes
    for sid, prep_id, label, item_id, volume, lot, expiry, ndc, vial, vials in conn.execute(_COMPONENTS, bound).all():
        if prep_id != current_id:  # rows come syringe by syringe
            current_id, parts = prep_id, []
            syringes[sid].append((label, parts))
        if item_id is not None:
            parts.append(ExportComponent(codes.get(item_id, ""), volume, lot or "", expiry, ndc or "", vial, vials))
    preparations = {sid: [ExportPreparation(label, tuple(parts), sum(c.volume_ml for c in parts))
                          for label, parts in found_syringes]
                    for sid, found_syringes in syringes.items()}

    sites: dict[int, list[ExportSite]] = defaultdict(list)
    for (sid, number, view, x, y, region, muscle_id, muscle, side, technique, label, volume,
         hz, width, ma, minutes, attended, needle, aspiration, passes, twitch, needles_in, needles_out, dwell,
         note) in conn.execute(_SITES, bound).all():
        estim = None if hz is None else EStim(hz, width or 0.0, ma or 0.0, minutes or 0.0, bool(attended))
        sites[sid].append(ExportSite(number, view, x, y, region, muscle_id, muscle, side, technique, label,
                                     volume, estim, needle or "", aspiration, passes, twitch, needles_in,
                                     needles_out, dwell, note or ""))

    findings: dict[int, list[ExportFinding]] = defaultdict(list)
    for sid, code, severity, message, subject, reason in conn.execute(_FINDINGS, bound).all():
        findings[sid].append(ExportFinding(code, severity, message, subject, reason or ""))

    addenda: dict[int, list[ExportAddendum]] = defaultdict(list)
    for sid, kind, text, author_id, created_at, digest in conn.execute(_ADDENDA, bound).all():
        author = found.people.get(author_id)
        addenda[sid].append(ExportAddendum(kind, text, author.label if author else "", created_at, digest))
    return diagnoses, preparations, sites, findings, addenda
