"""The clinic outcomes report (issue 17 item 4): relief and PEG change by muscle group, agent or technique over a
date range, with counts.

The database aggregates the recorded responses per key and day (db/repositories/outcomes_report.py); those daily
sums are an :class:`OutcomeCube`, and a date-range change is answered from it by adding days up, which stays
quick at 100,000 sessions. A response counts on the day of the session it is about (the treatment); its PEG change
is the PEG at the visit that recorded it minus the PEG at the treated session (negative is better).
"""

from __future__ import annotations

import csv
import io
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from tpi_notes.anatomy import available_versions, load_atlas
from tpi_notes.domain.csv_cells import safe_cell
from tpi_notes.domain.payer_rules import GROUP_NAMES
from tpi_notes.domain.session import TECHNIQUES

BY = {"muscle_group": "Muscle group", "agent": "Agent", "technique": "Technique"}
NO_AGENT = "None (dry needling)"
CSV_HEADER = ("group", "responses", "mean_relief_pct", "good_pct", "partial", "none", "peg_pairs",
              "mean_peg_change")


@dataclass(frozen=True)
class Sums:
    """Sums over responses: count, relief %, good / partial / none, PEG pairs and PEG change."""

    n: int = 0
    relief: float = 0.0
    good: int = 0
    partial: int = 0
    none: int = 0
    peg_n: int = 0
    peg_change: float = 0.0

    def __add__(self, other: Sums) -> Sums:
        return Sums(self.n + other.n, self.relief + other.relief, self.good + other.good,
                    self.partial + other.partial, self.none + other.none, self.peg_n + other.peg_n,
                    self.peg_change + other.peg_change)


@dataclass(frozen=True)
class ReportRow:
    label: str
    sums: Sums

    @property
    def mean_relief(self) -> float | None:
        return self.sums.relief / self.sums.n if self.sums.n else None

    @property
    def good_pct(self) -> float | None:
        return 100 * self.sums.good / self.sums.n if self.sums.n else None

    @property
    def mean_peg_change(self) -> float | None:
        return self.sums.peg_change / self.sums.peg_n if self.sums.peg_n else None


@lru_cache(maxsize=1)
def muscle_groups() -> dict[str, str]:
    """Muscle id → its region group's name ("neck", "low back"), from every atlas version (deep muscles too)."""
    out: dict[str, str] = {}
    for version in available_versions():
        for region in load_atlas(version).regions:
            name = GROUP_NAMES.get(region.group, region.group.replace("_", " "))
            out.setdefault(region.muscle_id, name)
            for deep in region.deep:
                out.setdefault(deep.muscle_id, name)
    return out


def label_of(by: str, key: str) -> str:
    if by == "muscle_group":
        return muscle_groups().get(key, key.replace("_", " ")).capitalize()
    if by == "technique":
        return TECHNIQUES.get(key, key)
    return key or NO_AGENT


class OutcomeCube:
    """Daily sums of one grouping, as running totals per key: a date range is two bisections per key, so a filter
    change costs the same whatever the size of the clinic."""

    def __init__(self, by: str, cells: Mapping[tuple[str, date], Sums]) -> None:
        self.by = by
        per_key: dict[str, list[tuple[date, Sums]]] = {}
        for (key, day), sums in cells.items():
            per_key.setdefault(key, []).append((day, sums))
        self.series: dict[str, tuple[list[date], list[tuple[float, ...]]]] = {}
        for key, days in per_key.items():
            days.sort(key=lambda d: d[0])
            running, totals = (0.0,) * 7, [(0.0,) * 7]
            for _day, x in days:
                running = tuple(a + b for a, b in zip(running, (x.n, x.relief, x.good, x.partial, x.none, x.peg_n,
                                                                x.peg_change), strict=True))
                totals.append(running)
            self.series[key] = ([d for d, _ in days], totals)
        self.labels = {key: label_of(by, key) for key in self.series}

    def rows(self, start: date, end: date) -> list[ReportRow]:
        """The report for ``start``..``end`` (both included), largest groups first."""
        merged: dict[str, Sums] = {}
        for key, (days, totals) in self.series.items():
            i, j = bisect_left(days, start), bisect_right(days, end)
            if i == j:
                continue
            n, relief, good, partial, none, peg_n, peg = (b - a for a, b in zip(totals[i], totals[j], strict=True))
            label = self.labels[key]
            merged[label] = merged.get(label, Sums()) + Sums(int(n), relief, int(good), int(partial), int(none),
                                                             int(peg_n), peg)
        return sorted((ReportRow(label, s) for label, s in merged.items()), key=lambda r: (-r.sums.n, r.label))


def _num(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def report_csv(rows: Iterable[ReportRow]) -> bytes:
    """The report as CSV (UTF-8 with BOM, as the session export), one line per group."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow([safe_cell(v) for v in (r.label, r.sums.n, _num(r.mean_relief), _num(r.good_pct),
                                                r.sums.partial, r.sums.none, r.sums.peg_n,
                                                _num(r.mean_peg_change, 2))])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
