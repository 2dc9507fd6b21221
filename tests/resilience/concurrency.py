"""Campaign (b): two processes saving at once, on SQLite and on PostgreSQL.

Three saved drafts: one both processes edit (``shared``) and one each (``own``). Each process, ``saves`` times:
opens a session as the editor does (``drafts.get_draft``, an audited read), gives it the content of a new save
(``common.with_content``) and saves it; half of the time the shared session, else its own. Between saves it reads
the other sessions (audited views) and now and then prints the shared note (an audited print). Every outcome goes
to its report file. Figures:

lost updates: a save reported OK that the record does not account for: two OK saves of a session returning the
  same row version, or one outside the versions the session went through; the final content not the one of the
  OK save with the final row version; or the audit trail holding another number of saves than the row version
  went up by.
raw errors: any exception that is not a ``TpiError`` (``StaleDataError``, ``OperationalError`` ...), on a save or a
  read; ``refused``: the saves refused with the project's own message (by type).
torn reads: a session read with content that is not one whole save (``common.is_torn``).
chain breaks: the audit events ``verify`` finds not linking or not matching their hash afterwards.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .common import (
    PRINCIPAL,
    Reporter,
    add_example,
    build_clinic,
    describe,
    pg_database_url,
    process_context,
    read_report,
    signable_draft,
    with_content,
)

PROCESSES = 2


@dataclass
class ConcurrencyFigures:
    backend: str
    saves: int = 0
    saved: int = 0
    refused: Counter = field(default_factory=Counter)
    raw_errors: Counter = field(default_factory=Counter)
    reads: int = 0
    prints: int = 0
    torn_reads: int = 0
    lost: int = 0
    chain_breaks: int = 0
    verify_ok: bool = False
    worker_failures: int = 0
    seconds: float = 0.0
    examples: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        add_example(self.examples, what, 12)


def run_sqlite(folder: Path, *, saves: int = 100, seed: int = 12) -> ConcurrencyFigures:
    folder.mkdir(parents=True, exist_ok=True)
    return _run("sqlite", str(folder / "concurrent.sqlite"), folder, saves, seed)


def run_postgres(server_url: str, folder: Path, *, saves: int = 100, seed: int = 12) -> ConcurrencyFigures:
    """In a new database on the server (``server_url``'s user may CREATE DATABASE), dropped afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    folder.mkdir(parents=True, exist_ok=True)
    name = f"tpi_resilience_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        return _run("postgresql", pg_database_url(server_url, name), folder, saves, seed)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _run(backend: str, url: str, folder: Path, saves: int, seed: int) -> ConcurrencyFigures:
    from sqlalchemy import text

    from tpi_notes.services import drafts, integrity
    from tpi_notes.services.context import open_clinic

    started = time.monotonic()
    figures = ConcurrencyFigures(backend)
    ctx = open_clinic(url, principal=PRINCIPAL)
    try:
        clinic = build_clinic(ctx, PROCESSES + 1)
        sessions = [drafts.save_draft(ctx, signable_draft(ctx, clinic, pid, f"start{n}", n))
                    for n, pid in enumerate(clinic.patient_ids)]
    finally:
        ctx.close()
    ids = [s.id for s in sessions]
    initial = {s.id: s.row_version for s in sessions}
    shared, own = ids[0], ids[1:]

    mp = process_context()
    go = mp.Event()
    reports = [folder / f"{backend}-{n}.tsv" for n in range(PROCESSES)]
    for report in reports:
        report.unlink(missing_ok=True)
    workers = [mp.Process(target=_work, args=(url, n, shared, own[n], ids, saves, seed * 1000 + n, str(reports[n]),
                                              go), daemon=True) for n in range(PROCESSES)]
    for worker in workers:
        worker.start()
    go.set()
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            figures.worker_failures += 1
            figures.note(f"a worker exited with {worker.exitcode}")

    ok: dict[int, list[tuple[int, str]]] = {sid: [] for sid in ids}
    for report in reports:
        for line in read_report(report):
            kind = line[0]
            if kind == "save":
                figures.saves += 1
            elif kind == "ok":
                figures.saved += 1
                ok[int(line[1])].append((int(line[2]), line[3]))
            elif kind == "refused":
                figures.refused[line[1]] += 1
            elif kind == "raw":
                figures.raw_errors[line[1]] += 1
                figures.note(f"raw error on {line[2]}: {line[3]}")
            elif kind == "read":
                figures.reads += 1
            elif kind == "print":
                figures.prints += 1
            elif kind == "torn":
                figures.torn_reads += 1
                figures.note(f"torn read of session {line[1]}: {line[2]}")
            elif kind == "fatal":
                figures.note(f"worker stopped: {line[1]}")

    ctx = open_clinic(url, principal=PRINCIPAL)
    try:
        with ctx.engine.connect() as conn:
            final = {sid: (version, comments) for sid, version, comments in conn.execute(text(
                "SELECT id, row_version, comments FROM procedure_session"))}
            changes = dict(conn.execute(text(
                "SELECT entity_id, count(*) FROM audit_event WHERE entity = 'session' AND action = 'change'"
                " GROUP BY entity_id")).all())
        for sid in ids:
            figures.lost += _lost(sid, initial[sid], final[sid], ok[sid], changes.get(sid, 0), figures)
        report = integrity.verify_database(ctx)
        figures.chain_breaks = len(report.audit_problems)
        figures.verify_ok = report.ok
        if report.audit_problems:
            figures.note(f"verify: {len(report.audit_problems)} audit problems, first {report.audit_problems[0]}")
    finally:
        ctx.close()
    figures.seconds = time.monotonic() - started
    return figures


def _lost(sid: int, initial: int, final: tuple[int, str], ok: list[tuple[int, str]], changes: int,
          figures: ConcurrencyFigures) -> int:
    """The OK saves of one session that its final state and history do not account for (module docstring)."""
    version, comments = final
    went_through = range(initial + 1, version + 1)
    accounted = {v for v, _c in ok if v in went_through}
    lost = len(ok) - len(accounted)
    if lost:
        figures.note(f"session {sid}: {len(ok)} saves reported OK for {len(accounted)} row versions")
    last = [c for v, c in ok if v == version]
    if last and comments not in last:
        lost += 1
        figures.note(f"session {sid}: holds {comments!r}, the OK save of version {version} wrote {last[0]!r}")
    if changes != version - initial:
        figures.note(f"session {sid}: row version went up {version - initial} times, the audit trail has "
                     f"{changes} saves")
        lost += abs(changes - (version - initial))
    return lost


def _work(url: str, number: int, shared: int, own: int, ids: list[int], saves: int, seed: int, report_path: str,
          go) -> None:  # noqa: ANN001 - an Event
    """One workstation: real service calls, every outcome reported."""
    from tpi_notes.services import documents, drafts
    from tpi_notes.services.context import open_clinic

    from .common import is_torn

    out = Reporter(Path(report_path))
    rng = random.Random(seed)

    def read(sid: int, why: str):  # noqa: ANN202 - a SessionDraft or None
        try:
            draft = drafts.get_draft(ctx, sid)
        except Exception as exc:  # noqa: BLE001 - counted
            out.line("refused" if isinstance(exc, TpiError) else "raw", type(exc).__name__, f"read ({why})",
                     describe(exc))
            return None
        out.line("read", sid)
        if is_torn(draft):
            out.line("torn", sid, draft.comments)
        return draft

    from tpi_notes.domain.errors import TpiError

    try:
        ctx = open_clinic(url, principal=PRINCIPAL)
        go.wait(60)
        for k in range(saves):
            sid = shared if rng.random() < 0.5 else own
            out.line("save", sid)  # an attempt: the editor opens the session, then saves it
            draft = read(sid, "before a save")
            if draft is not None:
                try:
                    saved = drafts.save_draft(ctx, with_content(draft, f"p{number}.{k}", number * 1_000_000 + k))
                except Exception as exc:  # noqa: BLE001 - counted
                    out.line("refused" if isinstance(exc, TpiError) else "raw", type(exc).__name__, "save",
                             describe(exc))
                else:
                    out.line("ok", sid, saved.row_version, saved.comments)
            for other in ids:
                if other != sid and rng.random() < 0.2:
                    read(other, "between saves")
            if rng.random() < 0.02:
                try:
                    documents.procedure_note_pdf(ctx, shared)
                except Exception as exc:  # noqa: BLE001 - counted
                    out.line("refused" if isinstance(exc, TpiError) else "raw", type(exc).__name__, "print",
                             describe(exc))
                else:
                    out.line("print", shared)
        ctx.close()
    except BaseException as exc:
        out.line("fatal", describe(exc))
        raise
