"""Billing codes derived from the chart (product.md §4 "Coding"; clinical-reference §2).

CPT counts distinct muscles — each side its own muscle — per technique, one unit per session. HCPCS
J-codes bill corticosteroids in their billing units, rounded up; local anesthetic is bundled. Single-dose
vials add JW (discarded amount) or JZ (nothing discarded, when the rule set requires it). The e-stim
code comes from the clinic's payer profile. Everything is looked up in the dated rule set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tpi_notes.domain.dosing import dose_summary
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.rules import RuleSet


@dataclass(frozen=True)
class CodeLine:
    code: str
    units: int = 1
    modifiers: tuple[str, ...] = ()
    reason: str = ""

    @property
    def text(self) -> str:
        mods = "-" + "-".join(self.modifiers) if self.modifiers else ""
        return f"{self.code}{mods} × {self.units}"


@dataclass(frozen=True)
class Coding:
    cpt: tuple[CodeLine, ...]
    hcpcs: tuple[CodeLine, ...]
    icd10: tuple[str, ...]
    notes: tuple[str, ...]


def _muscles(sites: tuple, technique: str) -> list[str]:
    seen: dict[tuple[str, str], str] = {}
    for s in sites:
        if s.technique == technique:
            seen.setdefault((s.muscle_id, s.side), f"{s.side} {s.muscle.lower()}")
    return list(seen.values())


def _cpt(muscles: list[str], table: list[dict], technique: str, modifiers: tuple[str, ...]) -> CodeLine | None:
    n = len(muscles)
    for row in table:
        if n >= row["min_muscles"] and n <= row.get("max_muscles", n):
            what = "muscle" if n == 1 else "muscles"
            reason = f"{n} {what} ({technique.replace('_', ' ')}): {', '.join(muscles)} → {row['code']}"
            return CodeLine(row["code"], 1, modifiers, reason)
    return None


def eight_minute_units(minutes: float) -> int:
    """Timed codes: 8–22 min = 1 unit, 23–37 = 2, 38–52 = 3 … (fewer than 8 minutes: none)."""
    return 0 if minutes < 8 else int((minutes + 7) // 15)


def _methylpred_lines(mg: float, table: list[dict], reason: str) -> list[CodeLine]:
    """Before J1010 the codes were per 20/40/80 mg vials: cover the dose with the fewest codes."""
    by_size = sorted(table, key=lambda r: r["unit_mg"])
    lines, remaining = [], mg
    largest = by_size[-1]
    if remaining >= largest["unit_mg"]:
        n = int(remaining // largest["unit_mg"])
        lines.append(CodeLine(largest["code"], n, (), reason))
        remaining -= n * largest["unit_mg"]
    if remaining > 1e-9:
        row = next(r for r in by_size if remaining <= r["unit_mg"])
        lines.append(CodeLine(row["code"], 1, (), reason))
    return lines


def derive_codes(draft: object, formulary: Mapping[str, FormularyItem], rules: RuleSet,
                 payer_profile: str = "medicare") -> Coding:
    sites = draft.sites  # type: ignore[attr-defined]
    profile = rules.estim_profiles.get(payer_profile) or rules.estim_profiles["medicare"]
    cpt: list[CodeLine] = []
    notes: list[str] = []
    injection = _cpt(_muscles(sites, "injection"), rules.cpt["injection"], "injection", ())
    if injection:
        cpt.append(injection)
    needling = _cpt(_muscles(sites, "dry_needling"), rules.cpt["dry_needling"], "dry_needling",
                    tuple(profile.get("dry_needling_modifiers", ())))
    if needling:
        cpt.append(needling)
        if needling.modifiers:
            notes.append(f"{needling.code}-{'-'.join(needling.modifiers)}: dry needling is a statutorily excluded "
                         f"service for {profile['label']}.")
    cpt.extend(_estim_lines(sites, profile))
    hcpcs: list[CodeLine] = []
    doses = dose_summary(draft, formulary, None)
    for row in doses.rows:
        item = formulary[row.item_code]
        table = rules.hcpcs.get(item.generic)
        if item.agent_class != "corticosteroid" or not table or row.total_mg <= 0:
            continue
        reason = f"{item.generic} {row.total_mg:g} mg"
        if len(table) > 1:
            hcpcs.extend(_methylpred_lines(row.total_mg, table, reason))
            continue
        unit_mg = float(table[0]["unit_mg"])
        used = math.ceil(round(row.total_mg / unit_mg, 6))
        code = table[0]["code"]
        if item.single_dose_vial and item.vial_volume_ml:
            vial_units = math.ceil(round(item.vial_volume_ml * item.concentration_mg_per_ml / unit_mg, 6))
            waste = max(0, vial_units - used)
            if waste:
                hcpcs.append(CodeLine(code, used, (), f"{reason} = {used} × {unit_mg:g} mg"))
                hcpcs.append(CodeLine(code, waste, ("JW",), f"discarded from the single-dose vial: {waste} unit(s)"))
                continue
            mods = ("JZ",) if rules.jz_required else ()
            hcpcs.append(CodeLine(code, used, mods, f"{reason} = {used} × {unit_mg:g} mg, nothing discarded"))
        else:
            hcpcs.append(CodeLine(code, used, (), f"{reason} = {used} × {unit_mg:g} mg (multi-dose vial)"))
    if any(r.agent_class == "local_anesthetic" for r in doses.rows):
        notes.append("Local anesthetic is bundled with the procedure and not billed separately.")
    icd = tuple(d.code for d in getattr(draft, "diagnoses", ()))
    if icd and rules.diagnosis_code_set != "ICD-10-CM":
        notes.append(f"Diagnoses are recorded in ICD-10-CM; a claim for this date of service used "
                     f"{rules.diagnosis_code_set} (cross-walk the codes).")
    return Coding(tuple(cpt), tuple(hcpcs), icd, tuple(notes))


def _estim_lines(sites: tuple, profile: dict) -> list[CodeLine]:
    lines = []
    for attended in (True, False):
        group = [s for s in sites if s.technique == "dry_needling" and s.estim and s.estim.attended == attended]
        if not group:
            continue
        rule = profile["attended" if attended else "unattended"]
        minutes = max(s.estim.minutes for s in group)  # paired needles are stimulated at the same time
        kind = "attended" if attended else "unattended"
        if rule.get("timed"):
            units = eight_minute_units(minutes)
            if units == 0:
                continue
            if rule.get("add_on"):
                lines.append(CodeLine(rule["code"], 1, (), f"{kind} e-stim {minutes:g} min, first 15 minutes"))
                if units > 1:
                    lines.append(CodeLine(rule["add_on"], units - 1, (), "each additional 15 minutes"))
            else:
                lines.append(CodeLine(rule["code"], units, (), f"{kind} e-stim {minutes:g} min (8-minute rule)"))
        else:
            lines.append(CodeLine(rule["code"], 1, (), f"{kind} e-stim, one unit per visit"))
    return lines
