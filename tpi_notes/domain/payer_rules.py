"""Billing warnings that depend on the payer (issue 15 items 2 and 5; clinical-reference §2.1-2.2, §2.7).

One muscle, one service: a muscle (and side) both injected and dry-needled in one session is counted once, under
injection (domain/coding.py), and the clinician is told. The Medicare 2024 TPI LCD profile (dated data in
resources/rules, the ``lcd`` part of a payer profile) adds warnings a MAC reviewer would raise: a diagnosis
outside the covered list, more anatomic regions in one session than allowed (the atlas's region groups), imaging
guidance billed with TPI, and a repeat without documented relief: the response to the last injection session
recorded at this one (issue 17, domain/outcomes.py) must reach the LCD's relief for its weeks for the muscles
injected again, else the warning names what was recorded (or that nothing was); and a session without a complete
PEG-3 (or NDI / ODI, when the clinic records them), since the LCD wants a validated functional scale measured the
same way before and after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from tpi_notes.anatomy import Atlas
from tpi_notes.domain.coding import both_techniques, counts_both_techniques
from tpi_notes.domain.draft import GUIDANCE
from tpi_notes.domain.findings import Finding
from tpi_notes.domain.outcomes import response_text

SRC_SAME_MUSCLE = ("CPT counts muscles, one service per muscle and session (clinical-reference §2.1-2.2); "
                   "the payer profile's same_muscle_both_techniques")
GROUP_NAMES = {"cephalic": "head", "cervical": "neck", "scapular": "shoulder girdle", "chest": "chest",
               "thoracic": "thoracic back", "lumbar": "low back", "abdominal": "abdomen", "hip": "hip and buttock",
               "lower_limb": "lower limb", "upper_limb": "upper limb"}


def _ranges(codes: Sequence[str]) -> str:
    """"M79.10–M79.18, G44.201–G44.229": the covered codes by category, first to last."""
    by_category: dict[str, list[str]] = {}
    for code in codes:
        by_category.setdefault(code[:3], []).append(code)
    return ", ".join(f"{c[0]}–{c[-1]}" if len(c) > 1 else c[0] for c in by_category.values())


def same_muscle_findings(sites: Sequence, profile: Mapping) -> list[Finding]:
    """A warning for each muscle and side both injected and dry-needled in the session."""
    out = []
    both = counts_both_techniques(profile)
    for label in both_techniques(tuple(sites)).values():
        counted = ("the payer profile counts it under both techniques; check the payer's policy" if both else
                   "one muscle, one service: it is counted once, under injection")
        out.append(Finding("same_muscle_two_techniques", "warn", f"{label} is both injected and dry-needled in this "
                           f"session: {counted}.", SRC_SAME_MUSCLE, subject=label))
    return out


def lcd_findings(draft: object, profile: Mapping, atlas: Atlas, history: Sequence) -> list[Finding]:
    """The Medicare TPI LCD warnings of a session with trigger point injections (none without an ``lcd`` part)."""
    lcd = profile.get("lcd")
    sites = draft.sites  # type: ignore[attr-defined]
    injected = [s for s in sites if s.technique == "injection"]
    if not lcd or not injected:
        return []
    source = f"{lcd.get('name', 'Medicare TPI LCDs, 2024 revision')} (clinical-reference §2.7)"
    out: list[Finding] = []
    covered = list(lcd.get("covered_diagnoses", ()))
    given = [d.code for d in getattr(draft, "diagnoses", ())]
    if covered and not set(given) & set(covered):
        what = f"The diagnoses ({', '.join(given)}) are" if given else "No diagnosis is recorded, which is"
        out.append(Finding("lcd_diagnosis_not_covered", "warn", f"{what} outside the LCD's covered list "
                           f"({_ranges(covered)}): the TPI is not covered.", source))
    groups: dict[str, None] = {}
    for s in injected:
        try:
            groups.setdefault(atlas.region(s.region_code).group, None)
        except KeyError:
            continue
    allowed = int(lcd.get("max_regions", 1))
    if len(groups) > allowed:
        names = ", ".join(GROUP_NAMES.get(g, g.replace("_", " ")) for g in groups)
        out.append(Finding("lcd_regions", "warn", f"Injections in {len(groups)} anatomic regions in one session "
                           f"({names}); the LCD covers {allowed} region{'s' if allowed != 1 else ''} per session.",
                           source))
    guidance = getattr(draft, "guidance", None)
    if guidance and guidance in lcd.get("imaging_guidance", ()):
        word = dict(GUIDANCE).get(guidance, guidance)
        out.append(Finding("lcd_imaging_guidance", "warn", f"{word} guidance with trigger point injections: the "
                           "LCD does not cover imaging guidance for TPI (76942 will be denied).", source))
    start: datetime = draft.performed_start  # type: ignore[attr-defined]
    earlier = [h for h in history if h.has_injection and h.performed_start < start]
    if earlier:
        out += _repeat_relief(draft, injected, max(earlier, key=lambda h: h.performed_start), lcd, source)
    if not any(s.complete for s in getattr(draft, "scales", ())):  # PEG-3, or the NDI / ODI a clinic records
        out.append(Finding("lcd_functional_scale", "warn", "No PEG-3 (or NDI / ODI) recorded: the LCD expects a "
                           "validated functional scale, measured the same way before and after, with its dates.",
                           source))
    return out


def _repeat_relief(draft: object, injected: Sequence, last: object, lcd: Mapping, source: str) -> list[Finding]:
    """The repeat warning, read from the response to the last injection session recorded at this one."""
    pct, weeks = int(lcd.get("repeat_relief_pct", 50)), int(lcd.get("repeat_relief_weeks", 6))
    when: datetime = last.performed_start  # type: ignore[attr-defined]
    head = (f"A repeat TPI (the last on {when:%Y-%m-%d}) is covered only after at least {pct} % relief lasting "
            f"{weeks} weeks or more, with better function: ")
    responses = [r for r in getattr(draft, "prior_responses", ())
                 if r.prior_session_id == last.session_id and r.relief_pct is not None]  # type: ignore[attr-defined]
    again = {(s.muscle_id, s.side) for s in injected} & set(last.muscles)  # type: ignore[attr-defined]
    relevant = [r for r in responses if (r.muscle_id, r.side) in again] or responses
    if not relevant:
        return [Finding("lcd_repeat_relief", "warn", head + "relief not recorded for the earlier session.", source)]
    names = {(s.muscle_id, s.side): s.label for s in injected}
    short = [r for r in relevant if r.relief_pct < pct or (r.duration_weeks or 0) < weeks]
    if not short:
        return []
    labels = [names.get((r.muscle_id, r.side)) or r.side + " " + r.muscle_id.replace("_", " ") for r in short]
    what = "; ".join(f"{label} {response_text(r)}" for label, r in zip(labels, short, strict=True))
    return [Finding("lcd_repeat_relief", "warn", head + f"recorded {what}.", source)]
