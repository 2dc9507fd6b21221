"""The procedure note as a plain, frozen view-model: every value already worded for the page.

:func:`build_note_vm` is pure: it reads a stored session, the patient, the clinic, the formulary and the
assessment (doses, codes, findings) and returns text. The renderer (``procedure_note.py``) only lays
the view-model out, so it never touches the database and can be tested with made-up data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from tpi_notes.anatomy import Atlas
from tpi_notes.domain import exam
from tpi_notes.domain.aftercare import AftercarePrint
from tpi_notes.domain.clinic import ClinicInfo
from tpi_notes.domain.coding import Coding
from tpi_notes.domain.dosing import DoseSummary, concentrations
from tpi_notes.domain.findings import Finding
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.ndc import parse_ndc
from tpi_notes.domain.patient import PatientRecord
from tpi_notes.domain.patient_follow_up import follow_up_label
from tpi_notes.domain.session import ADDENDUM_KINDS, SessionRecord, Site
from tpi_notes.domain.signature_keys import HASH_ONLY, parse_signature
from tpi_notes.reports.body_diagram import DiagramMarker
from tpi_notes.reports.formatting import (
    CONSENT,
    GUIDANCE_LABELS,
    SEVERITY,
    date_text,
    num,
    patient_history,
    procedure_title,
    technique_label,
    time_text,
    when,
    yes_no,
)
from tpi_notes.reports.outcomes_note import NoteOutcomes

Pair = tuple[str, str]


@dataclass(frozen=True)
class SiteRow:
    number: str
    muscle: str
    side: str
    view: str
    technique: str
    syringe: str
    volume: str
    needle: str
    aspiration: str
    passes: str
    dwell: str
    twitch: str


@dataclass(frozen=True)
class MedicationRow:
    drug: str
    concentration: str
    lots: str
    expiry: str
    total_ml: str
    total_mg: str
    pct_max: str
    ndc: str = ""  # each lot's NDC in the 11-digit billing form ("00409-4276-01"), for the claim's drug line


@dataclass(frozen=True)
class FindingRow:
    severity: str
    message: str
    source: str
    override: str
    open_stop: bool


@dataclass(frozen=True)
class CodeRow:
    code: str
    units: str
    modifiers: str
    reason: str


@dataclass(frozen=True)
class AddendumBlock:
    kind: str
    created: str
    author: str
    text: str
    sha256: str


@dataclass(frozen=True)
class Signature:
    signer: str
    signed_at: str
    sha256: str
    qr_payload: str
    # How it was signed: "Ed25519 signature, key 1a2b3c4d5e6f7a8b…" (content version 5), or
    # "hash-only signature (before v5)" for a note signed before signing keys existed (domain/signature_keys.py).
    method: str = ""
    # What the footer says about the PDF's PAdES signature (services/signed_notes.py): "PAdES-signed PDF", or
    # why a note printed from the record carries none ("" on a draft).
    pdf_signature: str = ""


@dataclass(frozen=True)
class ProcedureNoteVM:
    session_id: int
    title: str
    clinic_name: str
    clinic_lines: tuple[str, ...]
    patient_name: str
    patient_dob: str
    patient_mrn: str
    patient_facts: tuple[Pair, ...]
    encounter: tuple[Pair, ...]
    indication: tuple[Pair, ...]
    diagnoses: tuple[Pair, ...]
    history: tuple[Pair, ...]
    preparation: tuple[Pair, ...]
    exam: tuple[tuple[str, ...], ...]
    atlas_version: str
    markers: tuple[DiagramMarker, ...]
    sites: tuple[SiteRow, ...]
    site_notes: tuple[Pair, ...]
    medications: tuple[MedicationRow, ...]
    syringes: tuple[Pair, ...]
    dose_notes: tuple[str, ...]
    estim: tuple[tuple[str, ...], ...]
    post: tuple[Pair, ...]
    findings: tuple[FindingRow, ...]
    cpt: tuple[CodeRow, ...]
    hcpcs: tuple[CodeRow, ...]
    icd10: tuple[Pair, ...]
    coding_notes: tuple[str, ...]
    attestation: str
    signature: Signature | None
    addenda: tuple[AddendumBlock, ...]
    clinic_logo: bytes | None = None
    # Set when a signed session no longer matches its signature: the note then says so on every page.
    integrity_problem: str | None = None
    # "Discarded: 20 mg triamcinolone acetonide (1 vial partly used)", one per drug with waste (issue 15).
    waste: tuple[str, ...] = ()
    # The ICD-10-CM code set the diagnoses were checked against ("FY2026"); "" on sessions saved before 0017.
    icd10_version: str = ""
    # PEG and the response to prior injections (issue 17; reports/outcomes_note.py), set by services/documents.py.
    outcomes: NoteOutcomes | None = None

    @property
    def signed(self) -> bool:
        return self.signature is not None

    @property
    def identity_line(self) -> str:
        return f"{self.patient_name} · DOB {self.patient_dob} · MRN {self.patient_mrn}"


def _site_row(site: Site) -> SiteRow:
    needling = site.technique == "dry_needling"
    if needling:
        count = f"{site.needles_in if site.needles_in is not None else '—'} in / " \
                f"{site.needles_out if site.needles_out is not None else '—'} out"
    else:
        count = "" if site.passes is None else str(site.passes)
    aspiration = "" if needling or site.aspiration is None else ("Negative" if site.aspiration else "Not negative")
    return SiteRow(
        number=str(site.number), muscle=site.muscle, side=site.side, view=site.view.title(),
        technique=technique_label(site), syringe=site.preparation_label or "",
        volume="" if site.volume_ml is None else num(site.volume_ml), needle=site.needle, aspiration=aspiration,
        passes=count, dwell="" if site.dwell_minutes is None else f"{num(site.dwell_minutes)} min", twitch=yes_no(site.twitch),
    )


def _medications(record: SessionRecord, formulary: Mapping[str, FormularyItem], doses: DoseSummary,
                 weight_kg: float | None, weight_date: date | None = None) -> tuple[MedicationRow, ...]:
    rows = []
    for dose in doses.rows:
        item = formulary.get(dose.item_code)
        lots, expiries, ndcs = [], [], []
        for prep in record.preparations:
            for c in prep.components:
                if c.item_code == dose.item_code and c.lot_number and c.lot_number not in lots:
                    lots.append(c.lot_number)
                    expiries.append(date_text(c.lot_expiry) if c.lot_expiry else "—")
                    ndcs.append(_ndc_text(getattr(c, "ndc", "")))
        if dose.pct_of_max is not None and dose.max_mg is not None:
            pct = f"{num(dose.pct_of_max, 1)} % of max {num(dose.max_mg, 0)} mg ({_basis(item, weight_kg)})"
            if item is not None and item.max_mg_per_kg is not None and weight_kg is not None:
                pct += f"; {_weight_text(weight_kg, weight_date)}"  # how fresh the weight behind the maximum is
        else:
            pct = "no maximum" if dose.agent_class != "local_anesthetic" else "weight missing"
        strength = ""
        if item:
            strength = item.strength_label if "mg/mL" in item.strength_label or dose.agent_class == "saline" else \
                f"{item.strength_label} ({num(item.concentration_mg_per_ml)} mg/mL)"
        # saline is a volume: its salt is not a dose, so no mg (issue 15 item 8)
        total_mg = "" if dose.agent_class == "saline" else num(dose.total_mg)
        rows.append(MedicationRow(dose.name, strength, ", ".join(lots) or "not recorded", ", ".join(expiries) or "—",
                                  num(dose.total_ml), total_mg, pct, ", ".join(n for n in ndcs if n) or "—"))
    return tuple(rows)


def _ndc_text(stored: str) -> str:
    """A lot's NDC in the 11-digit billing form with dashes; as stored when it cannot be read."""
    if not stored:
        return ""
    try:
        return parse_ndc(stored).billing_dashed
    except ValueError:
        return stored


