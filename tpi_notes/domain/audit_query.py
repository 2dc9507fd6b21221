"""What the audit-trail screen asks for and gets back (product.md §9, clinical-reference §8.3).

An audit report is produced for a chosen period and is sortable by each field: the filter and the rows
are plain values, built by the screen (or a test) and turned into SQL by ``db.repositories.audit_query``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

# Sort keys the screen offers, one per column; the repository maps each to an expression (id breaks ties).
SORT_KEYS = ("time", "user", "action", "entity", "patient", "detail")
TEXT_LIMIT = 200


@dataclass(frozen=True)
class AuditFilter:
    """Every field optional; an empty filter is the whole trail. Dates are inclusive days.

    ``user_id`` picks an app user's events; ``actor`` picks the events of someone who was not signed in as
    an app user (the command line acts as ``os:<login>``). ``up_to_id`` holds a paged view still: the
    first page reports the newest event id it saw, later pages ask for nothing newer.
    """

    date_from: date | None = None
    date_to: date | None = None
    user_id: int | None = None
    actor: str | None = None
    action: str | None = None
    entity: str | None = None
    patient_text: str = ""          # name or MRN start, as typed in the patient search
    detail_text: str = ""           # detail contains this text (case-insensitive)
    up_to_id: int | None = None

    def problems(self) -> dict[str, str]:
        """Field → message for a filter that cannot be run (an empty dict when it can)."""
        found: dict[str, str] = {}
        if self.date_from and self.date_to and self.date_from > self.date_to:
            found["date_to"] = "The end date is before the start date."
        if len(self.patient_text) > TEXT_LIMIT:
            found["patient_text"] = f"Search for at most {TEXT_LIMIT} characters."
        if len(self.detail_text) > TEXT_LIMIT:
            found["detail_text"] = f"Search for at most {TEXT_LIMIT} characters."
        return found

    def describe(self, user_label: str | None = None) -> str:
        """The filter in words, for the audit event that records a view of the trail."""
        parts = []
        if self.date_from or self.date_to:
            start = self.date_from.isoformat() if self.date_from else "the start"
            end = self.date_to.isoformat() if self.date_to else "today"
            parts.append(f"from {start} to {end}")
        if self.user_id is not None:
            parts.append(f"user {user_label or '#' + str(self.user_id)}")
        elif self.actor:
            parts.append(f"user {self.actor}")
        for name, value in (("action", self.action), ("entity", self.entity)):
            if value:
                parts.append(f"{name} {value}")
        if self.patient_text.strip():
            parts.append(f"patient “{self.patient_text.strip()}”")
        if self.detail_text.strip():
            parts.append(f"detail contains “{self.detail_text.strip()}”")
        return "; ".join(parts) if parts else "all events"


@dataclass(frozen=True)
class AuditRow:
    """One event as the trail lists it: who by name, the patient by name and MRN."""

    id: int
    at: datetime
    user: str           # the app user's full name, else the actor (e.g. "os:alice")
    action: str
    entity: str
    entity_id: int | None
    patient: str        # "Family, Given (MRN)", or "" when the event concerns no patient
    detail: str


@dataclass(frozen=True)
class AuditPage:
    """A page of rows, how many events the filter matches in all, and the newest event id seen."""

    rows: list[AuditRow]
    total: int
    up_to_id: int


@dataclass(frozen=True)
class UserChoice:
    """An entry of the screen's user combo: an app user (``user_id``) or a bare actor."""

    label: str
    user_id: int | None = None
    actor: str | None = None


def patient_label(family: str | None, given: str | None, mrn: str | None) -> str:
    return f"{family}, {given} ({mrn})" if mrn else ""
