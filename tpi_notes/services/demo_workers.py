"""The demo's sessions made in worker processes, written by the one process that holds the transaction (issue 19).

Making a session (its draws, the app's safety rules, the signing hash, the stored CSV row) is nearly all of a demo's
time, and it needs nothing from the database: the demo builder reads the staff, formulary and lots once, hands them
to the workers as plain data (:class:`SessionPlan`), and gives each worker a run of patients with their session
count and first session id (:func:`session_makers`). A worker returns the chunk's rows already packed for the driver
(db/bulk_writer.RowPacker); the builder writes chunks in patient order, so the rows, their ids and the audit chain
are what one process would have written. Each patient's sessions come from a random stream of their own
(demo_sessions.patient_stream) and every id follows from the session id, so the clinic is the same whatever the
number of processes.

Workers are started with ``spawn`` (a fresh interpreter; never a fork of a process holding Qt or an open SQLite
connection). A frozen app bundle, a small demo or a database other than SQLite is made in one process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tpi_notes.db.models import (
    Addendum,
    Preparation,
    PreparationComponent,
    PriorResponse,
    ProcedureSession,
    SessionDiagnosis,
    SessionExportRow,
    SessionFinding,
    SessionScale,
    Site,
)
from tpi_notes.services.demo_export_rows import ExportLookups, ExportRowMaker

SESSION_TABLES = (ProcedureSession, SessionDiagnosis, Preparation, PreparationComponent, Site, SessionFinding,
                  Addendum, SessionScale, PriorResponse, SessionExportRow)

# (patient, how many sessions, the first one's id), in patient order
Work = Sequence[tuple[Any, int, int]]


@dataclass(frozen=True)
class SessionPlan:
    """Everything a worker needs besides the patients: plain, picklable data read once by the builder."""

    seed: int
    item_ids: dict[str, int]
    lots: dict[str, list[tuple[int, str, date, date]]]
    staff: dict[str, list[int]]
    end: date
    years: int
    letterhead: dict[str, Any]
    exports: ExportLookups
    dialect: type | None = None  # the database dialect's class when rows come back packed (SQLite)


@dataclass
class Chunk:
    """One run of patients' rows: per table, the packed (statement, parameters) or the row dicts."""

    tables: dict[type, Any]
    sites: int = 0
    signed: int = 0
    drafts: int = 0
    addenda: int = 0
    newest_signed: dict[int, tuple[datetime, int]] = field(default_factory=dict)


class ChunkMaker:
    """Makes chunks of sessions in one process: a worker's, or the builder's own when it works alone."""

    def __init__(self, plan: SessionPlan) -> None:
        from tpi_notes.anatomy import load_atlas
        from tpi_notes.db.bulk_writer import RowPacker
        from tpi_notes.services.demo_sessions import SessionMaker

        self.maker = SessionMaker(plan.seed, load_atlas(), plan.item_ids, plan.lots, plan.staff, plan.end,
                                  plan.years, letterhead=plan.letterhead)
        self.exports = ExportRowMaker(plan.exports)
        self.packer = RowPacker(plan.dialect()) if plan.dialect is not None else None

    def make(self, work: Work) -> Chunk:
        tables: dict[type, list[dict]] = {m: [] for m in SESSION_TABLES}
        chunk = Chunk(tables)
        maker = self.maker
        maker.newest_signed = {}
        for patient, n, first_id in work:
            for record in maker.patient_sessions(patient, n, first_id):
                for model, rows in record.items():
                    tables[model].extend(rows)
                tables[SessionExportRow].extend(self.exports.rows(
                    {m.__tablename__: rows for m, rows in record.items()}, patient.row,
                    maker.doses.get(record[ProcedureSession][0]["id"])))
                chunk.sites += len(record[Site])
                chunk.addenda += len(record[Addendum])
                if record[ProcedureSession][0]["status"] == "signed":
                    chunk.signed += 1
                else:
                    chunk.drafts += 1
        chunk.newest_signed = dict(maker.newest_signed)
        if self.packer is not None:
            chunk.tables = {m: self.packer.pack(m.__table__, rows) if rows else None for m, rows in tables.items()}
        return chunk


def processes_for(sessions: int, packs: bool, asked: int | None, *, smallest: int) -> int:
    """How many workers: ``asked`` if given, else one per core for a demo of ``smallest`` sessions or more."""
    if not packs or getattr(sys, "frozen", False) or not sys.executable:
        return 1  # rows as dicts (PostgreSQL) stay in this process; a frozen bundle has no Python to start
    if asked is not None:
        return max(1, asked)
    if sessions < smallest:
        return 1  # starting a worker (a fresh interpreter and its imports) costs more than it saves
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, 4))


@contextmanager
def session_makers(plan: SessionPlan, processes: int) -> Iterator[Callable[[list[Work], Callable[[Chunk], None]], None]]:
    """A function that makes every chunk and hands each to its ``write`` in order. Workers are started here, so
    the caller can start them early (their interpreters and imports overlap its own work) and they end with the
    block, an error included."""
    if processes <= 1:
        def alone(chunks: list[Work], write: Callable[[Chunk], None]) -> None:
            maker = ChunkMaker(plan)
            for work in chunks:
                write(maker.make(work))
        yield alone
        return
    # A worker that dies (or cannot start: a caller's main script without the `if __name__ == "__main__"` guard
    # that ``spawn`` needs) breaks the pool with an error rather than leaving the build waiting for it.
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(plan,))
    try:
        for _ in range(processes):
            pool.submit(int)  # every worker started now, not at the first chunk
        def pooled(chunks: list[Work], write: Callable[[Chunk], None]) -> None:
            for chunk in pool.map(_make_in_worker, chunks):
                write(chunk)
        yield pooled
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_WORKER: ChunkMaker | None = None


def _start_worker(plan: SessionPlan) -> None:
    global _WORKER
    _WORKER = ChunkMaker(plan)


def _make_in_worker(work: Work) -> Chunk:
    assert _WORKER is not None
    return _WORKER.make(work)
