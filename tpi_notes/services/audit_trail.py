"""The audit-trail screen's actions: list a page of events, the filter choices, export to CSV.

Looking at the trail and exporting it are themselves audit events (clinical-reference §8.3): the first page
of a filter (offset 0) records a "view" of entity "audit_trail", the export an "export". Both need
Permission.VIEW_AUDIT (the admin role, and the command line).
"""

from __future__ import annotations

import csv
import os
from dataclasses import replace
from pathlib import Path

from tpi_notes import open_databases
from tpi_notes.atomic_output import atomic_file
from tpi_notes.db.models import AuditEvent
from tpi_notes.db.repositories import audit
from tpi_notes.db.repositories import audit_query as repo
from tpi_notes.domain.audit_query import SORT_KEYS, AuditFilter, AuditPage, UserChoice
from tpi_notes.domain.csv_cells import safe_cell
from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.numbers import plural
from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext

PAGE_SIZE = 200
MAX_PAGE = 2000
ENTITY = "audit_trail"


def _check(flt: AuditFilter, sort_key: str = "time") -> None:
    problems = flt.problems()
    if sort_key not in SORT_KEYS:
        problems["sort_key"] = f"Sort by one of {', '.join(SORT_KEYS)}."
    if problems:
        raise ValidationError(problems)


def list_events(ctx: AppContext, flt: AuditFilter, sort_key: str = "time", descending: bool = True,
                offset: int = 0, limit: int = PAGE_SIZE) -> AuditPage:
    """Events ``offset`` … ``offset + limit`` of the trail matching ``flt``, sorted by ``sort_key``.

    The page reports ``up_to_id``, the newest event it considered; pass the filter back with that
    ``up_to_id`` for the next pages so that events added meanwhile do not shift them. The first page
    (offset 0) is recorded as a view of the trail, after the read (so it is not part of its own page).
    """
    ctx.require(Permission.VIEW_AUDIT)
    _check(flt, sort_key)
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise ValidationError({"limit": f"Ask for 1 to {MAX_PAGE} events from offset 0 or later."})
    with ctx.read() as s:
        # One read transaction is a consistent snapshot already; up_to_id holds it across later pages.
        up_to_id = flt.up_to_id if flt.up_to_id is not None else repo.newest_id(s)
        rows = repo.page(s, flt, sort_key, descending, offset, limit)
        total = repo.count(s, flt)
        if offset == 0:
            who = repo.user_name(s, flt.user_id) if flt.user_id is not None else None
            order = "descending" if descending else "ascending"
            noun = "event" if total == 1 else "events"
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="view", entity=ENTITY,
                         detail=f"{flt.describe(who)}; sorted by {sort_key} {order}; {total} {noun}")
        return AuditPage(rows, total, up_to_id)


def action_choices(ctx: AppContext) -> list[str]:
    """The actions the trail holds (view, create, change, sign, …), alphabetically."""
    ctx.require(Permission.VIEW_AUDIT)
    with ctx.read() as s:
        return repo.distinct_values(s, AuditEvent.action)


def entity_choices(ctx: AppContext) -> list[str]:
    """The kinds of record the trail names (patient, session, addendum, user, …), alphabetically."""
    ctx.require(Permission.VIEW_AUDIT)
    with ctx.read() as s:
        return repo.distinct_values(s, AuditEvent.entity)


def user_choices(ctx: AppContext) -> list[UserChoice]:
    """App users by name, then the actors without an app user (the command line's ``os:<login>``)."""
    ctx.require(Permission.VIEW_AUDIT)
    with ctx.read() as s:
        return repo.user_choices(s)


def _writable_target(path: Path) -> None:
    if path.is_dir():
        raise TpiError(f"Cannot write {path}: it is a folder.")
    if not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
        raise TpiError(f"Cannot write {path}: the folder {path.parent} does not exist or is not writable.")


def export_events_csv(ctx: AppContext, flt: AuditFilter, path: str | Path) -> int:
    """Write the events matching ``flt`` to ``path`` as CSV (UTF-8 with BOM) in chain order; returns the count.

    Every cell goes through ``safe_cell`` (a spreadsheet never runs a formula from the trail); the
    prev_hash and hash columns let the chain be checked outside the app. Rows stream a batch at a time
    into a temporary file that replaces ``path`` only when complete, in the same transaction as the
    "export" audit event: the file is written whole with its event, or neither.
    """
    ctx.require(Permission.VIEW_AUDIT)
    _check(flt)
    out = Path(path).expanduser()
    _writable_target(out)
    open_databases.refuse_as_target(out)  # never over the database (or its -wal) being read
    placed = False
    try:
        with ctx.read() as s:  # a long export never holds the write lock; its event is appended as it ends
            snapshot = replace(flt, up_to_id=flt.up_to_id if flt.up_to_id is not None else repo.newest_id(s))
            written = 0
            with atomic_file(out, "w", encoding="utf-8-sig", newline="") as fh:  # placed whole, or not at all
                writer = csv.writer(fh)
                writer.writerow(repo.EXPORT_COLUMNS)
                for values in repo.export_rows(s, snapshot):
                    writer.writerow([safe_cell(v) for v in values])
                    written += 1
                who = repo.user_name(s, flt.user_id) if flt.user_id is not None else None
                audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="export", entity=ENTITY,
                             detail=f"{plural(written, 'event')} ({flt.describe(who)}) to {out}")
            placed = True
    except OSError as exc:
        if placed:
            out.unlink(missing_ok=True)
        raise TpiError(f"Cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        if placed:  # the file without its audit event would be an unrecorded export
            out.unlink(missing_ok=True)
        raise
    return written
