"""The trigger-point exam per muscle and side (clinical-reference §1.2; issue 15 item 3).

A finding belongs to the muscle actually treated and billed, the deep alternative a site chose included (the
scalenes reached through the sternocleidomastoid, quadratus lumborum through the lumbar paraspinals). The core
criteria are the three the Medicare LCDs and the expert consensus count: taut band, hypersensitive spot and
referred pain; at least two of them for every billed muscle. A local twitch response and a jump sign are recorded
but are not core.

Findings written before the exam was per muscle (migration 0016) carry only the surface ``region_code``; a signed
note keeps them so (its hash covers them as they were), and :func:`by_muscle` reads them the way the editor
showed them: the i-th finding of a region is the i-th distinct muscle and side of the session's sites in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from tpi_notes.domain.session import ExamFinding, Site

CORE_CRITERIA = ("taut_band", "hypersensitive_spot", "referred_pain")
OTHER_CRITERIA = ("twitch", "jump_sign")
MuscleKey = tuple[str, str]  # (muscle_id, side)


def core_count(finding: ExamFinding | None) -> int:
    """How many of the three core criteria a finding records (twitch and jump sign never count)."""
    return 0 if finding is None else sum(bool(getattr(finding, c)) for c in CORE_CRITERIA)


def muscles_treated(sites: Iterable[Site]) -> list[tuple[MuscleKey, str, str]]:
    """(key, label such as "Scalenes (anterior/middle/posterior) (L)", region of its first site) for each
    distinct muscle and side among the sites, in site order."""
    rows: dict[MuscleKey, tuple[MuscleKey, str, str]] = {}
    for site in sites:
        key = (site.muscle_id, site.side)
        if key not in rows:
            rows[key] = (key, f"{site.muscle} ({site.side})", site.region_code)
    return list(rows.values())


def _region_parts(code: str) -> MuscleKey:
    """atlas-1 region codes read "<view>.<muscle_id>.<side>" (a finding whose region has no site left)."""
    parts = code.split(".")
    return (parts[1], parts[2]) if len(parts) == 3 else (code, "")


def by_muscle(findings: Iterable[ExamFinding], sites: Iterable[Site]) -> tuple[ExamFinding, ...]:
    """The findings, each with its muscle and side: as stored, or for a region-keyed one (before 0016) the
    muscle of the session's site in that region (a deep alternative when the site chose one)."""
    sites = tuple(sites)
    per_region: dict[str, list[MuscleKey]] = {}
    for key, _label, region in muscles_treated(sites):
        per_region.setdefault(region, []).append(key)
    for site in sites:  # a muscle whose first site lies elsewhere may still be the one treated in this region
        keys = per_region.setdefault(site.region_code, [])
        if (site.muscle_id, site.side) not in keys:
            keys.append((site.muscle_id, site.side))
    used: dict[str, int] = {}
    out = []
    for finding in findings:
        if finding.muscle_id:
            out.append(finding)
            continue
        keys = per_region.get(finding.region_code) or [_region_parts(finding.region_code)]
        n = used.get(finding.region_code, 0)
        used[finding.region_code] = n + 1
        muscle_id, side = keys[min(n, len(keys) - 1)]
        out.append(replace(finding, muscle_id=muscle_id, side=side))
    return tuple(out)


def finding_for(findings: Iterable[ExamFinding], key: MuscleKey) -> ExamFinding | None:
    """The (resolved) finding of one muscle and side, or None."""
    return next((f for f in findings if (f.muscle_id, f.side) == key), None)


def field_key(key: MuscleKey) -> str:
    """The editor field of one muscle's row ("exam_findings[scalenes.L]"): a message there jumps to the row."""
    return f"exam_findings[{key[0]}.{key[1]}]"