def _weight_text(weight_kg: float, weight_date: date | None) -> str:
    """"weight 70 kg (recorded 2026-10-01)": a three-year-old weight behind "% of max" shows on paper."""
    when = f"recorded {weight_date.isoformat()}" if weight_date else "date not recorded"
    return f"weight {num(weight_kg)} kg ({when})"


def _basis(item: FormularyItem | None, weight_kg: float | None) -> str:
    """Where the maximum comes from: the weight (mg/kg × kg) or the absolute ceiling."""
    if item is None or item.max_mg_per_kg is None or weight_kg is None:
        return "absolute ceiling"
    by_weight = item.max_mg_per_kg * weight_kg
    if item.max_total_mg is not None and item.max_total_mg <= by_weight:
        return f"ceiling; {num(item.max_mg_per_kg)} mg/kg × {num(weight_kg)} kg = {num(by_weight, 0)} mg"
    return f"{num(item.max_mg_per_kg)} mg/kg × {num(weight_kg)} kg"


def _syringes(record: SessionRecord, formulary: Mapping[str, FormularyItem]) -> tuple[Pair, ...]:
    out = []
    for prep in record.preparations:
        parts = []
        for c in prep.components:
            item = formulary.get(c.item_code)
            lot = f", lot {c.lot_number}" if c.lot_number else ""
            parts.append(f"{num(c.volume_ml)} mL {item.name if item else c.item_code}{lot}")
        final = [f"{formulary[code].generic} {num(mg, 2)} mg/mL" for code, mg in concentrations(prep, formulary).items()
                 if code in formulary and formulary[code].agent_class != "saline"]
        text = " + ".join(parts) + f" = {num(prep.total_ml)} mL"
        if final:
            text += "; final concentration " + ", ".join(final)
        out.append((f"Syringe {prep.label}", text))
    return tuple(out)


