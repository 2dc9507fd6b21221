"""The FHIR R4 export (product.md §8; clinical-reference §6.3-6.4): one Bundle of type "collection".

Per export each Patient and each Practitioner appears once (before the first Procedure that names them); per
session one Procedure and one MedicationAdministration per agent and lot, ``partOf`` that Procedure. Choices
(docs/export-format.md has the full mapping):

- Procedure.status: "completed" for a signed note, "in-progress" for a draft (the record is not final).
- Procedure.code: every procedure code derived for the session (CPT; HCPCS Level II for G0283), and a summary.
- Laterality: one contained BodyStructure per treated muscle and side, named by the R4 extension
  ``procedure-targetBodyStructure``: ``location`` the atlas muscle, ``locationQualifier`` the SNOMED CT side
  (7771000 Left, 24028007 Right). ``bodySite`` keeps one CodeableConcept per muscle and side holding the muscle
  alone; its text names the side too ("Left upper trapezius").
- Medication: contained in its MedicationAdministration, with batch.lotNumber and expirationDate; the dose is in
  mg (saline, and anything without a concentration, in mL); route intramuscular (SNOMED CT 78421000).
- fullUrl: ``urn:uuid:`` + a name-based UUID (version 5) of the clinic, the resource type and its natural key
  (MRN, user, session, agent and lot), so the same data gets the same fullUrl in every export.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from tpi_notes.domain.export_records import Clinician, ExportPatient, ExportRecord, MedicationLine, local_iso
from tpi_notes.domain.fhir_outcomes import outcome_observations
from tpi_notes.domain.ndc import billing_ndc
from tpi_notes.domain.numbers import amount

SNOMED = "http://snomed.info/sct"
TARGET_BODY_STRUCTURE = "http://hl7.org/fhir/StructureDefinition/procedure-targetBodyStructure"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"  # Level II: a letter and four digits
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
# Local code systems (URNs: they name tpi-notes' own codes and resolve nowhere).
MUSCLE_SYSTEM = "urn:tpi-notes:atlas-muscle"
FORMULARY_SYSTEM = "urn:tpi-notes:formulary-item"
NDC_SYSTEM = "http://hl7.org/fhir/sid/ndc"  # the 11-digit billing form, no dashes (domain/ndc.py)
SESSION_ID_SYSTEM = "urn:tpi-notes:session-id"
USER_ID_SYSTEM = "urn:tpi-notes:user"

LATERALITY = {"L": ("7771000", "Left"), "R": ("24028007", "Right")}
ROUTE_INTRAMUSCULAR = ("78421000", "Intramuscular route")
CODE_TEXT = {
    "20552": "Trigger point injection, 1 or 2 muscles",
    "20553": "Trigger point injection, 3 or more muscles",
    "20560": "Dry needling, 1 or 2 muscles",
    "20561": "Dry needling, 3 or more muscles",
    "97032": "Electrical stimulation, attended, each 15 minutes",
    "97014": "Electrical stimulation, unattended",
    "G0283": "Electrical stimulation, unattended",
    "97813": "Acupuncture with electrical stimulation, first 15 minutes",
    "97814": "Acupuncture with electrical stimulation, each additional 15 minutes",
}
_SEX_TO_GENDER = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}


class FhirIds:
    """Stable ``urn:uuid:`` fullUrls: UUID5 of (clinic, resource type, natural key)."""

    def __init__(self, clinic: str) -> None:
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, "urn:tpi-notes:clinic:" + clinic.strip())

    def uuid(self, kind: str, key: object) -> str:
        return str(uuid.uuid5(self.namespace, f"{kind}/{key}"))

    def patient(self, p: ExportPatient) -> str:
        return self.uuid("Patient", p.mrn)

    def practitioner(self, c: Clinician) -> str:
        return self.uuid("Practitioner", c.username)

    def procedure(self, session_id: int) -> str:
        return self.uuid("Procedure", session_id)

    def administration(self, session_id: int, m: MedicationLine) -> str:
        return self.uuid("MedicationAdministration", f"{session_id}/{m.item_code}/{m.lot}")


def _ref(resource_uuid: str, display: str | None = None) -> dict[str, str]:
    ref = {"reference": f"urn:uuid:{resource_uuid}"}
    if display:
        ref["display"] = display
    return ref


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def procedure_coding(code: str) -> dict[str, str]:
    """A procedure code in its system: CPT (five digits) or HCPCS Level II (G0283 and the like)."""
    return _coding(HCPCS if code[:1].isalpha() else CPT, code, CODE_TEXT.get(code))


def patient_resource(p: ExportPatient, ids: FhirIds) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": ids.patient(p),
        "identifier": [{"type": {"coding": [_coding(IDENTIFIER_TYPE, "MR", "Medical record number")]},
                        "value": p.mrn}],
        "name": [{"family": p.family_name, "given": [p.given_name], "text": f"{p.given_name} {p.family_name}"}],
        "gender": _SEX_TO_GENDER.get(p.sex, "unknown"),
        "birthDate": p.birth_date.isoformat(),
    }


def practitioner_resource(c: Clinician, ids: FhirIds) -> dict[str, Any]:
    name: dict[str, Any] = {"text": c.full_name}
    if c.credentials:
        name["suffix"] = [c.credentials]
    return {
        "resourceType": "Practitioner",
        "id": ids.practitioner(c),
        "identifier": [{"system": USER_ID_SYSTEM, "value": c.username}],
        "name": [name],
    }


def _period(start: datetime, end: datetime | None, zone: tzinfo | None) -> dict[str, str]:
    period = {"start": local_iso(start, zone) or ""}
    if end is not None:
        period["end"] = local_iso(end, zone) or ""
    return period


def _treated(record: ExportRecord) -> list[tuple[str, str, str]]:
    """(muscle id, muscle name, side) of each treated muscle and side, in site order."""
    seen: dict[tuple[str, str], tuple[str, str, str]] = {}
    for site in record.session.sites:
        seen.setdefault((site.muscle_id, site.side), (site.muscle_id, site.muscle, site.side))
    return list(seen.values())


def _muscle_concept(record: ExportRecord, muscle_id: str, muscle: str, text: str) -> dict[str, Any]:
    return {"coding": [{**_coding(MUSCLE_SYSTEM, muscle_id, muscle), "version": record.session.atlas_version}],
            "text": text}


def _body_sites(record: ExportRecord) -> list[dict[str, Any]]:
    """One bodySite per muscle and side: the muscle's one concept; the side is only in ``text`` (the coded side
    is in the matching BodyStructure, a second coding would read as another code for the same muscle)."""
    return [_muscle_concept(record, muscle_id, muscle, f"{LATERALITY[side][1]} {muscle.lower()}")
            for muscle_id, muscle, side in _treated(record)]


def _body_structures(record: ExportRecord, ids: FhirIds) -> list[dict[str, Any]]:
    """Contained BodyStructures, one per muscle and side: ``location`` the muscle, ``locationQualifier`` the
    patient's side (SNOMED CT), so a receiving system keeps both (clinical-reference §6.2-6.3)."""
    structures = []
    for number, (muscle_id, muscle, side) in enumerate(_treated(record), start=1):
        code, word = LATERALITY[side]
        structures.append({
            "resourceType": "BodyStructure",
            "id": f"body-structure-{number}",
            "description": f"{word} {muscle.lower()}",
            "location": _muscle_concept(record, muscle_id, muscle, muscle),
            "locationQualifier": [{"coding": [_coding(SNOMED, code, word)], "text": word}],
            "patient": _ref(ids.patient(record.session.person)),
        })
    return structures


