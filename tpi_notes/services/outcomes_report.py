"""The clinic outcomes report's actions (issue 17 item 4): load a grouping's daily sums, export the report as CSV.

Viewing is for physicians and administrators (``Permission.VIEW_OUTCOMES``). The report holds counts and means by
muscle group, agent or technique, never a patient, so looking at it is not an audit event; its CSV export is one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from tpi_notes.atomic_output import atomic_file
from tpi_notes.db.repositories import audit
from tpi_notes.db.repositories.outcomes_report import aggregates
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.outcomes_report import BY, OutcomeCube, Sums, muscle_groups, report_csv
from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext

FIRST = datetime(1900, 1, 1)
LAST = datetime(9999, 1, 1)


def _repository_key(by: str) -> str:
    if by not in BY:
        raise ValidationError({"by": f"Group by one of: {', '.join(BY.values())}."})
    return "muscle" if by == "muscle_group" else by


def outcome_cube(ctx: AppContext, by: str) -> OutcomeCube:
    """Every recorded response's daily sums for grouping ``by`` (one aggregate query; the date range is applied
    to the result, so changing it asks the database nothing)."""
    ctx.require(Permission.VIEW_OUTCOMES)
    key = _repository_key(by)
    with ctx.read() as s:
        rows = aggregates(s, key, FIRST, LAST)
    cells: dict[tuple[str, date], Sums] = {}
    for k, day, *sums in rows:
        cells[(k, day)] = cells.get((k, day), Sums()) + Sums(*sums)
    if by == "muscle_group":
        muscle_groups()  # every atlas read now, with the load, not at the first date change
    return OutcomeCube(by, cells)


def export_report_csv(ctx: AppContext, by: str, start: date, end: date, target: Path) -> int:
    """Write the report for ``start``..``end`` to ``target`` (whole or not at all); audited. Returns its rows."""
    ctx.require(Permission.VIEW_OUTCOMES)
    if end < start:
        raise ValidationError({"date_to": "The end date is before the start date."})
    key = _repository_key(by)
    with ctx.read() as s:
        rows = aggregates(s, key, datetime.combine(start, datetime.min.time()),
                          datetime.combine(end + timedelta(days=1), datetime.min.time()))
        cells: dict[tuple[str, date], Sums] = {}
        for k, day, *sums in rows:
            cells[(k, day)] = cells.get((k, day), Sums()) + Sums(*sums)
        report = OutcomeCube(by, cells).rows(start, end)
        with atomic_file(target) as out:  # owner-only, whole or not at all
            out.write(report_csv(report))
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="export", entity="outcomes",
                     detail=f"clinic outcomes by {BY[by].lower()}, {start.isoformat()} to {end.isoformat()}, "
                            f"{len(report)} rows, CSV")
    return len(report)
