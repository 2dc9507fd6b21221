"""What must be in a note before it can be signed (clinical-reference §1, payer audit criteria).

Each missing item names the editor field it belongs to, so the editor can take the physician there. The plain
note elements a clinic may document otherwise (position, antisepsis, guidance, complications, tolerance, blood
loss, observation, disposition, follow-up) are listed in resources/rules/sign-requirements.json.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tpi_notes.anatomy import Atlas
from tpi_notes.domain import exam
from tpi_notes.domain.findings import Finding
from tpi_notes.domain.history_answers import unanswered_for_signing
from tpi_notes.domain.sign_requirements import sign_requirements, unanswered
from tpi_notes.domain.sites import site_near_lung
from tpi_notes.domain.templates import carried_blocker

# A respiratory check that says it was not done ("Not indicated: no muscle over the lung treated", "N/A"):
# right for a buttock, a contradiction when a muscle over the lung was treated.
DECLINED_CHECK = re.compile(r"\bnot\s+(indicated|needed|required|applicable|done)\b|^\s*n\s*/?\s*a\b|"
                            r"\bno muscle over the lung\b", re.IGNORECASE)


def respiratory_check_declined(text: str) -> bool:
    """The respiratory check records that none was needed or done."""
    return bool(DECLINED_CHECK.search(text or ""))


@dataclass(frozen=True)
class MissingItem:
    field: str
    message: str


def missing_for_signing(draft: object, findings: list[Finding], atlas: Atlas,
                        patient: object | None = None, drug_names: dict[str, str] | None = None) -> list[MissingItem]:
    """``drug_names`` (formulary code -> name) words the lot items; without it they name the code."""
    d = draft
    names = drug_names or {}
    out: list[MissingItem] = []
    if patient is not None:  # history answers live on the patient: "patient.<item>" opens the patient form
        day = d.performed_start.date()  # type: ignore[attr-defined]
        out.extend(MissingItem(f"patient.{item}", message) for item, message in unanswered_for_signing(patient, day))

    def need(ok: object, field: str, message: str) -> None:
        if not ok:
            out.append(MissingItem(field, message))

    carried = carried_blocker(d)  # copied forward or from a template: the clinician confirms it first
    if carried:
        out.append(MissingItem("carried_fields", carried))
    need(d.physician_id, "physician_id", "Choose the performing physician.")  # type: ignore[attr-defined]
    need(d.performed_end, "performed_end", "Record when the procedure ended.")  # type: ignore[attr-defined]
    need(d.indication, "indication", "Write the indication (pain, how long, functional limit).")  # type: ignore[attr-defined]
    need(d.diagnoses, "diagnoses", "Add at least one ICD-10-CM diagnosis.")  # type: ignore[attr-defined]
    need(d.conservative_care, "conservative_care", "Record the conservative care tried (payers audit it).")  # type: ignore[attr-defined]
    need(d.sites, "sites", "Mark at least one site on the diagram.")  # type: ignore[attr-defined]
    need(d.consent_type, "consent_type", "Record the consent (written or verbal).")  # type: ignore[attr-defined]
    need(d.consent_risks, "consent_risks", "Tick the risks discussed.")  # type: ignore[attr-defined]
    need(d.timeout_done and d.timeout_at, "timeout_at", "Record the time-out and its time.")  # type: ignore[attr-defined]
    need(d.pain_before is not None, "pain_before", "Record the pain score before (NRS 0–10).")  # type: ignore[attr-defined]
    need(d.pain_after is not None, "pain_after", "Record the pain score after (NRS 0–10).")  # type: ignore[attr-defined]
    need(d.relief_pct is not None, "relief_pct", "Record the immediate relief in % (payers audit it).")  # type: ignore[attr-defined]
    # position, antisepsis, guidance, complications … (clinical-reference §1.4/§1.6): the clinic's data file
    asked = {m.field for m in out}
    out.extend(MissingItem(r.field, r.message) for r in unanswered(d, sign_requirements()) if r.field not in asked)
    sites = d.sites  # type: ignore[attr-defined]
    if any(site_near_lung(atlas, s) for s in sites):
        need(d.respiratory_check, "respiratory_check",  # type: ignore[attr-defined]
             "A muscle over the lung was treated: record the respiratory check.")
        if respiratory_check_declined(d.respiratory_check):  # type: ignore[attr-defined]
            out.append(MissingItem("respiratory_check", "A muscle over the lung was treated: the respiratory check "
                                   "cannot be \"not indicated\"; record breath sounds or SpO2."))
    for s in sites:
        key = f"sites[{s.number}]"
        if s.technique == "injection":
            need(s.preparation_label, f"{key}.preparation_label", f"Site {s.number}: choose the syringe.")
            need(s.volume_ml, f"{key}.volume_ml", f"Site {s.number}: record the volume injected.")
        else:
            need(s.needles_in is not None and s.needles_out is not None, f"{key}.needles_in",
                 f"Site {s.number}: count the needles in and out.")
    for prep in d.preparations:  # type: ignore[attr-defined]
        for i, c in enumerate(prep.components):
            if not c.item_code:  # a row added with no drug chosen yet: its lot cannot be named (H33 item 3)
                out.append(MissingItem(f"preparations[{prep.label}].{i}.item_code",
                                       f"Syringe {prep.label}: choose the drug of row {i + 1}."))
                continue
            need(c.lot_number, f"preparations[{prep.label}].{i}.lot_number",
                 f"Syringe {prep.label}: record the lot of {names.get(c.item_code, c.item_code)}.")
    examined = exam.by_muscle(d.exam_findings, sites)  # type: ignore[attr-defined]
    for key, label, _region in exam.muscles_treated(sites):
        if exam.core_count(exam.finding_for(examined, key)) < 2:
            out.append(MissingItem(exam.field_key(key), f"{label}: record at least two of the three core "
                                   "trigger-point criteria (taut band, hypersensitive spot, referred pain); "
                                   "a twitch or jump sign does not count."))
    for f in findings:
        if f.blocks_signing:
            hint = " A physician may proceed with a documented reason." if f.overridable else ""
            out.append(MissingItem(f"finding:{f.code}:{f.subject}", f"Stop: {f.message}{hint}"))
    unique: dict[tuple[str, str], MissingItem] = {(m.field, m.message): m for m in out}
    return list(unique.values())