def _notes(record: ExportRecord, zone: tzinfo | None) -> list[dict[str, Any]]:
    s = record.session
    notes: list[dict[str, Any]] = []
    if s.indication:
        notes.append({"text": f"Indication: {s.indication}"})
    if s.comments:
        notes.append({"text": s.comments})
    for f in s.findings:
        override = f" Override reason: {f.override_reason}" if f.override_reason else ""
        notes.append({"text": f"Safety finding ({f.severity}): {f.message}{override}"})
    if s.is_signed and s.signed_by is not None:
        notes.append({"authorString": s.signed_by.label, "time": local_iso(s.signed_at, zone),
                      "text": f"Electronically signed; content SHA-256 {s.content_sha256}."})
    for a in s.addenda:
        notes.append({"authorString": a.author, "time": local_iso(a.created_at, zone),
                      "text": f"{a.kind.replace('_', ' ').capitalize()}: {a.text}"})
    return notes


def procedure_resource(record: ExportRecord, ids: FhirIds, zone: tzinfo | None = None) -> dict[str, Any]:
    s = record.session
    cpt = record.coding.cpt
    techniques = sorted({site.technique.replace("_", " ") for site in s.sites})
    summary = "; ".join(CODE_TEXT.get(c.code, c.code) for c in cpt) or (
        " and ".join(techniques).capitalize() or "Trigger point injection or dry needling session")
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": ids.procedure(s.id),
        "identifier": [{"system": SESSION_ID_SYSTEM, "value": str(s.id)}],
        "status": "completed" if s.is_signed else "in-progress",
        "code": {"coding": [procedure_coding(c.code) for c in cpt], "text": summary},
        "subject": _ref(ids.patient(s.person), f"{s.person.given_name} {s.person.family_name}"),
        "performedPeriod": _period(s.performed_start, s.performed_end, zone),
    }
    if not resource["code"]["coding"]:
        del resource["code"]["coding"]
    performers = []
    if s.physician is not None:
        performers.append({"function": {"text": "Performing physician"},
                           "actor": _ref(ids.practitioner(s.physician), s.physician.label)})
    if s.assistant is not None:
        performers.append({"function": {"text": "Assistant"},
                           "actor": _ref(ids.practitioner(s.assistant), s.assistant.label)})
    if performers:
        resource["performer"] = performers
    if s.location:
        resource["location"] = {"display": s.location}
    if s.diagnoses:
        resource["reasonCode"] = [{"coding": [_coding(ICD10CM, d.code, d.display)], "text": d.display}
                                  for d in s.diagnoses]
    body_sites = _body_sites(record)
    if body_sites:
        resource["bodySite"] = body_sites
        structures = _body_structures(record, ids)
        head = {"resourceType": "Procedure", "id": resource.pop("id"), "contained": structures,
                "extension": [{"url": TARGET_BODY_STRUCTURE, "valueReference": {"reference": f"#{b['id']}"}}
                              for b in structures]}
        resource = {**head, **resource}  # in FHIR's element order: contained and extension come first
    outcome = []
    if s.pain_before is not None or s.pain_after is not None:
        before = "-" if s.pain_before is None else s.pain_before
        after = "-" if s.pain_after is None else s.pain_after
        outcome.append(f"Pain {before} to {after} of 10")
    if s.relief_pct is not None:
        outcome.append(f"{s.relief_pct} % immediate relief")
    if outcome:
        resource["outcome"] = {"text": "; ".join(outcome)}
    if s.has_complication:
        resource["complication"] = [{"text": s.complications}]
    if s.follow_up:
        resource["followUp"] = [{"text": s.follow_up}]
    notes = _notes(record, zone)
    if notes:
        resource["note"] = notes
    return resource


