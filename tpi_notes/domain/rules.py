"""Dated clinical and billing rules from resources/rules (a 2023 session is checked by 2023 rules).

The rule sets reach back to 2000-01-01, so a back-dated session is coded by the codes of its day (20550
before CPT 2002, 20999 for dry needling before 2020, J1020/J1030/J1040 before April 2024, ICD-9-CM claims
before October 2015); a session dated before the first rule set is refused when saved (draft_rules).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from tpi_notes.paths import resources_dir


@dataclass(frozen=True)
class RuleSet:
    effective_from: date
    label: str
    version: str
    thresholds: dict[str, Any]
    cpt: dict[str, list[dict[str, Any]]]
    hcpcs: dict[str, list[dict[str, Any]]]
    jz_required: bool
    estim_profiles: dict[str, dict[str, Any]]
    sources: dict[str, str]
    diagnosis_code_set: str = "ICD-10-CM"  # what a claim of that day used (the app records ICD-10-CM)

    def threshold(self, name: str) -> Any:
        return self.thresholds[name]


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[RuleSet, ...]:
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    if raw.get("format") != "tpi-notes-rules":
        raise ValueError(f"{path} is not a tpi-notes rules file")
    sets: list[RuleSet] = []
    merged: dict[str, Any] = {}
    for entry in sorted(raw["rulesets"], key=lambda r: r["effective_from"]):
        merged = {**merged, **entry} if entry.get("inherit") else dict(entry)
        sets.append(RuleSet(
            effective_from=date.fromisoformat(entry["effective_from"]), label=entry.get("label", ""),
            version=raw["version"], thresholds=dict(merged["thresholds"]), cpt=merged["cpt"],
            hcpcs=merged["hcpcs"], jz_required=bool(merged.get("jz_required")),
            estim_profiles=merged["estim_profiles"], sources=dict(merged.get("sources", {})),
            diagnosis_code_set=str(merged.get("diagnosis_code_set", "ICD-10-CM")),
        ))
    return tuple(sets)


def _sets() -> tuple[RuleSet, ...]:
    return _load(str(resources_dir() / "rules" / "clinical-rules.json"))


def earliest_rules_date() -> date:
    """The first day the rule sets cover: a session cannot be dated before it."""
    return _sets()[0].effective_from


def rules_for(day: date) -> RuleSet:
    """The newest rule set in force on ``day``."""
    sets = _sets()
    eligible = [r for r in sets if r.effective_from <= day]
    if not eligible:
        raise ValueError(f"no clinical rules in force on {day.isoformat()} (earliest: {sets[0].effective_from})")
    return eligible[-1]
