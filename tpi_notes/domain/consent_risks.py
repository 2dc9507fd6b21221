"""Risks the app knows apply to a session, so that the consent cannot contradict the sites and agents.

A muscle over the lung carries pneumothorax; a corticosteroid given carries skin atrophy or depigmentation
and a rise in blood glucose (clinical-reference §4.3, §3.4). These risks are ticked for the clinician when
they become applicable (the editor when the sites or syringes change, the draft service on saving), and
unticking one needs a reason: the reason is the documented override of the ``risk_not_discussed`` stop,
stored with the session's findings and printed on the note like any other override, so no new column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from tpi_notes.anatomy import Atlas
from tpi_notes.domain.dosing import site_doses
from tpi_notes.domain.draft import NEAR_LUNG_RISK, STEROID_RISKS, SessionDraft
from tpi_notes.domain.findings import Finding, FindingOverride
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.sites import site_near_lung

RISK_CODE = "risk_not_discussed"
SOURCE = "clinical-reference §4.3 (complications to discuss), §3.4 (corticosteroids); product.md §4"
WHY = {NEAR_LUNG_RISK: "a muscle over the lung is treated",
       **{risk: "a corticosteroid is injected" for risk in STEROID_RISKS}}


def applicable_risks(sites: Sequence[object], preparations: Sequence[object],
                     formulary: Mapping[str, FormularyItem], atlas: Atlas) -> tuple[str, ...]:
    """The risks this session's sites and agents carry, in the editor's order."""
    out: list[str] = []
    if any(site_near_lung(atlas, s) for s in sites):
        out.append(NEAR_LUNG_RISK)
    preps = tuple(preparations)  # once, not once per site
    steroid = any(formulary[code].agent_class == "corticosteroid" and mg > 0
                  for s in sites for code, mg in site_doses(s, preps, formulary).items()  # type: ignore[arg-type]
                  if code in formulary)
    if steroid:
        out.extend(STEROID_RISKS)
    return tuple(out)


def untick_reasons(overrides: Sequence[FindingOverride]) -> dict[str, str]:
    """Risk -> the reason it was not discussed (blank reasons do not count)."""
    return {o.subject: o.reason.strip() for o in overrides if o.code == RISK_CODE and o.reason.strip()}


def risk_finding(risk: str) -> Finding:
    """The stop for an applicable risk left unticked; a reason (an override) lets the note be signed."""
    return Finding(RISK_CODE, "stop", f"{risk[0].upper()}{risk[1:]} applies ({WHY.get(risk, 'the session carries it')}) "
                   "but is not ticked among the risks discussed: tick it, or document why it was not discussed.",
                   SOURCE, subject=risk, overridable=True)


def unticked_risk_findings(draft: object, formulary: Mapping[str, FormularyItem], atlas: Atlas,
                           risks: tuple[str, ...] | None = None) -> list[Finding]:
    """One overridable stop per applicable risk missing from the draft's ``consent_risks``; ``risks``: the
    draft's ``applicable_risks`` when the caller has worked them out already (the demo, which ticks them).

    A chart without ``consent_risks`` (the demo's own rule run) is not checked here."""
    ticked = getattr(draft, "consent_risks", None)
    if ticked is None:
        return []
    if risks is None:
        risks = applicable_risks(draft.sites, draft.preparations, formulary, atlas)  # type: ignore[attr-defined]
    return [risk_finding(r) for r in risks if r not in ticked]


def pretick(before: SessionDraft | None, draft: SessionDraft, formulary: Mapping[str, FormularyItem],
            atlas: Atlas) -> SessionDraft:
    """``draft`` with the risks that became applicable since ``before`` ticked, unless a reason says why not.

    Only newly applicable risks are ticked: one the physician unticked stays unticked (and signing asks
    for the reason), rather than being ticked again behind their back."""
    was = set(applicable_risks(before.sites, before.preparations, formulary, atlas)) if before else set()
    reasons = untick_reasons(draft.overrides)
    new = [r for r in applicable_risks(draft.sites, draft.preparations, formulary, atlas)
           if r not in was and r not in reasons and r not in draft.consent_risks]
    return replace(draft, consent_risks=draft.consent_risks + tuple(new)) if new else draft