def _exam(record: SessionRecord, atlas: Atlas) -> tuple[tuple[str, ...], ...]:
    """One row per muscle and side examined, under the muscle treated (a deep alternative included); the core
    count is of the three core criteria only (domain/exam.py)."""
    labels = {key: label for key, label, _region in exam.muscles_treated(record.sites)}
    rows = []
    for f in exam.by_muscle(record.exam_findings, record.sites):
        label = labels.get((f.muscle_id, f.side))
        if label is None:
            try:
                label = atlas.region(f.region_code).label
            except (KeyError, ValueError):
                label = f"{f.muscle_id} ({f.side})"
        rows.append((label, yes_no(f.taut_band), yes_no(f.hypersensitive_spot), yes_no(f.referred_pain),
                     yes_no(f.twitch), yes_no(f.jump_sign), f"{exam.core_count(f)} of 3"))
    return tuple(rows)


def _codes(lines: Sequence) -> tuple[CodeRow, ...]:
    return tuple(CodeRow(c.code, str(c.units), "-".join(c.modifiers) or "—", c.reason) for c in lines)


def _findings(findings: Sequence[Finding]) -> tuple[FindingRow, ...]:
    order = {"stop": 0, "warn": 1, "info": 2}
    rows = []
    for f in sorted(findings, key=lambda x: (order.get(x.severity, 3), x.code, x.subject)):
        override = f"Overridden: {f.override_reason}" if f.override_reason else ""
        rows.append(FindingRow(SEVERITY.get(f.severity, f.severity), f.message, f.source, override,
                               f.severity == "stop" and not f.override_reason))
    return tuple(rows)


