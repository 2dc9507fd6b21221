"""The live assessment of a draft: safety findings, doses against limits, codes, what is missing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tpi_notes.anatomy import load_atlas
from tpi_notes.db.repositories import history, patients, reference
from tpi_notes.domain import icd10
from tpi_notes.domain.coding import Coding, derive_codes
from tpi_notes.domain.completeness import MissingItem, missing_for_signing
from tpi_notes.domain.dosing import DoseSummary, dose_summary
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.draft_rules import session_date_problem
from tpi_notes.domain.errors import NotFoundError, TpiError
from tpi_notes.domain.findings import Finding, apply_overrides
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.rules import earliest_rules_date, rules_for
from tpi_notes.domain.safety import SafetyInput, evaluate
from tpi_notes.domain.syringe_use import overdraw_findings
from tpi_notes.services import icd10_sets
from tpi_notes.services.context import AppContext


@dataclass(frozen=True)
class Assessment:
    findings: tuple[Finding, ...]
    doses: DoseSummary
    coding: Coding
    missing: tuple[MissingItem, ...]

    @property
    def can_sign(self) -> bool:
        return not self.missing

    @property
    def stops(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "stop")


def assess_in(s: Session, draft: SessionDraft, *, formulary: dict | None = None, lots: list | None = None,
              code_sets: list | None = None) -> Assessment:
    """The assessment inside an open transaction (used by saving and signing too). A caller that has already
    read the formulary (every item, retired included), the lots or the ICD-10-CM code sets in this transaction
    passes them, and they are not read again (a save reads them once; issue 19)."""
    patient = patients.record(s, draft.patient_id)
    if patient is None:
        raise NotFoundError(f"Patient {draft.patient_id} does not exist.")
    settings = reference.settings(s)
    if formulary is None:
        formulary = {item.code: item for item in reference.list_items(s, include_retired=True)}
    lots = reference.list_lots(s) if lots is None else lots
    lot_expiry = {(lot.item_code, lot.lot_number): lot.expiry for lot in lots}
    atlas = load_atlas(draft.atlas_version)
    day = draft.performed_start.date()
    if day < earliest_rules_date():  # no codes or limits for that day: say so instead of failing
        raise TpiError(session_date_problem(day, day) or "")
    rules = rules_for(day)
    past = history.past_sessions(s, draft.patient_id, formulary, exclude_id=draft.id)
    found = evaluate(SafetyInput(patient, draft, formulary, atlas, rules, past,
                                 settings.steroid_12_month_limit_mg, lot_expiry, settings.estim_payer_profile))
    code_set = icd10.set_finding(day, icd10_sets.code_sets_in(s) if code_sets is None else code_sets)
    found += overdraw_findings(draft.sites, draft.preparations)  # Save refuses it: say so while charting
    unique = list({f.key: f for f in [*found, *([code_set] if code_set else [])]}.values())
    findings = apply_overrides(unique, draft.overrides)
    doses = dose_summary(draft, formulary, patient.weight_kg)
    coding = derive_codes(draft, formulary, rules, settings.estim_payer_profile)
    missing = missing_for_signing(draft, findings, atlas, patient, {c: i.name for c, i in formulary.items()})
    return Assessment(tuple(findings), doses, coding, tuple(missing))


def assess(ctx: AppContext, draft: SessionDraft) -> Assessment:
    """Findings, doses, codes and missing items for the draft as it stands (nothing is written)."""
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        return assess_in(s, draft)
