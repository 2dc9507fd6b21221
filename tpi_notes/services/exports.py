"""Exporting the session history (product.md §8): CSV, JSON Lines or a FHIR R4 Bundle, streamed.

The sessions a ``HistoryFilter`` matches (the history browser's filter, so "export what I see" is exact) are
read and written 500 at a time in the order performed, never held whole: memory stays flat whatever the range.
Every session is dosed at its patient's weight and coded by the rules of its date, as its note is. A CSV export
writes a signed session from its row stored at signing (issue 19, ``stored_export_rows``): one streamed query
gives each session with its stored row, the live physician and signer names go between its two parts, and only
drafts (and rows missing or made under another format or payer profile) are worked out here, then stored for the
next export. Large JSON Lines exports share the work with helper processes (``export_helpers``). One audit event
records the export (format, filter, count; never a patient's name).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from sqlalchemy.exc import SQLAlchemyError

from tpi_notes import open_databases
from tpi_notes.atomic_output import atomic_file
from tpi_notes.db.repositories import audit, export_rows, reference, stored_export_rows
from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.export_csv import CsvWriter, csv_row, encode_cells, live_cells, stored_parts
from tpi_notes.domain.export_fhir import FhirBundleWriter
from tpi_notes.domain.export_jsonl import JsonLinesWriter
from tpi_notes.domain.export_records import ExportRecord, export_record
from tpi_notes.domain.history import HistoryFilter
from tpi_notes.domain.permissions import Permission
from tpi_notes.services import export_helpers
from tpi_notes.services.context import AppContext

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FORMATS = {"csv": "CSV", "jsonl": "JSON Lines", "fhir": "FHIR R4 Bundle"}
SUFFIXES = {"csv": ".csv", "jsonl": ".jsonl", "fhir": ".json"}
# Helper processes pay about a second to start: worth it from a few tens of thousands of sessions on.
PARALLEL_FROM = 20_000
MAX_HELPERS = 2
# Rows an export worked out for signed sessions and stores afterwards, at most (held until the read ends).
STORE_AT_MOST = 20_000
# CSV rows to work out (drafts, rows not stored) are read together: this many at once, or when this many rows wait.
WORK_OUT_AT = 500
HOLD_AT_MOST = 4_000


@dataclass(frozen=True)
class ExportSummary:
    fmt: str
    sessions: int
    bytes: int


class _Writer(Protocol):
    def begin(self) -> bytes: ...
    def rows(self, records: list[ExportRecord]) -> bytes: ...
    def end(self) -> bytes: ...


def describe_filter(flt: HistoryFilter) -> str:
    """The filter in words for the audit trail: ids and codes only, never a patient's name or search text."""
    parts = []
    if flt.date_from:
        parts.append(f"from {flt.date_from.isoformat()}")
    if flt.date_to:
        parts.append(f"to {flt.date_to.isoformat()}")
    for label, value in (("status", flt.status), ("technique", flt.technique), ("agent", flt.agent),
                         ("muscle", flt.muscle_id), ("physician id", flt.physician_id),
                         ("patient id", flt.patient_id)):
        if value is not None and value != "":
            parts.append(f"{label} {value}")
    if flt.patient_text.strip():
        parts.append("a patient search")
    if flt.lot_number.strip():
        parts.append(f"lot {flt.lot_number.strip()}")
    return ", ".join(parts) or "all sessions"


def _writer(fmt: str, clinic: str, zone: tzinfo | None) -> _Writer:
    if fmt == "csv":
        return CsvWriter()
    if fmt == "jsonl":
        return JsonLinesWriter(zone)
    return FhirBundleWriter(clinic, datetime.now(), zone)


def _write(out: BinaryIO, chunk: bytes) -> int:
    out.write(chunk)
    return len(chunk)


def _helpers(ctx: AppContext, fmt: str, total: int, workers: int | None) -> int:
    """How many helper processes to use: none for CSV (its signed rows are stored) or FHIR, small exports, one
    core or an in-memory database."""
    if fmt in ("csv", "fhir"):
        return 0
    if workers is not None:
        return workers
    shared = ctx.database_path is not None or not ctx.url.startswith("sqlite")  # not an in-memory database
    cores = os.cpu_count() or 1
    if not (shared and export_helpers.available() and cores >= 2 and total >= PARALLEL_FROM):
        return 0
    return min(cores, MAX_HELPERS)