def build_note_vm(record: SessionRecord, patient: PatientRecord, clinic: ClinicInfo,
                  formulary: Mapping[str, FormularyItem], atlas: Atlas, *, doses: DoseSummary, coding: Coding,
                  findings: Sequence[Finding], aftercare_prints: Sequence[AftercarePrint] = (),
                  language_names: Mapping[str, str] | None = None) -> ProcedureNoteVM:
    """Everything the procedure note prints, worded, in clinical order. ``aftercare_prints`` are the sheets
    printed for the session (read from their audit-backed records, not from the signed content)."""
    day = record.performed_start.date()
    age = patient.age_on(day)
    end = time_text(record.performed_end) if record.performed_end else "—"
    consent = CONSENT.get(record.consent_type or "", "Not recorded")
    if record.consent_form_id:
        consent += f" (form {record.consent_form_id})"
    dose_notes = list(doses.warnings)
    anesthetics = sum(1 for row in doses.rows if row.agent_class == "local_anesthetic")
    if doses.local_anesthetic_pct is not None and anesthetics > 1:  # one agent: its own row says it all
        dose_notes.insert(0, f"All local anesthetics together: {num(doses.local_anesthetic_pct, 1)} % of the "
                             "combined maximum for this patient's weight.")
    signature = None
    if record.is_signed and record.content_sha256:
        signature = Signature(record.signed_by or record.physician, when(record.signed_at), record.content_sha256,
                              f"tpi-notes:session:{record.id}:sha256:{record.content_sha256}",
                              signature_method(record.signature))
    if signature:
        attest = (f"I, {signature.signer}, personally performed this procedure and reviewed this note. The patient "
                  "tolerated it as documented.")
    else:
        attest = "Not signed. This draft is not a valid record of the procedure until the physician signs it."
    display = {d.code: d.display for d in record.diagnoses}
    return ProcedureNoteVM(
        session_id=record.id, title=procedure_title(record.sites), clinic_name=clinic.name or "Clinic",
        clinic_logo=clinic.logo_png,
        clinic_lines=tuple(x for x in (*clinic.address.splitlines(), _phones(clinic)) if x.strip()),
        patient_name=patient.display_name, patient_dob=date_text(patient.birth_date), patient_mrn=patient.mrn,
        patient_facts=(("Sex", patient.sex.title()), ("Age", "" if age is None else f"{age} years"),
                       ("Weight", f"{num(patient.weight_kg)} kg" if patient.weight_kg else "not recorded")),
        encounter=(("Date of service", date_text(day)), ("Time", f"{time_text(record.performed_start)} – {end}"),
                   ("Physician", record.physician), ("Assistant", record.assistant or "none"),
                   ("Location", record.location), ("Session", f"#{record.id} ({record.status})")),
        indication=(("Indication", record.indication), ("Conservative care tried", record.conservative_care)),
        diagnoses=tuple((d.code, d.display) for d in record.diagnoses),
        history=patient_history(patient, day),
        preparation=(("Consent", consent), ("Risks discussed", ", ".join(record.consent_risks)),
                     ("Time-out", f"done at {time_text(record.timeout_at)}" if record.timeout_done and
                      record.timeout_at else "not recorded"),
                     ("Position", record.position), ("Skin antisepsis", record.antisepsis),
                     ("Guidance", GUIDANCE_LABELS.get(record.guidance or "", record.guidance or "")),
                     ("Pain before (NRS 0–10)", "" if record.pain_before is None else str(record.pain_before))),
        exam=_exam(record, atlas), atlas_version=record.atlas_version,
        markers=tuple(DiagramMarker(s.number, s.view, s.x, s.y, s.technique, bool(s.estim)) for s in record.sites),
        sites=tuple(_site_row(s) for s in record.sites),
        site_notes=tuple((f"Site {s.number}", s.note) for s in record.sites if s.note.strip()),
        medications=_medications(record, formulary, doses, patient.weight_kg, patient.weight_date),
        syringes=_syringes(record, formulary), dose_notes=tuple(dose_notes),
        estim=tuple((str(s.number), f"{s.side} {s.muscle.lower()}", num(s.estim.frequency_hz),
                     num(s.estim.pulse_width_us), num(s.estim.intensity_ma), num(s.estim.minutes),
                     "Attended" if s.estim.attended else "Unattended") for s in record.sites if s.estim),
        post=(("Pain after (NRS 0–10)", "" if record.pain_after is None else str(record.pain_after)),
              ("Immediate relief", "" if record.relief_pct is None else f"{record.relief_pct} %"),
              ("Complications", record.complications), ("Tolerance", record.tolerance),
              ("Blood loss", record.blood_loss),
              ("Observation", "" if record.observation_minutes is None else f"{record.observation_minutes} min"),
              ("Respiratory check", record.respiratory_check), ("Disposition", record.disposition),
              ("Follow-up", record.follow_up), ("Patient follow-up", follow_up_label(record.follow_up_in) or "not set"),
              ("Aftercare sheet", _aftercare_line(record, aftercare_prints, language_names or {})),
              ("Comments", record.comments)),
        findings=_findings(findings), cpt=_codes(coding.cpt), hcpcs=_codes(coding.hcpcs),
        waste=tuple(w.text for w in coding.waste),
        icd10=tuple((code, display.get(code, "")) for code in coding.icd10), coding_notes=coding.notes,
        icd10_version=record.icd10_version or "",
        attestation=attest, signature=signature,
        addenda=tuple(AddendumBlock(ADDENDUM_KINDS.get(a.kind, a.kind.title()), when(a.created_at), a.author, a.text,
                                    a.content_sha256) for a in record.addenda),
    )


def signature_method(signature: str | None) -> str:
    """How a signed note was signed, in words for the page."""
    parsed = parse_signature(signature) if signature else None
    if parsed is None:
        return HASH_ONLY
    return f"Ed25519 signature, key {parsed[0][:16]}…"


SHOWN_PRINTS = 3


def _aftercare_line(record: SessionRecord, prints: Sequence[AftercarePrint], names: Mapping[str, str]) -> str:
    """The sheets printed, newest last ("printed 2026-12-03 10:42 (Spanish, large print; text version 2) by
    N. Nurse"); before print records were kept, the version a draft recorded."""
    if not prints:
        return f"version {record.aftercare_version}" if record.aftercare_version else "not printed"
    lines = [p.summary(names) for p in prints[-SHOWN_PRINTS:]]
    if len(prints) > SHOWN_PRINTS:
        lines.insert(0, f"{len(prints)} prints; the latest {SHOWN_PRINTS}:")
    return "\n".join(lines)


def _phones(clinic: ClinicInfo) -> str:
    parts = [f"Phone {clinic.phone}" if clinic.phone else "",
             f"After hours {clinic.after_hours_phone}" if clinic.after_hours_phone else ""]
    return " · ".join(p for p in parts if p)
