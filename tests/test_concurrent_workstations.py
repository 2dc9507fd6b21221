"""Workstations saving and reading at the same moment, each in a process of its own (issue 12, part 2).

Whatever the timing, on SQLite (one file shared by the workstations) and on PostgreSQL:
- the audit trail stays one unbroken chain (`verify` passes), with exactly one event per view and per save;
- no update is lost: every save either committed on top of the version it opened, or was refused with the
  clear ConcurrentEditError ("…another workstation… reload"), never a raw driver or ORM error;
- a session read while others save it is whole (never half of one save and half of another).

The PostgreSQL cases run only when ``TPI_NOTES_PG_URL`` names a server (as tests/test_postgres.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS
from sqlalchemy import create_engine, event, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from test_report_support import add_patient, save_session, setup_clinic

from tpi_notes.db.models import Patient
from tpi_notes.domain.errors import ConcurrentEditError, DatabaseBusyError
from tpi_notes.services import drafts, integrity, patients, sessions
from tpi_notes.services.context import AppContext, open_clinic

TESTS = Path(__file__).resolve().parent
PG_URL = os.environ.get("TPI_NOTES_PG_URL", "")
CYCLES = 40
START = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import workstation_worker; workstation_worker.main()"
# Alone, after the rest of the suite (.ci/pytest-phases.sh): the waits of several processes are what it measures.
pytestmark = pytest.mark.serial


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new clinic database: an SQLite file, or a database of its own on the PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "shared.sqlite")
        return
    if not PG_URL:
        pytest.skip("PostgreSQL cases need TPI_NOTES_PG_URL (see tests/test_postgres.py)")
    name = f"tpi_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def clinic(url: str) -> Iterator[tuple[AppContext, list[int]]]:
    """The clinic and two saved draft sessions of one patient."""
    ctx = open_clinic(url, principal=ALL_PERMISSIONS)
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx).id
    yield ctx, [save_session(ctx, patient, doctor, 2), save_session(ctx, patient, doctor, 3)]
    ctx.close()


def _run_together(url: str, jobs: list[tuple[str, int, str]]) -> list[dict]:
    """Start one process per (mode, session, tag), wait until every one has opened the clinic, let them all go at
    once, and collect what each reports."""
    procs = [subprocess.Popen([sys.executable, "-c", START, url, mode, str(sid), str(CYCLES), tag],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for mode, sid, tag in jobs]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", proc.stderr.read()[-2000:]
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert [p.returncode for p in procs] == [0] * len(procs), [err[-2000:] for _out, err in outputs]
    return [json.loads(out.strip().splitlines()[-1]) for out, _err in outputs]


def _rows(ctx: AppContext, sql: str, **params: object) -> list[tuple]:
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def _chain_breaks(ctx: AppContext) -> int:
    """Audit events whose previous hash is not the hash of the event just before them."""
    rows = _rows(ctx, "SELECT prev_hash, hash FROM audit_event ORDER BY id")
    return sum(1 for before, row in zip(rows, rows[1:], strict=False) if row[0] != before[1])


def _check(ctx: AppContext, jobs: list[tuple[str, int, str]], results: list[dict], events_before: int) -> None:
    raw = [e for r in results for e in r["raw"]]
    busy = [e for r in results for e in r["busy"]]
    torn = [t for r in results for t in r["torn"]]
    committed = sum(len(r["committed"]) for r in results)
    refused = sum(r["refused"] for r in results)
    reads = sum(r["reads"] for r in results)
    events = _rows(ctx, "SELECT count(*) FROM audit_event")[0][0] - events_before
    breaks = _chain_breaks(ctx)
    print(f"\n{ctx.engine.dialect.name}: {committed} saved, {refused} refused clearly, {len(raw)} raw errors, "
          f"{len(busy)} busy, {len(torn)} torn reads, {events} audit events ({reads} views + {committed} saves expected), "
          f"{breaks} chain breaks")
    assert raw == [], f"{len(raw)} raw errors instead of a clear refusal, e.g. {raw[:3]}"
    # A workstation that kept losing SQLite's write lock for three busy timeouts in a row is told plainly that
    # nothing was saved (DatabaseBusyError): neither lost nor raw, but it should stay the odd exception.
    assert len(busy) <= max(1, reads // 100), f"{len(busy)} actions gave up waiting (seconds waited: {busy[:5]})"
    assert torn == [], f"{len(torn)} torn reads, e.g. {torn[:3]}"
    assert breaks == 0, f"{breaks} audit events do not link to the one before them"
    assert events == reads + committed, "one audit event per view and per committed save"
    for sid in {sid for _mode, sid, _tag in jobs}:
        saves = sorted((c for (mode, s, _t), r in zip(jobs, results, strict=True) if s == sid
                        for c in r["committed"]), key=lambda c: c[1])
        lost = [c for c in saves if c[1] != c[0] + 1]
        assert lost == [], f"saves committed over a version they had not opened (lost updates): {lost[:3]}"
        version, comments = _rows(ctx, "SELECT row_version, comments FROM procedure_session WHERE id = :s", s=sid)[0]
        if saves:
            assert [c[1] for c in saves] == list(range(saves[0][1], saves[-1][1] + 1))
            assert (version, comments) == (saves[-1][1], saves[-1][2]), "the last committed save is what is stored"
    report = integrity.verify_database(ctx)
    assert report.ok and not report.audit_problems, report.audit_problems[:3]


def test_two_workstations_opening_and_saving_one_session(clinic: tuple[AppContext, list[int]], url: str) -> None:
    ctx, (sid, _other) = clinic
    before = _rows(ctx, "SELECT count(*) FROM audit_event")[0][0]
    jobs = [("save", sid, "front"), ("save", sid, "back")]
    results = _run_together(url, jobs)
    _check(ctx, jobs, results, before)
    assert sum(r["refused"] + len(r["committed"]) + len(r["busy"]) for r in results) == 2 * CYCLES
    assert sum(len(r["committed"]) for r in results) >= CYCLES // 2, "the race let saves through"
    # Which workstation wins each round is the scheduler's choice: two processes in lockstep can leave one of them
    # refused every time (seen on PostgreSQL in CI). What a refused user relies on is that reloading and saving
    # again then works, with nothing left locked by the race.
    for tag in ("front", "back"):
        draft = drafts.get_draft(ctx, sid)
        saved = drafts.save_draft(ctx, replace(draft, comments=f"{tag}-after"))
        assert saved.row_version == draft.row_version + 1
    assert integrity.verify_database(ctx).ok


def test_workstations_saving_their_own_sessions_while_another_reads(clinic: tuple[AppContext, list[int]],
                                                                    url: str) -> None:
    """Two rooms save different sessions while a third keeps opening one of them (a print loop, an audited
    read): every save of an own session commits, and every read is whole."""
    ctx, (first, second) = clinic
    before = _rows(ctx, "SELECT count(*) FROM audit_event")[0][0]
    jobs = [("save", first, "room1"), ("save", second, "room2"), ("read", first, "desk")]
    results = _run_together(url, jobs)
    _check(ctx, jobs, results, before)
    assert [len(r["committed"]) + len(r["busy"]) for r in results[:2]] == [CYCLES, CYCLES]


# -- one race at a time, at the worst moment ---------------------------------------------------------------------

@pytest.mark.parametrize("open_it", [sessions.get_session, drafts.get_draft], ids=["view", "editor"])
def test_a_session_read_while_another_workstation_saves_it_is_whole(clinic: tuple[AppContext, list[int]], url: str,
                                                                    open_it: Callable) -> None:
    """The other workstation's save commits after the reader has read the session's row and before it reads the
    sites: the reader gets the session as it was, whole, and the next read gets the new one."""
    ctx, (sid, _other) = clinic
    other = open_clinic(url, principal=ALL_PERMISSIONS)
    opened = drafts.get_draft(other, sid)
    statements: list[object] = []

    def save_in_between(_state: object) -> None:
        statements.append(_state)
        if len(statements) == 2:  # the session's row is read, its syringes and sites are not yet
            drafts.save_draft(other, replace(opened, comments="new", sites=tuple(replace(x, note="new")
                                                                                for x in opened.sites)))

    event.listen(ctx.factory, "do_orm_execute", save_in_between)
    try:
        record = open_it(ctx, sid)
    finally:
        event.remove(ctx.factory, "do_orm_execute", save_in_between)
        other.close()
    assert len(statements) > 2
    assert (record.comments, {x.note for x in record.sites}) == (opened.comments, {opened.comments})
    again = open_it(ctx, sid)
    assert (again.comments, {x.note for x in again.sites}) == ("new", {"new"})
    assert integrity.verify_database(ctx).ok


def test_a_lost_race_reaches_the_user_as_the_clear_refusal(clinic: tuple[AppContext, list[int]]) -> None:
    """The ORM's own row-version check (UPDATE … WHERE row_version = …) is the last line: when it finds the row
    saved by someone else, the user reads "another workstation … reload", not SQLAlchemy's StaleDataError."""
    ctx, _sessions = clinic
    patient = patients.search_patients(ctx, "")[0].id
    with pytest.raises(ConcurrentEditError, match="(?i)another workstation.*reload"), ctx.transaction() as s:
        row = s.get(Patient, patient)
        assert row is not None
        s.execute(update(Patient).where(Patient.id == patient).values(row_version=Patient.row_version + 1)
                  .execution_options(synchronize_session=False))  # as if saved elsewhere meanwhile
        row.given_name = "Lost"
    assert patients.get_patient(ctx, patient).given_name != "Lost"


def test_a_write_lock_held_too_long_is_a_clear_busy_message_and_reads_go_on(db_path: Path) -> None:
    """Another process holds SQLite's write lock longer than the busy timeout: a save is refused with a plain
    "busy, nothing was saved" (not "database is locked"), and reading the record meanwhile is not held up."""
    ctx = open_clinic(str(db_path), principal=ALL_PERMISSIONS)
    ctx.engine.dispose()
    event.listen(ctx.engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=50"))
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseBusyError, match="busy.*nothing was saved"):
            add_patient(ctx)
        assert patients.count_patients(ctx) == 0  # a read: its snapshot needs no lock
        holder.execute("ROLLBACK")
        assert add_patient(ctx).mrn == "P-100"
    finally:
        holder.close()
        ctx.close()
