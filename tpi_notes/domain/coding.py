"""Billing codes derived from the chart (product.md §4 "Coding"; clinical-reference §2).

CPT counts distinct muscles — each side its own muscle — per technique, one unit per session. HCPCS
J-codes bill corticosteroids in their billing units, rounded up; local anesthetic is bundled. Single-dose
vials add JW (discarded amount) or JZ (nothing discarded, when the rule set requires it), worked out against
the vials opened and per drug, all strengths and syringes together (domain/drug_waste.py). A muscle both
injected and dry-needled in one session is one muscle, counted under injection, unless the payer profile says
otherwise (``same_muscle_both_techniques``). The e-stim code comes from the clinic's payer profile; a profile
with acupuncture codes bills the needling as acupuncture (the code includes the needle insertion). Everything
is looked up in the dated rule set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tpi_notes.domain.dosing import DoseSummary, dose_summary
from tpi_notes.domain.drug_waste import DrugUse, Waste, drug_uses, waste_of
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.muscle_parts import absorbed, counts_group_once, related
from tpi_notes.domain.numbers import amount, plural
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
    waste: tuple[Waste, ...] = ()  # the discarded amount of each billed drug, for the note (issue 15)


def _muscles(sites: tuple, technique: str, skip: frozenset[tuple[str, str]] = frozenset(),
             parts: bool = False) -> tuple[list[str], list[str]]:
    """The muscles of one technique ("L upper trapezius"), each side its own; with ``parts`` (an unsigned
    session), a group charted beside its own part on the same side is left out, and said so (second list)."""
    seen: dict[tuple[str, str], str] = {}
    for s in sites:
        if s.technique == technique and (s.muscle_id, s.side) not in skip:
            seen.setdefault((s.muscle_id, s.side), f"{s.side} {s.muscle.lower()}")
    if not parts:
        return list(seen.values()), []
    merged = absorbed(seen)
    said = [f"{seen[group]} is the group of {seen[part]}: counted once" for group, part in merged.items()]
    return [label for key, label in seen.items() if key not in merged], said


def both_techniques(sites: tuple, parts: bool = False) -> dict[tuple[str, str], str]:
    """(muscle id, side) → "L gluteus medius" for each muscle both injected and dry-needled in the session; with
    ``parts`` (an unsigned session), a muscle needled where its group or its part was injected on that side too."""
    injected = {(s.muscle_id, s.side) for s in sites if s.technique == "injection"}
    out: dict[tuple[str, str], str] = {}
    for s in sites:
        if s.technique != "dry_needling":
            continue
        if (s.muscle_id, s.side) in injected or (parts and any(
                side == s.side and related(muscle_id, s.muscle_id) for muscle_id, side in injected)):
            out.setdefault((s.muscle_id, s.side), f"{s.side} {s.muscle.lower()}")
    return out


def counts_both_techniques(profile: Mapping) -> bool:
    """True when the payer counts a muscle under both injection and dry needling (dated profile data)."""
    return profile.get("same_muscle_both_techniques", "injection") == "both"


def _cpt(counted: tuple[list[str], list[str]], table: list[dict], technique: str,
         modifiers: tuple[str, ...]) -> CodeLine | None:
    muscles, said = counted
    n = len(muscles)
    for row in table:
        if n >= row["min_muscles"] and n <= row.get("max_muscles", n):
            what = "muscle" if n == 1 else "muscles"
            reason = f"{n} {what} ({technique.replace('_', ' ')}): {', '.join(muscles)} → {row['code']}"
            return CodeLine(row["code"], 1, modifiers, "; ".join([reason, *said]))
    return None


def eight_minute_units(minutes: float) -> int:
    """Timed codes: 8–22 min = 1 unit, 23–37 = 2, 38–52 = 3 … (fewer than 8 minutes: none)."""
    return 0 if minutes < 8 else int((minutes + 7) // 15)


def _methylpred_lines(mg: float, table: list[dict], reason: str, mods: tuple[str, ...] = ()) -> list[CodeLine]:
    """Before J1010 the codes were per 20/40/80 mg vials: cover the dose with the fewest codes."""
    by_size = sorted(table, key=lambda r: r["unit_mg"])
    lines, remaining = [], mg
    largest = by_size[-1]
    if remaining >= largest["unit_mg"]:
        n = int(remaining // largest["unit_mg"])
        lines.append(CodeLine(largest["code"], n, mods, reason))
        remaining -= n * largest["unit_mg"]
    if remaining > 1e-9:
        row = next(r for r in by_size if remaining <= r["unit_mg"] + 1e-9)
        lines.append(CodeLine(row["code"], 1, mods, reason))
    return lines


def _exact_lines(mg: float, table: list[dict], reason: str, mods: tuple[str, ...]) -> list[CodeLine]:
    """A discarded amount (whole units of the smallest code) in per-vial codes that add up to it exactly, largest
    first: 60 mg is 40 + 20, never one 80 mg code (the given and discarded units would exceed the vials)."""
    lines, remaining = [], mg
    for row in sorted(table, key=lambda r: -float(r["unit_mg"])):
        n = int(round(remaining, 6) // float(row["unit_mg"]))
        if n:
            lines.append(CodeLine(row["code"], n, mods, reason))
            remaining -= n * float(row["unit_mg"])
    return lines


def _opened(use: DrugUse) -> str:
    return f"{plural(use.vials, 'single-dose vial')} opened ({amount(use.opened_mg)} mg)"


def _drug_lines(use: DrugUse, table: list[dict], jz_required: bool) -> list[CodeLine]:
    """The J-code lines of one drug: the units given, and the discarded units (JW) or JZ (nothing discarded)."""
    given = f"{use.generic} {amount(use.administered_mg)} mg"
    if len(table) > 1:
        return _by_vial_code_lines(use, table, jz_required, given)
    unit_mg = float(table[0]["unit_mg"])
    code = table[0]["code"]
    used = math.ceil(round(use.administered_mg / unit_mg, 6))
    reason = f"{given} = {used} × {amount(unit_mg)} mg"
    if use.vials == 0:
        return [CodeLine(code, used, (), f"{reason} (multi-dose vial)")] if used else []
    opened_units = math.ceil(round(use.opened_mg / unit_mg, 6))
    single_used = used if use.single_dose_only else math.ceil(round(use.single_dose_mg / unit_mg, 6))
    waste = max(0, opened_units - single_used)
    if waste:  # JW only for a whole billing unit or more
        out = [CodeLine(code, used, (), f"{reason}; {_opened(use)}, {amount(use.discarded_mg)} mg discarded")]             if used else []
        out.append(CodeLine(code, waste, ("JW",), f"{amount(use.discarded_mg)} mg discarded from "
                                                   f"{plural(use.vials, 'single-dose vial')}, billed as {waste} × "
                                                   f"{amount(unit_mg)} mg"))
        return out
    mods = ("JZ",) if jz_required and use.single_dose_only else ()
    if use.discarded_mg > 1e-6:  # less than one unit left over: within the units billed, never "nothing"
        tail = f"{_opened(use)}; the {amount(use.discarded_mg)} mg left over is within the units billed"
    else:
        tail = f"{_opened(use)}, nothing discarded"
    if not use.single_dose_only:
        tail += "; part from a multi-dose vial"
    return [CodeLine(code, used, mods, f"{reason}; {tail}")]


def _by_vial_code_lines(use: DrugUse, table: list[dict], jz_required: bool, given: str) -> list[CodeLine]:
    """Codes per 20/40/80 mg (methylprednisolone before April 2024) with the same waste logic as per-mg codes:
    the discarded amount is billed in whole units of the smallest code, with JW."""
    lines = _methylpred_lines(use.administered_mg, table, given)
    if use.vials == 0:
        return lines
    smallest = min(float(r["unit_mg"]) for r in table)
    unit_mg = {r["code"]: float(r["unit_mg"]) for r in table}
    covered = sum(x.units * unit_mg[x.code] for x in lines)
    single_covered = covered if use.single_dose_only else use.single_dose_mg
    billable = math.floor(round(max(0.0, use.opened_mg - single_covered) / smallest, 6)) * smallest
    if billable:
        lines = [CodeLine(x.code, x.units, (), f"{given}; {_opened(use)}, {amount(use.discarded_mg)} mg discarded")
                 for x in lines]
        lines += _exact_lines(billable, table, f"discarded from {plural(use.vials, 'single-dose vial')}: "
                                               f"{amount(use.discarded_mg)} mg", ("JW",))
        return lines
    mods = ("JZ",) if jz_required and use.single_dose_only else ()
    tail = (f"the {amount(use.discarded_mg)} mg left over is within the units billed" if use.discarded_mg > 1e-6
            else "nothing discarded")
    return [CodeLine(x.code, x.units, mods, f"{given}; {_opened(use)}, {tail}") for x in lines]


def derive_codes(draft: object, formulary: Mapping[str, FormularyItem], rules: RuleSet,
                 payer_profile: str = "medicare", *, group_once: bool | None = None,
                 doses: DoseSummary | None = None) -> Coding:
    """The codes of a session. ``group_once``: count a group and its own part on one side once; by default as
    the session says (unsigned, or signed since that rule: domain/muscle_parts.py), so a signed note keeps the
    codes it was signed with. ``doses``: the session's dose summary when the caller has it (at any weight: the
    codes use only its rows, which the weight does not change); an export computes it once (issue 19)."""
    sites = draft.sites  # type: ignore[attr-defined]
    parts = counts_group_once(draft) if group_once is None else group_once
    profile = rules.estim_profiles.get(payer_profile) or rules.estim_profiles["medicare"]
    cpt: list[CodeLine] = []
    notes: list[str] = []
    twice = {} if counts_both_techniques(profile) else both_techniques(sites, parts)
    injection = _cpt(_muscles(sites, "injection", parts=parts), rules.cpt["injection"], "injection", ())
    if injection:
        if twice:
            names = ", ".join(twice.values())
            injection = CodeLine(injection.code, injection.units, injection.modifiers,
                                 f"{injection.reason}; {names} also dry-needled: one muscle, one service, "
                                 "counted once, under injection")
        cpt.append(injection)
    needling = _cpt(_muscles(sites, "dry_needling", frozenset(twice), parts), rules.cpt["dry_needling"], "dry_needling",
                    tuple(profile.get("dry_needling_modifiers", ())))
    acupuncture = profile.get("dry_needling_code")
    if needling and acupuncture:  # acupuncture codes include the needle insertion: never a 20560 beside them
        needling = None
        if not any(s.estim and s.estim.attended for s in sites if s.technique == "dry_needling") \
                or not profile["attended"].get("includes_needling"):
            cpt.append(CodeLine(acupuncture["code"], 1, (), acupuncture.get("reason", "acupuncture")))
    if needling:
        cpt.append(needling)
        if needling.modifiers:
            notes.append(f"{needling.code}-{'-'.join(needling.modifiers)}: dry needling is a statutorily excluded "
                         f"service for {profile['label']}.")
    cpt.extend(_estim_lines(sites, profile))
    hcpcs: list[CodeLine] = []
    waste: list[Waste] = []
    if doses is None:
        doses = dose_summary(draft, formulary, None)
    for generic, use in drug_uses(draft, formulary, doses).items():
        table = rules.hcpcs.get(generic)
        classes = {formulary[r.item_code].agent_class for r in doses.rows if formulary[r.item_code].generic == generic}
        if not table or (classes and classes != {"corticosteroid"}) or (use.administered_mg <= 0 and not use.vials):
            continue
        hcpcs.extend(_drug_lines(use, table, rules.jz_required))
        found = waste_of(use)
        if found:
            waste.append(found)
    if any(r.agent_class == "local_anesthetic" for r in doses.rows):
        notes.append("Local anesthetic is bundled with the procedure and not billed separately.")
    icd = tuple(d.code for d in getattr(draft, "diagnoses", ()))
    if icd and rules.diagnosis_code_set != "ICD-10-CM":
        notes.append(f"Diagnoses are recorded in ICD-10-CM; a claim for this date of service used "
                     f"{rules.diagnosis_code_set} (cross-walk the codes).")
    return Coding(tuple(cpt), tuple(hcpcs), icd, tuple(notes), tuple(waste))


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
                what = rule.get("reason", f"{kind} e-stim")
                lines.append(CodeLine(rule["code"], 1, (), f"{what} {amount(minutes)} min, first 15 minutes"))
                if units > 1:
                    lines.append(CodeLine(rule["add_on"], units - 1, (), "each additional 15 minutes"))
            else:
                lines.append(CodeLine(rule["code"], units, (), f"{kind} e-stim {amount(minutes)} min (8-minute rule)"))
        else:
            lines.append(CodeLine(rule["code"], 1, (), rule.get("reason", f"{kind} e-stim, one unit per visit")))
    return lines