def _dose(m: MedicationLine) -> tuple[dict[str, Any], str]:
    if m.agent_class == "saline" or m.concentration_mg_per_ml <= 0:
        return {"value": m.total_ml, "unit": "mL", "system": UCUM, "code": "mL"}, f"{amount(m.total_ml)} mL"
    return ({"value": m.total_mg, "unit": "mg", "system": UCUM, "code": "mg"},
            f"{amount(m.total_mg)} mg ({amount(m.total_ml)} mL of {amount(m.concentration_mg_per_ml)} mg/mL)")


def administration_resource(record: ExportRecord, m: MedicationLine, ids: FhirIds,
                            zone: tzinfo | None = None) -> dict[str, Any]:
    s = record.session
    medication: dict[str, Any] = {"resourceType": "Medication", "id": "medication",
                                  "code": {"coding": [_coding(FORMULARY_SYSTEM, m.item_code, m.name)],
                                           "text": m.name}}
    ndc = billing_ndc(m.ndc)
    if ndc:  # the claim's drug line needs it (clinical-reference §2.5)
        medication["code"]["coding"].append(_coding(NDC_SYSTEM, ndc, m.name))
    batch = {}
    if m.lot:
        batch["lotNumber"] = m.lot
    if m.expires is not None:
        batch["expirationDate"] = m.expires.isoformat()
    if batch:
        medication["batch"] = batch
    dose, dose_text = _dose(m)
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": ids.administration(s.id, m),
        "contained": [medication],
        "status": "completed" if s.is_signed else "in-progress",
        "medicationReference": {"reference": "#medication", "display": m.name},
        "subject": _ref(ids.patient(s.person)),
        "effectivePeriod": _period(s.performed_start, s.performed_end, zone),
        "partOf": [_ref(ids.procedure(s.id))],
        "dosage": {
            "text": f"{m.name}: {dose_text}, intramuscular (trigger point injection)",
            "route": {"coding": [_coding(SNOMED, *ROUTE_INTRAMUSCULAR)], "text": "Intramuscular"},
            "dose": dose,
        },
    }
    if s.physician is not None:
        resource["performer"] = [{"actor": _ref(ids.practitioner(s.physician), s.physician.label)}]
    return resource


