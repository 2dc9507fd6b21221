"""Dose arithmetic (product.md §4; clinical-reference §3.1): concentrations, per-site mg, totals, % of max.

x % = 10·x mg/mL is already in each formulary item's mg/mL. A syringe's drug concentration is that
drug's mg divided by the syringe's total mL; a site's mg of each drug is the site volume times that
concentration. Local anesthetics add up as fractions of their own maxima.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.session import Preparation, Site

CLASS_ORDER = {"local_anesthetic": 0, "saline": 1, "corticosteroid": 2}


def concentrations(prep: Preparation, formulary: Mapping[str, FormularyItem]) -> dict[str, float]:
    """Item code -> mg/mL of that drug in the mixed syringe."""
    total = prep.total_ml
    if total <= 0:
        return {}
    mg: dict[str, float] = {}
    for c in prep.components:
        item = formulary.get(c.item_code)
        if item is not None:
            mg[c.item_code] = mg.get(c.item_code, 0.0) + c.volume_ml * item.concentration_mg_per_ml
    return {code: value / total for code, value in mg.items()}


def site_doses(site: Site, preparations: tuple[Preparation, ...] | object,
               formulary: Mapping[str, FormularyItem]) -> dict[str, float]:
    """Item code -> mg given at this site (nothing for dry needling or a site without a syringe)."""
    preps = getattr(preparations, "preparations", preparations)
    if site.technique != "injection" or not site.volume_ml or not site.preparation_label:
        return {}
    prep = next((p for p in preps if p.label == site.preparation_label), None)  # type: ignore[union-attr]
    if prep is None:
        return {}
    return {code: site.volume_ml * conc for code, conc in concentrations(prep, formulary).items()}


@dataclass(frozen=True)
class DoseRow:
    item_code: str
    name: str
    agent_class: str
    total_ml: float
    total_mg: float
    max_mg: float | None
    pct_of_max: float | None


@dataclass(frozen=True)
class DoseSummary:
    rows: tuple[DoseRow, ...]
    local_anesthetic_pct: float | None
    warnings: tuple[str, ...]
    injected_ml: float

    def row(self, item_code: str) -> DoseRow | None:
        return next((r for r in self.rows if r.item_code == item_code), None)

    def class_mg(self, agent_class: str) -> float:
        return sum(r.total_mg for r in self.rows if r.agent_class == agent_class)


def dose_summary(draft: object, formulary: Mapping[str, FormularyItem], weight_kg: float | None) -> DoseSummary:
    """Totals per drug over every injection site of ``draft`` (anything with .sites and .preparations)."""
    sites: tuple[Site, ...] = draft.sites  # type: ignore[attr-defined]
    preps: tuple[Preparation, ...] = draft.preparations  # type: ignore[attr-defined]
    mg: dict[str, float] = {}
    ml: dict[str, float] = {}
    injected = 0.0
    # per syringe label: its concentrations and each drug's share of its volume, worked out once rather than once
    # per site (the same arithmetic as site_doses, so the same floats; the demo sums 100,000 sessions)
    syringes: dict[str, tuple[dict[str, float], dict[str, float] | None]] = {}
    for site in sites:
        label = site.preparation_label
        if site.technique != "injection" or not site.volume_ml or not label:
            continue  # site_doses gives nothing: no mg, no mL, not injected
        known = syringes.get(label)
        if known is None:
            prep = next((p for p in preps if p.label == label), None)
            conc = concentrations(prep, formulary) if prep is not None else {}
            shares = {code: sum(c.volume_ml for c in prep.components if c.item_code == code) / prep.total_ml
                      for code in conc} if prep is not None and prep.total_ml > 0 else None
            known = syringes[label] = (conc, shares)
        conc, shares = known
        if not conc:
            continue
        injected += site.volume_ml or 0.0
        for code, per_ml in conc.items():
            mg[code] = mg.get(code, 0.0) + site.volume_ml * per_ml
            if shares is not None:
                ml[code] = ml.get(code, 0.0) + (site.volume_ml or 0.0) * shares[code]
    rows, warnings = [], []
    la_fraction = 0.0
    la_unknown = False
    for code in sorted(mg, key=lambda c: (CLASS_ORDER.get(formulary[c].agent_class, 9), formulary[c].name)):
        item = formulary[code]
        max_mg = item.max_mg_for(weight_kg)
        if item.agent_class == "local_anesthetic" and item.max_mg_per_kg is not None and weight_kg is None:
            # Without the weight only the absolute ceiling is known; the weight-based limit cannot be checked.
            la_unknown = True
        pct = 100.0 * mg[code] / max_mg if max_mg else None
        if item.agent_class == "local_anesthetic" and max_mg:
            la_fraction += mg[code] / max_mg
        rows.append(DoseRow(code, item.name, item.agent_class, round(ml.get(code, 0.0), 4), round(mg[code], 4),
                            None if max_mg is None else round(max_mg, 4), None if pct is None else round(pct, 2)))
    has_la = any(r.agent_class == "local_anesthetic" for r in rows)
    if la_unknown:
        warnings.append("Weight missing: the weight-based local anesthetic maximum cannot be checked.")
    la_pct = round(100.0 * la_fraction, 2) if has_la and not la_unknown else None
    return DoseSummary(tuple(rows), la_pct, tuple(warnings), round(injected, 4))
