"""The session-history filter shared by the history browser and the exports (product.md §2, §8).

A plain value: the browser builds one from its filter controls, the exports take the same one (so "export
what I see" is exact), and the command line builds one from --from/--to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

STATUSES = ("draft", "signed")
TECHNIQUES = ("injection", "dry_needling")
AGENT_CLASSES = ("local_anesthetic", "saline", "corticosteroid")
# Sort keys the history browser offers; each maps to an indexed column or a cheap expression in the repository.
SORT_KEYS = ("performed", "patient", "physician", "status", "sites")


LOT_NUMBER_MAX = 40  # as the lot table stores it


@dataclass(frozen=True)
class HistoryFilter:
    """Every field optional; an empty filter is the whole history. Dates are inclusive days."""

    date_from: date | None = None
    date_to: date | None = None
    physician_id: int | None = None
    status: str | None = None          # "draft" / "signed"
    technique: str | None = None       # "injection" / "dry_needling": at least one site with it
    agent: str | None = None           # a formulary item code (e.g. "lidocaine-1") or an agent class
    muscle_id: str | None = None       # an atlas muscle id: at least one site in that muscle
    patient_id: int | None = None
    patient_text: str = ""             # name / MRN as typed in the patient search
    lot_number: str = ""               # a lot recall: sessions whose syringes drew from this lot (exact number)

    def problems(self) -> dict[str, str]:
        """Field → message for a filter that cannot be run (an empty dict when it can)."""
        found: dict[str, str] = {}
        if self.date_from and self.date_to and self.date_from > self.date_to:
            found["date_to"] = "The end date is before the start date."
        if self.status is not None and self.status not in STATUSES:
            found["status"] = f"Status is one of {', '.join(STATUSES)}."
        if self.technique is not None and self.technique not in TECHNIQUES:
            found["technique"] = f"Technique is one of {', '.join(TECHNIQUES)}."
        if len(self.patient_text) > 200:
            found["patient_text"] = "Search for at most 200 characters."
        if len(self.lot_number.strip()) > LOT_NUMBER_MAX:
            found["lot_number"] = f"A lot number has at most {LOT_NUMBER_MAX} characters."
        return found

    @property
    def is_empty(self) -> bool:
        return self == HistoryFilter()


@dataclass(frozen=True)
class Sort:
    key: str = "performed"
    descending: bool = True


# --- What the history browser shows (appended for the browser; plain values, no Qt, no database) -----------

TECHNIQUE_LABELS = {"injection": "Injection", "dry_needling": "Dry needling"}
AGENT_CLASS_LABELS = {"local_anesthetic": "Local anesthetic", "saline": "Saline", "corticosteroid": "Corticosteroid"}
SORT_LABELS = {"performed": "date", "patient": "patient", "physician": "physician", "status": "status",
               "sites": "number of sites"}


@dataclass(frozen=True)
class HistoryRow:
    """One session in the history browser."""

    id: int
    performed_start: datetime
    patient_id: int
    patient_name: str                  # "Family, Given"
    mrn: str
    physician: str                     # "Name, MD", or "" on a draft without one
    status: str
    techniques: tuple[str, ...]        # sorted technique codes
    muscles: tuple[str, ...]           # "L upper trapezius", in site order, each once
    agents: tuple[str, ...]            # formulary item names, in syringe order, each once
    site_count: int
    pain_before: int | None
    pain_after: int | None
    addenda: int = 0

    @property
    def pain_text(self) -> str:
        before = "–" if self.pain_before is None else str(self.pain_before)
        after = "–" if self.pain_after is None else str(self.pain_after)
        return f"{before} → {after}"

    @property
    def muscles_text(self) -> str:
        """``L/R upper trapezius, R levator scapulae``: one entry per muscle, both sides folded together."""
        sides: dict[str, list[str]] = {}
        for label in self.muscles:
            side, _, muscle = label.partition(" ")
            if side not in ("L", "R") or not muscle:
                side, muscle = "", label
            found = sides.setdefault(muscle, [])
            if side and side not in found:
                found.append(side)
        return ", ".join(f"{'/'.join(sorted(s))} {m}".strip() for m, s in sides.items()) or "—"

    @property
    def agents_text(self) -> str:
        """The drugs drawn up, plus dry needling when it was done (it has no agent of its own)."""
        parts = list(self.agents)
        parts.extend(TECHNIQUE_LABELS[t] for t in self.techniques if t != "injection" and t in TECHNIQUE_LABELS)
        return ", ".join(parts) or "—"


@dataclass(frozen=True)
class HistoryPage:
    """``rows`` from ``offset`` on; ``total`` is the filter's session count (None when it was not asked for);
    ``next_after`` is where the next page starts (the sort values of the last row: keyset paging), None when
    the page is empty."""

    rows: tuple[HistoryRow, ...]
    offset: int
    total: int | None
    next_after: tuple | None = None


@dataclass(frozen=True)
class MonthCount:
    year: int
    month: int
    sessions: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class AgentCount:
    code: str
    name: str
    agent_class: str
    sessions: int


@dataclass(frozen=True)
class ChartData:
    """Sessions per calendar month (every month of the range, empty ones included) and per agent.

    The months add up to ``total``; agents do not (a session may use several, or none)."""

    months: tuple[MonthCount, ...]
    agents: tuple[AgentCount, ...]
    total: int


@dataclass(frozen=True)
class AgentChoice:
    code: str
    name: str
    agent_class: str


@dataclass(frozen=True)
class FilterChoices:
    """What the filter bar offers: (id, label) physicians, formulary agents, agent classes, (id, name) muscles."""

    physicians: tuple[tuple[int, str], ...]
    agents: tuple[AgentChoice, ...]
    agent_classes: tuple[tuple[str, str], ...]
    muscles: tuple[tuple[str, str], ...]


def describe_filter(f: HistoryFilter, *, physician: str = "", agent: str = "", muscle: str = "") -> str:
    """The filter in words, for the audit trail ("all sessions" when empty); names given win over ids."""
    parts: list[str] = []
    if f.date_from and f.date_to:
        parts.append(f"performed {f.date_from.isoformat()} to {f.date_to.isoformat()}")
    elif f.date_from:
        parts.append(f"performed from {f.date_from.isoformat()}")
    elif f.date_to:
        parts.append(f"performed until {f.date_to.isoformat()}")
    if f.physician_id is not None:
        parts.append(f"physician {physician or '#' + str(f.physician_id)}")
    if f.status:
        parts.append(f"status {f.status}")
    if f.technique:
        parts.append(f"technique {TECHNIQUE_LABELS.get(f.technique, f.technique).lower()}")
    if f.agent:
        parts.append(f"agent {agent or AGENT_CLASS_LABELS.get(f.agent, f.agent)}")
    if f.muscle_id:
        parts.append(f"muscle {muscle or f.muscle_id}")
    if f.patient_id is not None:
        parts.append(f"patient #{f.patient_id}")
    if f.patient_text.strip():
        parts.append(f"patient matching “{f.patient_text.strip()}”")
    if f.lot_number.strip():
        parts.append(f"lot {f.lot_number.strip()}")
    return "; ".join(parts) or "all sessions"