class FhirBundleWriter:
    """Bytes for a FHIR export, streamed: the Bundle's opening, entries batch by batch, then its closing.

    Remembers which patients and practitioners it has written (ids only) so each appears once per export."""

    media_type = "application/fhir+json"

    def __init__(self, clinic: str, exported_at: datetime, zone: tzinfo | None = None) -> None:
        self.ids = FhirIds(clinic)
        self.exported_at = exported_at
        self.zone = zone
        self._patients: set[int] = set()
        self._practitioners: set[int] = set()
        self._entries = 0
        self._dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def begin(self) -> bytes:
        head = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection",
                "timestamp": local_iso(self.exported_at, self.zone)}
        return self._dumps(head)[:-1].encode("utf-8")  # the closing brace comes at the end

    def entries(self, record: ExportRecord) -> list[tuple[str, dict[str, Any]]]:
        """(uuid, resource) for one session, newly seen patient and practitioners first."""
        s = record.session
        found: list[tuple[str, dict[str, Any]]] = []
        if s.person.id not in self._patients:
            self._patients.add(s.person.id)
            found.append((self.ids.patient(s.person), patient_resource(s.person, self.ids)))
        for person in (s.physician, s.assistant):
            if person is not None and person.id not in self._practitioners:
                self._practitioners.add(person.id)
                found.append((self.ids.practitioner(person), practitioner_resource(person, self.ids)))
        found.append((self.ids.procedure(s.id), procedure_resource(record, self.ids, self.zone)))
        for m in record.medications:
            found.append((self.ids.administration(s.id, m), administration_resource(record, m, self.ids, self.zone)))
        found += outcome_observations(record, self.ids, self.zone)  # PEG and responses (issue 17)
        return found

    def rows(self, records: Iterable[ExportRecord]) -> bytes:
        parts = []
        for record in records:
            for resource_uuid, resource in self.entries(record):
                prefix = "," if self._entries else ',"entry":['  # FHIR JSON never has an empty array
                self._entries += 1
                parts.append(prefix + self._dumps({"fullUrl": f"urn:uuid:{resource_uuid}", "resource": resource}))
        return "".join(parts).encode("utf-8")

    def end(self) -> bytes:
        return b"]}" if self._entries else b"}"
