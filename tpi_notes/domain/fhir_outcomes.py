"""Outcomes in the FHIR export (issue 17 item 5): Observation resources beside each session's Procedure.

- PEG-3: one Observation coded with LOINC 91147-9 "Mean score [PEG]" (its value the mean, 0-10), the panel
  91148-7 "PEG 3 item pain scale" as a second coding, and one component per item: 75893-8 (pain on average, past
  week), 91145-3 (interference with enjoyment of life), 91146-1 (interference with general activity). Codes from
  the LOINC PEG panel (https://loinc.org/91148-7/, its FHIR Questionnaire http://loinc.org/q/91148-7); the items'
  order in that panel is pain, enjoyment, activity.
- Relief after an earlier session, per muscle and side: no LOINC term records it, so a local code system
  (``urn:tpi-notes:outcome`` ``relief-after-prior-session``); bodySite the muscle and side as the Procedure names
  them, value the relief in %, components the weeks it lasted (``{wk}``) and whether it is still lasting;
  ``focus`` the earlier session by its identifier (it may be outside the export's filter).
- NDI and ODI (the functional scales the Medicare TPI LCDs name; clinical-reference §1.2, §9.2): no LOINC code
  for them is in resources/ or clinical-reference, so none is sent; ``code`` names the scale in ``text`` ("Neck
  Disability Index") with a local coding (``urn:tpi-notes:functional-scale``, the scale's code as in JSON Lines'
  ``scales``), the same for every visit so a receiver pairs the before and the after; value the score in %,
  ``effectiveDateTime`` when it was measured; one component per section (0-5, local code ``<scale>/<section>``),
  a section left unanswered with ``dataAbsentReason`` "unknown". A scale without a score (fewer than 8 sections
  answered) is not sent.
All are ``partOf`` the session's Procedure, with the Procedure's subject; status "final" once the session is
signed, "preliminary" on a draft.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from tpi_notes.domain.export_records import ExportRecord, local_iso
from tpi_notes.domain.outcomes import PEG, PEG_ITEMS, ScaleScore, peg_of, scale_definitions

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OUTCOME_SYSTEM = "urn:tpi-notes:outcome"
SCALE_SYSTEM = "urn:tpi-notes:functional-scale"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
SESSION_ID_SYSTEM = "urn:tpi-notes:session-id"
MUSCLE_SYSTEM = "urn:tpi-notes:atlas-muscle"
SNOMED = "http://snomed.info/sct"
LATERALITY = {"L": ("7771000", "Left"), "R": ("24028007", "Right")}
PEG_PANEL = ("91148-7", "PEG 3 item pain scale [PEG]")
PEG_SCORE = ("91147-9", "Mean score [PEG]")
PEG_ITEM_CODES = {"pain": ("75893-8", "Pain severity - 1 week average"),
                  "enjoyment": ("91145-3", "Pain interference with enjoyment of life in past 1 week [PEG]"),
                  "activity": ("91146-1", "Pain interference with general activity in past 1 week [PEG]")}
SURVEY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey",
                      "display": "Survey"}]}


def _code(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def outcome_observations(record: ExportRecord, ids: Any, zone: tzinfo | None = None
                         ) -> list[tuple[str, dict[str, Any]]]:
    """(uuid, Observation) of the session's PEG, of its NDI and ODI, and of each response it records."""
    s = record.session
    status = "final" if s.is_signed else "preliminary"
    base = {"resourceType": "Observation", "status": status, "category": [SURVEY],
            "subject": {"reference": f"urn:uuid:{ids.patient(s.person)}"},
            "partOf": [{"reference": f"urn:uuid:{ids.procedure(s.id)}"}]}
    out = []
    found = peg_of(getattr(s, "scales", ()))
    if found is not None and found.score is not None:
        components = [{"code": {"coding": [_code(LOINC, *PEG_ITEM_CODES[item])]},
                       "valueInteger": found.item(item)} for item in PEG_ITEMS]
        out.append((ids.uuid("Observation", f"{s.id}/peg"), {
            **base, "code": {"coding": [_code(LOINC, *PEG_SCORE), _code(LOINC, *PEG_PANEL)], "text": "PEG-3 score"},
            "effectiveDateTime": local_iso(found.measured_at or s.performed_start, zone),
            "valueQuantity": {"value": found.score, "unit": "{score}", "system": UCUM, "code": "{score}"},
            "component": components}))
    for scale in sorted(getattr(s, "scales", ()), key=lambda x: x.scale):
        if scale.scale != PEG and scale.score is not None:
            when = local_iso(scale.measured_at or s.performed_start, zone)
            out.append((ids.uuid("Observation", f"{s.id}/scale/{scale.scale}"), _functional_scale(base, scale, when)))
    names = {(x.muscle_id, x.side): x.muscle for x in s.sites}
    for r in getattr(s, "prior_responses", ()):
        if r.relief_pct is None:
            continue
        code, word = LATERALITY[r.side]
        muscle = names.get((r.muscle_id, r.side), r.muscle_id.replace("_", " "))
        components: list[dict[str, Any]] = [{
            "code": {"coding": [_code(OUTCOME_SYSTEM, "relief-still-lasting", "Relief still lasting")]},
            "valueBoolean": r.lasting}]
        if r.duration_weeks is not None:
            components.insert(0, {
                "code": {"coding": [_code(OUTCOME_SYSTEM, "relief-duration", "How long the relief lasted")]},
                "valueQuantity": {"value": r.duration_weeks, "unit": "wk", "system": UCUM, "code": "wk"}})
        out.append((ids.uuid("Observation", f"{s.id}/response/{r.prior_session_id}/{r.muscle_id}/{r.side}"), {
            **base,
            "code": {"coding": [_code(OUTCOME_SYSTEM, "relief-after-prior-session",
                                      "Relief after an earlier trigger point session")],
                     "text": "Relief after the earlier session"},
            "focus": [{"identifier": {"system": SESSION_ID_SYSTEM, "value": str(r.prior_session_id)},
                       "display": f"Session {r.prior_session_id}"}],
            "effectiveDateTime": local_iso(s.performed_start, zone),
            "bodySite": {"coding": [_code(MUSCLE_SYSTEM, r.muscle_id, muscle), _code(SNOMED, code, word)],
                         "text": f"{word} {muscle.lower()}"},
            "valueQuantity": {"value": r.relief_pct, "unit": "%", "system": UCUM, "code": "%"},
            "component": components}))
    return out


def _functional_scale(base: dict[str, Any], scale: ScaleScore, when: str | None) -> dict[str, Any]:
    """The Observation of an NDI or ODI (module docstring: named, no LOINC code; one component per section)."""
    d = scale_definitions()[scale.scale]
    components: list[dict[str, Any]] = []
    for section, label in zip(d.item_ids, d.item_labels, strict=True):
        component: dict[str, Any] = {"code": {"coding": [_code(SCALE_SYSTEM, f"{d.code}/{section}", label)],
                                              "text": label}}
        value = scale.item(section)
        if value is None:
            component["dataAbsentReason"] = {"coding": [_code(DATA_ABSENT, "unknown", "Unknown")]}
        else:
            component["valueInteger"] = value
        components.append(component)
    unit = d.unit or "{score}"
    score = scale.score if d.decimals else int(scale.score or 0)  # "60", not "60.0": the scale's precision
    return {**base, "code": {"coding": [_code(SCALE_SYSTEM, d.code, d.name)], "text": d.name},
            "effectiveDateTime": when,
            "valueQuantity": {"value": score, "unit": unit, "system": UCUM, "code": unit},
            "component": components}
