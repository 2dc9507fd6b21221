"""Open vials (clinical-reference §9.3): which vial the syringe row may offer, and why one is refused.

A multi-dose vial, once punctured, is used within 28 days of opening (USP <797>, CDC injection safety) and never
past its lot's expiry, whichever comes first: up to and including the moment 28 × 24 hours after it was recorded
opened, and through the lot's expiry day. A single-dose vial is for one patient and one procedure, so it is offered
to the patient it was opened for and to no one else, and for that procedure only: within 12 hours of opening
(USP <797>'s longest use of a punctured single-dose vial), and, when the procedure's start is known, only to a
procedure that started no more than an hour before the vial was opened (``SINGLE_DOSE_LEAD``: the vial may be drawn
up while the patient settles, before the start written in the note; a start still to come counts as now), so never
at the same patient's next session, later the same day or at the next visit. The room is the session's location as typed ("Procedure room 1"),
compared without case or extra spaces; an empty room is the clinic's one unnamed room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

BEYOND_USE_DAYS = 28
SINGLE_DOSE_HOURS = 12
SINGLE_DOSE_LEAD = timedelta(hours=1)  # a single-dose vial opened up to this long before its procedure's start
SOURCE = "Multi-dose vials: 28 days after opening (USP <797>, CDC; clinical-reference §9.3)"


def room_key(text: str) -> str:
    """The room as compared: "Procedure  Room 1 " and "procedure room 1" are one room."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class OpenVial:
    id: int
    item_code: str
    item_name: str
    lot_number: str
    expiry: date
    ndc: str
    room: str
    opened_at: datetime
    opened_by: str
    single_dose: bool
    serial: str = ""
    patient_id: int | None = None

    @property
    def beyond_use_at(self) -> datetime:
        return self.opened_at + timedelta(days=BEYOND_USE_DAYS)

    def use_until(self) -> str:
        """"use until 2026-12-31 08:10", or the lot's expiry when it comes first (the date to write on the vial)."""
        if self.single_dose:
            return "single-dose: this procedure only"
        if self.expiry < self.beyond_use_at.date():
            return f"use until {self.expiry.isoformat()} (lot expiry)"
        return f"use until {self.beyond_use_at:%Y-%m-%d %H:%M}"

    def label(self, today: date | None = None) -> str:
        """"lot LID-A1, opened today 08:10 by Ben Ruiz" (the offer's words; the date when not ``today``)."""
        day = "today" if self.opened_at.date() == (today or date.today()) else f"{self.opened_at:%Y-%m-%d}"
        return f"lot {self.lot_number}, opened {day} {self.opened_at:%H:%M} by {self.opened_by}"


def vial_problem(vial: OpenVial, patient_id: int | None, at: datetime, *,
                 started: datetime | None = None) -> str | None:
    """Why ``vial`` may not be drawn from for this patient at ``at`` (in the procedure that ``started`` then, when
    known); None when it may."""
    what = f"The open vial of {vial.item_name} (lot {vial.lot_number})"
    if at.date() > vial.expiry:
        return f"{what}: the lot expired on {vial.expiry.isoformat()}; discard it and open a new vial."
    if vial.single_dose:
        if vial.patient_id != patient_id:
            return (f"{what} is a single-dose vial opened for another patient: it is for one patient only. "
                    "Open a new vial.")
        # a start still to come (a draft prepared ahead) counts as now: the vial opened now is for it
        earlier = started is not None and vial.opened_at < min(started, at) - SINGLE_DOSE_LEAD
        if earlier or at > vial.opened_at + timedelta(hours=SINGLE_DOSE_HOURS):
            return (f"{what} is a single-dose vial opened on {vial.opened_at:%Y-%m-%d %H:%M} for an earlier "
                    "procedure: it serves one procedure only. Open a new vial.")
        return None
    if at > vial.beyond_use_at:
        days = (at - vial.opened_at).days
        return (f"{what} was opened on {vial.opened_at:%Y-%m-%d %H:%M}, {days} days ago: a multi-dose vial is "
                f"used within {BEYOND_USE_DAYS} days of opening (until {vial.beyond_use_at:%Y-%m-%d %H:%M}). "
                "Discard it and open a new vial.")
    return None


def offers(vials: list[OpenVial], item_code: str, room: str, patient_id: int,
           at: datetime, *, started: datetime | None = None) -> tuple[list[OpenVial], list[str]]:
    """The item's vials open in ``room`` that may be used now (latest opened first), and why the others may not.

    A single-dose vial not for this procedure (another patient's, or this patient's from an earlier visit) is
    neither offered nor explained: nobody would expect it."""
    here = sorted((v for v in vials if v.item_code == item_code and room_key(v.room) == room_key(room)
                   and v.opened_at <= at), key=lambda v: v.opened_at, reverse=True)
    usable, refused = [], []
    for vial in here:
        problem = vial_problem(vial, patient_id, at, started=started)
        if problem is None:
            usable.append(vial)
        elif not vial.single_dose:
            refused.append(problem)
    return usable, refused