def export_sessions(ctx: AppContext, fmt: str, out: BinaryIO, flt: HistoryFilter | None = None,
                    zone: tzinfo | None = None, workers: int | None = None) -> ExportSummary:
    """Write the sessions ``flt`` matches (all when None) to ``out`` in ``fmt`` ("csv", "jsonl" or "fhir").

    ``zone`` is the clinic's time zone for the UTC offsets of JSON Lines and FHIR times (default: this
    computer's). ``workers``: helper processes for JSON Lines (default: up to two when the export is large, see
    ``export_helpers``; 0 for none; CSV and FHIR always run in this process). Writes batch by batch; on an error part of the output may already
    be written (``export_to_file`` is all-or-nothing)."""
    ctx.require(Permission.EXPORT)
    if fmt not in FORMATS:
        raise ValidationError({"format": f"Choose one of {', '.join(FORMATS)} (not {fmt!r})."})
    flt = flt or HistoryFilter()
    problems = flt.problems()
    if problems:
        raise ValidationError(problems)
    written = 0
    sessions = 0
    worked_out: list[stored_export_rows.StoredRow] = []
    with ctx.read() as s:
        settings = reference.settings(s)
        helpers = _helpers(ctx, fmt, export_rows.count(s, flt) if workers is None and fmt == "jsonl" else 0,
                           workers)
        writer = _writer(fmt, settings.name, zone)
        written += _write(out, writer.begin())
        if fmt == "csv":
            for found, chunk in _csv_batches(s, flt, settings.estim_payer_profile, worked_out):
                written += _write(out, chunk)
                sessions += found
        elif helpers:
            ids = export_rows.ordered_ids(s, flt)
            for found, chunk in export_helpers.encoded_batches(ctx.url, fmt, zone, ids, helpers):
                written += _write(out, chunk)
                sessions += found
        else:
            formulary = {item.code: item for item in reference.list_items(s, include_retired=True)}
            for batch in export_rows.batches(s, flt):
                records = [export_record(x, formulary, settings.estim_payer_profile) for x in batch]
                written += _write(out, writer.rows(records))
                sessions += len(batch)
        written += _write(out, writer.end())
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="export", entity="session_history",
                     patient_id=flt.patient_id,
                     detail=f"{FORMATS[fmt]} export of {sessions} session{'s' if sessions != 1 else ''} "
                            f"({describe_filter(flt)}), {written} bytes")
    _store(ctx, worked_out)
    return ExportSummary(fmt, sessions, written)


def _csv_batches(s: Session, flt: HistoryFilter, profile: str, worked_out: list[stored_export_rows.StoredRow]
                 ) -> Iterator[tuple[int, bytes]]:
    """(sessions, bytes) chunk by chunk: a stored row is its head, the live names and its tail; any other session
    is read and worked out as before (``csv_row``), and a signed one's row is kept in ``worked_out`` to store.

    The sessions to work out (mostly drafts, a few per batch) are read together once WORK_OUT_AT of them are
    waiting, or HOLD_AT_MOST rows are held: reading them batch by batch cost 0.4 s more CPU at 100,000."""
    names = stored_export_rows.labels(s)
    middles: dict[tuple[int | None, int | None], str] = {}
    computed: list = []  # the lookups and formulary, read at the first session to work out
    lines: list[str | None] = []
    missing: dict[int, int] = {}  # session id → its place in ``lines``
    for batch in stored_export_rows.ordered(s, flt, profile):
        for sid, physician, signer, head, tail in batch:
            if head is None:
                missing[sid] = len(lines)
                lines.append(None)
                continue
            middle = middles.get((physician, signer))
            if middle is None:
                middle = middles[physician, signer] = live_cells(names.get(physician, "") if physician else "",
                                                                 names.get(signer, "") if signer else "")
            lines.append(f"{head},{middle},{tail}\r\n")
        if len(missing) >= WORK_OUT_AT or len(lines) >= HOLD_AT_MOST:
            yield _worked_out(s, lines, missing, profile, computed, worked_out)
            lines, missing = [], {}
    if lines:
        yield _worked_out(s, lines, missing, profile, computed, worked_out)


def _worked_out(s: Session, lines: list[str | None], missing: dict[int, int], profile: str, computed: list,
                worked_out: list[stored_export_rows.StoredRow]) -> tuple[int, bytes]:
    """``lines`` with the sessions in ``missing`` worked out, as (sessions, bytes)."""
    if missing:
        if not computed:
            computed += [export_rows.lookups(s), {item.code: item for item in
                                                  reference.list_items(s, include_retired=True)}]
        ids = list(missing)
        for start in range(0, len(ids), export_rows.BATCH):
            for x in export_rows.load(s, ids[start:start + export_rows.BATCH], computed[0]):
                cells = csv_row(export_record(x, computed[1], profile))
                lines[missing[x.id]] = encode_cells(cells) + "\r\n"
                if stored_export_rows.storable(x) and len(worked_out) < STORE_AT_MOST:
                    worked_out.append(stored_export_rows.StoredRow(x.id, profile, *stored_parts(cells)))
    done = [line for line in lines if line is not None]
    return len(done), "".join(done).encode("utf-8")


def _store(ctx: AppContext, rows: list[stored_export_rows.StoredRow]) -> None:
    """Keep the signed rows this export worked out for the next one. Only a cache: if the database cannot take
    them now (busy, read-only), the next export works them out again."""
    if not rows:
        return
    try:
        with ctx.transaction() as s:
            for start in range(0, len(rows), stored_export_rows.BATCH):
                stored_export_rows.store(s, rows[start:start + stored_export_rows.BATCH], over_current=False)
    except (TpiError, SQLAlchemyError):
        pass


def export_to_file(ctx: AppContext, fmt: str, path: Path, flt: HistoryFilter | None = None,
                   zone: tzinfo | None = None, workers: int | None = None) -> ExportSummary:
    """Export to ``path``, whole or not at all: written to ``.NAME.partial`` beside it, fsynced, then renamed
    over ``path`` (atomic_output); a leftover from a killed export is removed first."""
    ctx.require(Permission.EXPORT)
    path = Path(path).expanduser()
    if path.is_dir() or not path.parent.is_dir():
        why = "it is a folder" if path.is_dir() else f"the folder {path.parent} does not exist"
        raise TpiError(f"Cannot write {path}: {why}.")
    open_databases.refuse_as_target(path)  # never over the database (or its -wal) being read
    try:
        with atomic_file(path, "wb") as fh:
            summary = export_sessions(ctx, fmt, fh, flt, zone, workers)
    except OSError as exc:
        raise TpiError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    return summary
