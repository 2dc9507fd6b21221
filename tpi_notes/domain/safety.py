"""The safety findings of product.md §4, computed from the session, the patient and their history.

Pure functions over plain data. Thresholds come from the dated rule set (resources/rules); every
finding carries its source so the note can say why it was raised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tpi_notes.anatomy import Atlas
from tpi_notes.domain.allergies import allergy_findings, entries_of
from tpi_notes.domain.bleeding import bleeding_risk, bleeding_risk_reason
from tpi_notes.domain.coding import counts_both_techniques
from tpi_notes.domain.consent_risks import unticked_risk_findings
from tpi_notes.domain.dosing import DoseSummary, dose_summary
from tpi_notes.domain.findings import Finding
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.history_rules import unknown_history_findings
from tpi_notes.domain.muscle_parts import counts_group_once, group_part_findings, related
from tpi_notes.domain.numbers import amount
from tpi_notes.domain.patient import PatientRecord
from tpi_notes.domain.payer_rules import lcd_findings, same_muscle_findings
from tpi_notes.domain.rules import RuleSet
from tpi_notes.domain.sites import site_near_lung

SRC_LABEL = "Local anesthetic label maxima, additive across agents (clinical-reference §3.1–3.2)"
SRC_LCD = "Medicare TPI LCDs, 2024 revision (clinical-reference §2.7)"


@dataclass(frozen=True)
class PastSession:
    """What the history-aware rules need of an earlier session."""

    session_id: int
    performed_start: datetime
    has_injection: bool
    muscles: frozenset[tuple[str, str]]  # (muscle_id, side)
    steroid_mpe_mg: float


@dataclass(frozen=True)
class SafetyInput:
    patient: PatientRecord
    draft: object  # a SessionDraft (or SessionRecord): sites, preparations, consent, time-out, start
    formulary: Mapping[str, FormularyItem]
    atlas: Atlas
    rules: RuleSet
    history: Sequence[PastSession] = ()
    steroid_limit_mg: float = 200.0
    lot_expiry: Mapping[tuple[str, str], object] = field(default_factory=dict)
    payer_profile: str = "medicare"  # the clinic's payer profile (e-stim codes, LCD checks)
    group_once: bool | None = None  # a group and its own part counted once (None: as the session says)
    # the draft's dose summary at the patient's weight when the caller has it already (the demo works it out once
    # per session for the rules, the steroid total and the stored CSV row); None: worked out here
    doses: DoseSummary | None = None
    risks: tuple[str, ...] | None = None  # the draft's applicable_risks, likewise (None: worked out here)


def steroid_mpe(doses: DoseSummary, formulary: Mapping[str, FormularyItem]) -> float:
    """Methylprednisolone-equivalent mg of the corticosteroids in a dose summary."""
    return sum(r.total_mg * (formulary[r.item_code].mpe_factor or 0.0) for r in doses.rows
               if r.agent_class == "corticosteroid")


def evaluate(data: SafetyInput) -> list[Finding]:
    d, p, rules = data.draft, data.patient, data.rules
    sites = d.sites  # type: ignore[attr-defined]
    preps = d.preparations  # type: ignore[attr-defined]
    start: datetime = d.performed_start  # type: ignore[attr-defined]
    used_items = {c.item_code for prep in preps for c in prep.components if c.item_code in data.formulary}
    injected = [s for s in sites if s.technique == "injection"]
    doses = data.doses if data.doses is not None else dose_summary(d, data.formulary, p.weight_kg)
    out: list[Finding] = []

    for flag, label in (("pregnant", "pregnancy"), ("breastfeeding", "breastfeeding")):
        if getattr(p, flag) and rules.threshold(label).startswith("stop"):
            out.append(Finding(label, "stop", f"The patient is recorded as {'pregnant' if flag == 'pregnant' else 'breastfeeding'}: "
                               "the clinic's policy is not to proceed without a documented physician decision.",
                               "Clinic policy (product.md §1); clinical-reference §4.2", overridable=True))
    # coded allergies (domain/allergies.py): the agents in the syringes, the skin prep, the needles, uncoded text
    out.extend(allergy_findings(entries_of(p), [data.formulary[code] for code in sorted(used_items)],
                                getattr(d, "antisepsis", "") or "", bool(sites)))
    for prep in preps:
        for c in prep.components:
            expiry = data.lot_expiry.get((c.item_code, c.lot_number)) or c.lot_expiry
            if c.lot_number and expiry is not None and start.date() > expiry:  # type: ignore[operator]
                out.append(Finding("expired_lot", "stop", f"Lot {c.lot_number} in syringe {prep.label} expired on "
                                   f"{expiry}.", "product.md §4 (expired lot)", subject=c.lot_number))
    out.extend(_dose_findings(doses, data, rules))
    if bleeding_risk(p, sites):  # every needle, dry needling too; the sheet's bleeding block reads the same
        out.append(Finding("bleeding_risk", "warn", f"The patient {bleeding_risk_reason(p)}: document the "
                           "bleeding-risk discussion (with the prescriber where needed) in the note.",
                           "clinical-reference §4.2; product.md §4 (any needle)"))
    steroid = steroid_mpe(doses, data.formulary)
    if p.immunosuppressed and any(r.agent_class == "corticosteroid" and r.total_mg > 0 for r in doses.rows):
        out.append(Finding("immunosuppressed_steroid", "info", "Immunosuppressed patient receiving a "
                           "corticosteroid: a higher risk of infection at the injection site; check the skin and "
                           "make sure the patient knows the signs of infection.",
                           "clinical-reference §4.2 (immunosuppression), §4.3 (infection), §3.4 (corticosteroids)"))
    if steroid > 0 and p.diabetes:
        out.append(Finding("diabetes_steroid", "warn", "Diabetic patient receiving a corticosteroid: blood sugar "
                           "may rise for several days; the aftercare sheet adds the glucose block.",
                           "clinical-reference §3.4"))
    year_ago = start - timedelta(days=365)
    recent = [h for h in data.history if year_ago < h.performed_start < start]
    total = steroid + sum(h.steroid_mpe_mg for h in recent)
    if steroid > 0 and total > data.steroid_limit_mg:
        out.append(Finding("steroid_12_months", "warn", f"Corticosteroid over 12 months would reach {total:.0f} mg "
                           f"methylprednisolone-equivalent (clinic limit {data.steroid_limit_mg:.0f} mg).",
                           "clinical-reference §3.4 (cumulative yearly totals; configurable)"))
    limit = int(rules.threshold("tpi_sessions_per_12_months"))
    earlier_tpi = sum(1 for h in recent if h.has_injection)
    if injected and earlier_tpi >= limit:
        out.append(Finding("tpi_frequency", "warn", f"This is TPI session {earlier_tpi + 1} in 12 months; payers "
                           f"cover at most {limit}.", SRC_LCD))
    days = int(rules.threshold("same_muscle_min_days"))
    window = [h for h in data.history if start - timedelta(days=days) < h.performed_start < start]
    for muscle_id, side, label in sorted({(s.muscle_id, s.side, f"{s.side} {s.muscle.lower()}") for s in injected}):
        if any((muscle_id, side) in h.muscles or any(s == side and related(muscle_id, m) for m, s in h.muscles)
               for h in window):  # a group and its part are one muscle (atlas 1's group, atlas 2's named muscle)
            out.append(Finding("same_muscle_6_weeks", "warn", f"{label} was treated less than {days // 7} weeks ago; "
                               "a repeat at the same location within 6 weeks is not covered.", SRC_LCD, subject=label))
    near = sorted({f"{s.side} {s.muscle.lower()}" for s in sites if site_near_lung(data.atlas, s)})
    if near:
        out.append(Finding("near_lung", "warn", f"Muscles over the lung treated ({', '.join(near)}): check and record "
                           "breathing before discharge; the aftercare sheet adds the breathing block.",
                           "clinical-reference §4.3, §5 (pneumothorax)", subject=", ".join(near)))
    if p.implanted_device and any(s.technique == "dry_needling" and s.estim for s in sites):
        out.append(Finding("estim_device", "stop", "Electrical stimulation with an implanted electronic device.",
                           "clinical-reference §4.2 (electrotherapy precautions)"))
    out.extend(unknown_history_findings(p, sites, steroid > 0))  # never asked is not "no"
    for s in sites:
        if s.technique == "dry_needling" and s.needles_in is not None and s.needles_in != s.needles_out:
            out.append(Finding("needle_count", "stop", f"Site {s.number}: {s.needles_in} needles in but "
                               f"{s.needles_out if s.needles_out is not None else 'no count'} out — reconcile before "
                               "signing.", "Clean Needle Technique: count needles in and out (peers.md §9)",
                               subject=f"site {s.number}"))
    if sites and getattr(d, "consent_type", None) is None:
        out.append(Finding("consent_missing", "stop", "Consent is not recorded.", "clinical-reference §1.3"))
    if sites and not (getattr(d, "timeout_done", False) and getattr(d, "timeout_at", None)):
        out.append(Finding("timeout_missing", "stop", "The time-out (patient, procedure, sites and sides) is not "
                           "recorded with its time.", "Universal Protocol (clinical-reference §1.3)"))
    timeout_at = getattr(d, "timeout_at", None)
    if timeout_at is not None and timeout_at < start:
        out.append(Finding("timeout_before_start", "warn", f"The time-out is recorded at {timeout_at:%H:%M}"
                           f"{'' if timeout_at.date() == start.date() else f' on {timeout_at:%Y-%m-%d}'}, before the "
                           f"procedure's start at {start:%H:%M}: check both times.",
                           "Universal Protocol (clinical-reference §1.3): the time-out is part of the procedure"))
    out.extend(unticked_risk_findings(d, data.formulary, data.atlas, data.risks))
    profile = rules.estim_profiles.get(data.payer_profile) or rules.estim_profiles.get("medicare", {})
    out.extend(same_muscle_findings(sites, profile))
    once = counts_group_once(d) if data.group_once is None else data.group_once
    out.extend(group_part_findings(sites, both_techniques=counts_both_techniques(profile), counted_once=once))
    out.extend(lcd_findings(d, profile, data.atlas, data.history))
    return out


def _dose_findings(doses: DoseSummary, data: SafetyInput, rules: RuleSet) -> list[Finding]:
    out = []
    la_rows = [r for r in doses.rows if r.agent_class == "local_anesthetic"]
    if not la_rows:
        return out
    warn, stop = float(rules.threshold("local_anesthetic_warn_pct")), float(rules.threshold("local_anesthetic_stop_pct"))
    if doses.local_anesthetic_pct is None:
        out.append(Finding("weight_missing", "warn", "Weight missing: the weight-based local anesthetic maximum "
                           "cannot be checked. Record the weight.", SRC_LABEL))
        absolute = sum(r.total_mg / r.max_mg for r in la_rows if r.max_mg) * 100
        if absolute > stop:
            out.append(Finding("la_over_max", "stop", f"Local anesthetic is {absolute:.0f} % of the absolute maximum.",
                               SRC_LABEL))
        return out
    pct = doses.local_anesthetic_pct
    detail = "; ".join(f"{r.name} {amount(r.total_mg)} mg of {amount(r.max_mg)} mg" for r in la_rows if r.max_mg)
    if pct > stop:
        out.append(Finding("la_over_max", "stop", f"Local anesthetic {pct:.0f} % of the maximum for "
                           f"{data.patient.weight_kg:g} kg ({detail}).", SRC_LABEL))
    elif pct >= warn:
        out.append(Finding("la_near_max", "warn", f"Local anesthetic {pct:.0f} % of the maximum for "
                           f"{data.patient.weight_kg:g} kg ({detail}).", SRC_LABEL))
    start: datetime = data.draft.performed_start  # type: ignore[attr-defined]
    reasons = _reduced_max_reasons(data.patient, start, rules)
    fraction = float(rules.threshold("reduced_max_la_fraction"))
    if reasons and pct > 100 * fraction:
        out.append(Finding("la_reduced_max", "warn", f"Local anesthetic {pct:.0f} % of the adult maximum, over the "
                           f"{100 * fraction:.0f} % the clinic uses when the patient {' and '.join(reasons)}: lower "
                           "maxima apply; consider a smaller volume or a weaker solution.",
                           rules.sources.get("reduced_la_maximum", SRC_LABEL)))
    weighed = data.patient.weight_date
    max_days = int(rules.threshold("weight_max_age_days"))
    if weighed is not None and (start.date() - weighed).days > max_days and \
            pct > float(rules.threshold("stale_weight_la_pct")):
        days = (start.date() - weighed).days
        age = f"{days // 365} year{'s' if days >= 730 else ''}" if days >= 365 else f"{days} days"
        out.append(Finding("weight_stale", "warn", f"The weight ({data.patient.weight_kg:g} kg) was recorded on "
                           f"{weighed.isoformat()}, {age} before this session, and local anesthetic is {pct:.0f} % "
                           "of the maximum it gives: weigh the patient again.",
                           rules.sources.get("stale_weight", SRC_LABEL)))
    return out


def _reduced_max_reasons(p: PatientRecord, start: datetime, rules: RuleSet) -> list[str]:
    """Why lower local-anesthetic maxima apply to this patient, as the rule set lists them ("is 90 years
    old", "is pregnant"); hepatic and cardiac disease count once the patient record holds them."""
    out = []
    conditions = rules.threshold("reduced_max_conditions")
    age = p.age_on(start.date())
    if "age" in conditions and age is not None and age >= int(rules.threshold("reduced_max_age_years")):
        out.append(f"is {age} years old")
    words = {"pregnant": "is pregnant", "hepatic_disease": "has hepatic disease",
             "cardiac_disease": "has cardiac disease"}
    out.extend(words[c] for c in conditions if c in words and getattr(p, c, False) is True)
    return out
