"""The session-history filter shared by the history browser and the exports (product.md §2, §8).

A plain value: the browser builds one from its filter controls, the exports take the same one (so "export
what I see" is exact), and the command line builds one from --from/--to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

STATUSES = ("draft", "signed")
TECHNIQUES = ("injection", "dry_needling")
AGENT_CLASSES = ("local_anesthetic", "saline", "corticosteroid")
# Sort keys the history browser offers; each maps to an indexed column or a cheap expression in the repository.
SORT_KEYS = ("performed", "patient", "physician", "status", "sites")


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
        return found

    @property
    def is_empty(self) -> bool:
        return self == HistoryFilter()


@dataclass(frozen=True)
class Sort:
    key: str = "performed"
    descending: bool = True
