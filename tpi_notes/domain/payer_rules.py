"""Billing warnings that depend on the payer (issue 15 items 2 and 5; clinical-reference §2.1-2.2, §2.7).

One muscle, one service: a muscle (and side) both injected and dry-needled in one session is counted once, under
injection (domain/coding.py), and the clinician is told. The Medicare 2024 TPI LCD profile (dated data in
resources/rules, the ``lcd`` part of a payer profile) adds warnings a MAC reviewer would raise: a diagnosis
outside the covered list, more anatomic regions in one session than allowed (the atlas's region groups), imaging
guidance billed with TPI, and a repeat without documented relief. Relief after a session is not recorded yet
(the outcomes work brings it), so a repeat warns that it is not recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from tpi_notes.anatomy import Atlas
from tpi_notes.domain.coding import both_techniques, counts_both_techniques
from tpi_notes.domain.draft import GUIDANCE
from tpi_notes.domain.findings import Finding

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
        last = max(h.performed_start for h in earlier)
        out.append(Finding("lcd_repeat_relief", "warn", f"A repeat TPI (the last on {last:%Y-%m-%d}) is covered only "
                           f"after at least {lcd.get('repeat_relief_pct', 50)} % relief lasting "
                           f"{lcd.get('repeat_relief_weeks', 6)} weeks or more, with better function: relief not "
                           "recorded for the earlier session.", source))
    return out
