"""The same clinic on PostgreSQL (product.md §10): migrations, database locks, services, concurrency.

Runs only against a real server: set ``TPI_NOTES_PG_URL`` to a URL whose user may CREATE DATABASE
(``.ci/postgres.sh start`` starts a throwaway one and prints it). Each test works in a database of its own,
created empty and dropped afterwards. Where a question has one right answer on both databases (the history
browser, the audit trail, the exports of a demo clinic), the answer on PostgreSQL is compared with SQLite's.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from principals import ALL_PERMISSIONS
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import NullPool

from tpi_notes.db.migrate import current_revision, head_revision
from tpi_notes.db.models import Base, ProcedureSession
from tpi_notes.db.repositories import audit
from tpi_notes.domain.audit_query import SORT_KEYS as AUDIT_SORT_KEYS
from tpi_notes.domain.audit_query import AuditFilter
from tpi_notes.domain.errors import ConcurrentEditError, DatabaseOpenError
from tpi_notes.domain.history import SORT_KEYS, HistoryFilter, Sort
from tpi_notes.domain.patient import PatientInput
from tpi_notes.domain.signing import OUTCOMES_CONTENT_VERSION
from tpi_notes.services import addenda, audit_trail, documents, drafts, history, integrity, patients
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.demo import build_demo
from tpi_notes.services.exports import export_sessions
from tpi_notes.services.integrity import PG_OUTCOME_TRIGGERS

PG_URL = os.environ.get("TPI_NOTES_PG_URL", "")
if not PG_URL:
    pytest.skip("PostgreSQL tests need TPI_NOTES_PG_URL, a server URL whose user may CREATE DATABASE "
                "(url=$(.ci/postgres.sh start) starts a throwaway server and prints one)", allow_module_level=True)

LOCKED = "signed and locked"
DEMO = {"patients": 20, "sessions": 80, "seed": 3}


def _admin() -> Engine:
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a new, empty database on the server, dropped after the test (with anything still connected)."""
    name = f"tpi_test_{uuid.uuid4().hex[:16]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def opener(pg_url: str) -> Iterator[Callable[[], AppContext]]:
    """Opens the test database like a workstation does (each call: another workstation); closes them all."""
    opened: list[AppContext] = []

    def open_one() -> AppContext:
        opened.append(open_clinic(pg_url, principal=ALL_PERMISSIONS))
        return opened[-1]

    yield open_one
    for ctx in opened:
        ctx.close()


@pytest.fixture
def pg(opener: Callable[[], AppContext]) -> AppContext:
    return opener()


@pytest.fixture
def demo_pair(pg: AppContext, tmp_path: Path) -> Iterator[tuple[AppContext, AppContext]]:
    """The same demo clinic (same seed) on PostgreSQL and in an SQLite file."""
    lite = open_clinic(str(tmp_path / "twin.sqlite"), principal=ALL_PERMISSIONS)
    for ctx in (pg, lite):
        build_demo(ctx, **DEMO)
    yield pg, lite
    lite.close()


def _sql(ctx: AppContext, sql: str, **params: Any) -> list[tuple]:
    """Plain SQL in a transaction of its own, as someone with a SQL shell on the server would send it."""
    with ctx.engine.begin() as conn:
        result = conn.execute(text(sql), params)
        return [tuple(r) for r in result] if result.returns_rows else []


def _one(ctx: AppContext, sql: str, **params: Any) -> Any:
    rows = _sql(ctx, sql, **params)
    return rows[0][0] if rows else None


# -- the schema ------------------------------------------------------------------------------------------------

def _migration(number: str):  # noqa: ANN202 - a module
    import importlib.util

    from tpi_notes.db.migrate import MIGRATIONS_DIR

    path = next((MIGRATIONS_DIR / "versions").glob(f"*_{number}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{number}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_empty_database_is_migrated_to_head_and_matches_the_models(opener: Callable[[], AppContext]) -> None:
    ctx = opener()
    assert ctx.database_path is None and ctx.backup is None  # a server: no file, no file backup
    assert current_revision(ctx.engine) == head_revision()  # every revision, the newest included
    with ctx.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        server = conn.exec_driver_sql("SHOW server_version").scalar()
    assert diff == [], f"models and the migrated PostgreSQL schema differ: {diff}"
    # every lock of migrations 0003 and 0005 is in place
    triggers = {name for (name,) in _sql(ctx, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    m3 = _migration("0003")
    expected = ({t[0] for t in m3.PG_TRIGGERS} | {f"trg_{t}_no_truncate" for t in m3.PG_NO_TRUNCATE}
                | {"trg_formulary_item_code_used", "trg_lot_number_used"}
                | set(PG_OUTCOME_TRIGGERS))  # the outcome rows of migration 0022 (issue 17)
    assert triggers == expected, server
    # first-run reference data, once: a second workstation opening the database adds nothing
    items = _one(ctx, "SELECT count(*) FROM formulary_item")
    assert items > 0 and _one(ctx, "SELECT count(*) FROM clinic_settings") == 1
    other = opener()
    assert current_revision(other.engine) == head_revision() and other.backup is None
    assert _one(other, "SELECT count(*) FROM formulary_item") == items
    assert _one(other, "SELECT count(*) FROM alembic_version") == 1


def test_a_server_database_that_cannot_be_opened_is_named_in_plain_words(pg_url: str) -> None:
    import importlib.util

    missing = make_url(pg_url).set(database=f"{make_url(pg_url).database}_missing").render_as_string(False)
    with pytest.raises(DatabaseOpenError, match="Cannot open the database: .*does not exist"):
        open_clinic(missing)
    if importlib.util.find_spec("pg8000") is None:  # another driver's URL, that driver not installed
        with pytest.raises(DatabaseOpenError, match=r"driver .*not installed.*postgresql\+psycopg://"):
            open_clinic(pg_url.replace("postgresql+psycopg://", "postgresql+pg8000://"))


def test_the_patient_checks_hold_on_a_real_boolean(pg: AppContext) -> None:
    """The CHECK that insulin implies diabetes, written for PostgreSQL's boolean (0001 compares with 0/1 on SQLite)."""
    base = PatientInput(mrn="B-1", family_name="Okafor", given_name="Ada", birth_date=date(1970, 5, 1))
    patients.create_patient(pg, replace(base, diabetes=True, insulin=True))
    with pytest.raises(IntegrityError, match="ck_patient_insulin_needs_diabetes"):
        _sql(pg, "UPDATE patient SET diabetes = false WHERE mrn = 'B-1'")
    assert _one(pg, "SELECT diabetes FROM patient WHERE mrn = 'B-1'") is True


def test_server_timestamps_are_utc_whatever_the_workstation_zone(opener: Callable[[], AppContext],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """created_at comes from the server's clock in the connection's zone; every workstation writes UTC, as SQLite."""
    monkeypatch.setenv("PGTZ", "Pacific/Kiritimati")  # UTC+14: a local time would be half a day off
    ctx = opener()
    patients.create_patient(ctx, PatientInput(mrn="T-1", family_name="Tui", given_name="Ana",
                                              birth_date=date(1980, 1, 1)))
    created = _one(ctx, "SELECT created_at FROM patient WHERE mrn = 'T-1'")
    now = datetime.now(UTC).replace(tzinfo=None)
    assert abs(created - now) < timedelta(minutes=5), (created, now)


# -- the locks in the database ---------------------------------------------------------------------------------

def _signed(ctx: AppContext) -> int:
    """A signed session with sites, a syringe and diagnoses."""
    return _one(ctx, "SELECT s.id FROM procedure_session s WHERE s.status = 'signed'"
                     " AND EXISTS (SELECT 1 FROM preparation p WHERE p.session_id = s.id)"
                     " AND EXISTS (SELECT 1 FROM session_diagnosis d WHERE d.session_id = s.id) ORDER BY s.id LIMIT 1")


def _draft(ctx: AppContext) -> int:
    return _one(ctx, "SELECT id FROM procedure_session WHERE status = 'draft'"
                     " AND EXISTS (SELECT 1 FROM site WHERE session_id = procedure_session.id) ORDER BY id LIMIT 1")


def _snapshot(ctx: AppContext, session_id: int) -> list:
    tables = {
        "procedure_session": "id = :sid", "site": "session_id = :sid", "preparation": "session_id = :sid",
        "session_diagnosis": "session_id = :sid", "session_finding": "session_id = :sid",
        "addendum": "session_id = :sid",
        "preparation_component": "preparation_id IN (SELECT id FROM preparation WHERE session_id = :sid)",
    }
    return [_sql(ctx, f"SELECT * FROM {t} WHERE {w} ORDER BY 1, 2", sid=session_id) for t, w in tables.items()]


CHANGES_TO_A_SIGNED_SESSION = [
    "UPDATE procedure_session SET pain_after = 0 WHERE id = :sid",
    "UPDATE procedure_session SET status = 'draft' WHERE id = :sid",
    "UPDATE procedure_session SET content_sha256 = 'x' WHERE id = :sid",
    "DELETE FROM procedure_session WHERE id = :sid",
    "DELETE FROM site WHERE session_id = :sid",
    "UPDATE site SET side = CASE side WHEN 'L' THEN 'R' ELSE 'L' END WHERE session_id = :sid",
    "INSERT INTO site (session_id, number, view, x, y, region_code, muscle_id, muscle, side, technique, needle, note)"
    " VALUES (:sid, 99, 'posterior', 0.5, 0.5, 'x', 'x', 'x', 'L', 'injection', '', '')",
    "UPDATE site SET session_id = :sid, number = number + 100 WHERE session_id = :draft",
    "UPDATE preparation_component SET volume_ml = volume_ml + 1"
    " WHERE preparation_id IN (SELECT id FROM preparation WHERE session_id = :sid)",
    "DELETE FROM preparation_component WHERE preparation_id IN (SELECT id FROM preparation WHERE session_id = :sid)",
    "INSERT INTO preparation_component (preparation_id, position, item_id, volume_ml)"
    " SELECT id, 9, 1, 1.0 FROM preparation WHERE session_id = :sid LIMIT 1",
    "UPDATE preparation SET label = 'Z' WHERE session_id = :sid",
    "INSERT INTO preparation (session_id, label) VALUES (:sid, 'Q')",
    "UPDATE session_diagnosis SET code = 'M54.5' WHERE session_id = :sid",
    "DELETE FROM session_diagnosis WHERE session_id = :sid",
    "INSERT INTO session_diagnosis (session_id, position, code, display) VALUES (:sid, 50, 'M54.5', 'x')",
    "INSERT INTO session_finding (session_id, rule_code, subject, severity, message, source, override_reason)"
    " VALUES (:sid, 'x', '', 'warn', 'x', '', '')",
]


def test_plain_sql_cannot_change_a_signed_session_its_addenda_or_the_audit_trail(pg: AppContext) -> None:
    build_demo(pg, **DEMO)
    sid, draft = _signed(pg), _draft(pg)
    assert sid and draft
    before = _snapshot(pg, sid)
    for sql in CHANGES_TO_A_SIGNED_SESSION:
        with pytest.raises(IntegrityError, match=LOCKED):
            _sql(pg, sql, sid=sid, draft=draft)
    columns = ", ".join(c.name for c in ProcedureSession.__table__.columns if c.name != "id")
    with pytest.raises(IntegrityError, match="inserted already signed"):
        _sql(pg, f"INSERT INTO procedure_session ({columns}) SELECT {columns} FROM procedure_session WHERE id = :sid",
             sid=sid)

    addendum, wording = _sql(pg, "SELECT id, text FROM addendum ORDER BY id LIMIT 1")[0]
    for sql in ("UPDATE addendum SET text = 'rewritten' WHERE id = :a", "DELETE FROM addendum WHERE id = :a"):
        with pytest.raises(IntegrityError, match="addendum is a signed record"):
            _sql(pg, sql, a=addendum)
    with pytest.raises(IntegrityError, match="signed session only"):
        _sql(pg, "INSERT INTO addendum (session_id, kind, text, author_id, created_at, content_sha256)"
                 " VALUES (:d, 'addendum', 'x', 1, '2026-11-02 10:00:00', 'x')", d=draft)
    events = _sql(pg, "SELECT id, detail, hash FROM audit_event ORDER BY id")
    for sql in ("UPDATE audit_event SET detail = 'nothing happened'", "DELETE FROM audit_event"):
        with pytest.raises(IntegrityError, match="append-only"):
            _sql(pg, sql)

    # TRUNCATE skips row triggers; a statement trigger refuses it, also when it would arrive by CASCADE
    for table in (*_migration("0003").PG_NO_TRUNCATE, "patient", "app_user"):
        with pytest.raises(IntegrityError, match="cannot be truncated"):
            _sql(pg, f"TRUNCATE {table} CASCADE")

    assert _snapshot(pg, sid) == before
    assert _one(pg, "SELECT text FROM addendum WHERE id = :a", a=addendum) == wording
    assert _sql(pg, "SELECT id, detail, hash FROM audit_event ORDER BY id") == events
    assert integrity.verify_database(pg).ok


def test_drafts_stay_editable_by_sql_and_signing_locks_them(pg: AppContext) -> None:
    build_demo(pg, **DEMO)
    draft = _draft(pg)
    _sql(pg, "UPDATE procedure_session SET pain_after = 1 WHERE id = :d", d=draft)
    _sql(pg, "UPDATE site SET note = 'edited' WHERE session_id = :d", d=draft)
    _sql(pg, "DELETE FROM site WHERE session_id = :d AND number > 1", d=draft)
    assert _one(pg, "SELECT pain_after FROM procedure_session WHERE id = :d", d=draft) == 1
    assert _sql(pg, "SELECT note FROM site WHERE session_id = :d", d=draft) == [("edited",)]
    _sql(pg, "UPDATE procedure_session SET status = 'signed', signed_by_id = physician_id,"
             " signed_at = '2026-11-01 12:00:00', content_sha256 = 'abc' WHERE id = :d", d=draft)
    with pytest.raises(IntegrityError, match=LOCKED):
        _sql(pg, "UPDATE site SET note = 'again' WHERE session_id = :d", d=draft)

    from test_report_support import save_session

    physician = history.filter_choices(pg).physicians[0][0]
    other = save_session(pg, 1, physician, 2, technique="dry_needling")
    assert _one(pg, "SELECT count(*) FROM site WHERE session_id = :d", d=other) == 2
    _sql(pg, "DELETE FROM procedure_session WHERE id = :d", d=other)  # a draft's content goes with it
    assert _one(pg, "SELECT count(*) FROM site WHERE session_id = :d", d=other) == 0


def test_reference_data_a_signed_note_used_keeps_its_identity_but_can_be_retired(pg: AppContext) -> None:
    build_demo(pg, **DEMO)
    used_in_signed = ("SELECT pc.{col} FROM preparation_component pc JOIN preparation p ON p.id = pc.preparation_id"
                      " JOIN procedure_session s ON s.id = p.session_id WHERE s.status = 'signed'"
                      " AND pc.{col} IS NOT NULL ORDER BY 1 LIMIT 1")
    item, lot = _one(pg, used_in_signed.format(col="item_id")), _one(pg, used_in_signed.format(col="lot_id"))
    with pytest.raises(IntegrityError, match="part of a signed note"):
        _sql(pg, "UPDATE formulary_item SET code = code || '-x' WHERE id = :i", i=item)
    with pytest.raises(IntegrityError, match="part of a signed note"):
        _sql(pg, "UPDATE lot SET lot_number = 'RENAMED' WHERE id = :l", l=lot)
    with pytest.raises(IntegrityError, match="part of a signed note"):
        _sql(pg, "DELETE FROM lot WHERE id = :l", l=lot)
    # other changes go through and stay changed (the trigger hands back the new row, not the old one)
    _sql(pg, "UPDATE formulary_item SET retired = true, source = 'withdrawn' WHERE id = :i", i=item)
    _sql(pg, "UPDATE lot SET retired = true WHERE id = :l", l=lot)
    assert _sql(pg, "SELECT retired, source FROM formulary_item WHERE id = :i", i=item) == [(True, "withdrawn")]
    assert _one(pg, "SELECT retired FROM lot WHERE id = :l", l=lot) is True
    unused = _one(pg, "SELECT id FROM lot WHERE id NOT IN (SELECT lot_id FROM preparation_component"
                      " WHERE lot_id IS NOT NULL) ORDER BY id LIMIT 1")
    _sql(pg, "UPDATE lot SET lot_number = 'NEW-1' WHERE id = :l", l=unused)
    assert _one(pg, "SELECT lot_number FROM lot WHERE id = :l", l=unused) == "NEW-1"


# -- a session from registration to verification ---------------------------------------------------------------

def test_a_session_from_registration_to_verify_and_tampering(pg: AppContext) -> None:
    from test_report_support import PASSWORD, add_patient, flat, pdf_pages, save_session, setup_clinic, sign

    doctor = setup_clinic(pg)
    patient = add_patient(pg, allergies=("sulfa",), diabetes=True, insulin=True)
    sid = save_session(pg, patient.id, doctor, 3)
    assert drafts.get_draft(pg, sid).preparations[0].components[0].volume_ml == 8.0
    sign(pg, sid, doctor)
    addenda.add_addendum(pg, sid, "addendum", "Called the patient: no bruising.", doctor, PASSWORD)
    record = _sql(pg, "SELECT status, content_version, signed_context FROM procedure_session WHERE id = :s", s=sid)
    status, version, context = record[0]
    assert (status, version) == ("signed", OUTCOMES_CONTENT_VERSION) and context["patient"]["mrn"] == "P-100"

    text_of_note = flat(" ".join(pdf_pages(documents.procedure_note_pdf(pg, sid))))
    assert "Nguyễn" in text_of_note and "Called the patient: no bruising." in text_of_note

    out: dict[str, bytes] = {}
    for fmt in ("csv", "jsonl", "fhir"):
        buffer = io.BytesIO()
        summary = export_sessions(pg, fmt, buffer, zone=UTC)
        assert summary.sessions == 1
        out[fmt] = buffer.getvalue()
    [row] = list(csv.DictReader(io.StringIO(out["csv"].decode("utf-8-sig"))))
    assert row["session_id"] == str(sid) and row["status"] == "signed" and row["patient_mrn"] == "P-100"
    [line] = [json.loads(x) for x in out["jsonl"].decode().splitlines()]
    assert line["patient"]["diabetes"] is True and len(line["sites"]) == 3 and len(line["addenda"]) == 1
    bundle = json.loads(out["fhir"])
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert bundle["resourceType"] == "Bundle" and {"Patient", "Procedure"} <= kinds

    report = integrity.verify_database(pg)
    assert report.ok and report.sessions_checked == 1 and report.audit_events_checked >= 6
    assert report.missing_locks == []  # every lock of 0003 and 0005 is found under its PostgreSQL name
    assert integrity.session_is_intact(pg, sid)

    # someone who owns the tables drops a lock and edits the signed note: verify names the session
    _sql(pg, "DROP TRIGGER trg_site_locked ON site")
    _sql(pg, "UPDATE site SET side = CASE side WHEN 'L' THEN 'R' ELSE 'L' END WHERE session_id = :s AND number = 1",
         s=sid)
    report = integrity.verify_database(pg)
    assert not report.ok and [t[:2] for t in report.tampered] == [(sid, "P-100")]
    assert report.missing_locks == ["trg_site_locked"]
    assert not integrity.session_is_intact(pg, sid) and integrity.tampered_session_ids(pg) == {sid}
    # ... and an edited audit event breaks the chain
    _sql(pg, "DROP TRIGGER trg_audit_event_locked ON audit_event")
    _sql(pg, "UPDATE audit_event SET detail = 'nothing to see' WHERE action = 'sign'")
    assert integrity.verify_database(pg).audit_problems


# -- two workstations ------------------------------------------------------------------------------------------

def test_two_workstations_saving_the_same_draft_the_second_is_refused(opener: Callable[[], AppContext]) -> None:
    from test_report_support import add_patient, save_session, setup_clinic

    front, back = opener(), opener()
    doctor = setup_clinic(front)
    sid = save_session(front, add_patient(front).id, doctor, 2)
    mine, theirs = drafts.get_draft(front, sid), drafts.get_draft(back, sid)
    saved = drafts.save_draft(front, replace(mine, pain_after=1))
    assert saved.row_version == mine.row_version + 1
    with pytest.raises(ConcurrentEditError, match="another workstation"):
        drafts.save_draft(back, replace(theirs, pain_after=9, comments="overwrites?"))
    assert drafts.get_draft(back, sid).pain_after == 1
    # the row version in the UPDATE itself catches a save that passed the check just before the other committed
    from sqlalchemy.orm.exc import StaleDataError

    with front.factory() as one, back.factory() as two:
        first, second = one.get(ProcedureSession, sid), two.get(ProcedureSession, sid)
        first.comments, second.comments = "first", "second"  # type: ignore[union-attr]
        one.commit()
        with pytest.raises(StaleDataError):
            two.commit()
    assert drafts.get_draft(front, sid).comments == "first"


def test_audit_appends_from_two_workstations_wait_for_each_other(opener: Callable[[], AppContext]) -> None:
    """Both would read the same newest hash and fork the chain; on PostgreSQL the second waits for the first."""
    front, back = opener(), opener()
    with front.factory() as one, back.factory() as two:
        audit.append(one, actor="os:front", action="view", entity="patient", detail="first")  # not yet committed
        two.execute(text("SET LOCAL lock_timeout = '300ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            audit.append(two, actor="os:back", action="view", entity="patient", detail="second")
        two.rollback()
        one.commit()
        audit.append(two, actor="os:back", action="view", entity="patient", detail="second")
        two.commit()
    rows = _sql(front, "SELECT detail, prev_hash, hash FROM audit_event ORDER BY id")
    assert [r[0] for r in rows] == ["first", "second"] and rows[1][1] == rows[0][2]
    report = integrity.verify_database(back)
    assert report.ok and report.audit_events_checked == 2


def test_workstations_starting_together_on_a_new_database_all_open_it(pg_url: str) -> None:
    """Exam rooms switched on at once (a new server, or the day of an upgrade): one migrates and loads the
    formulary, the others wait for it instead of failing on each other's half-made tables."""
    start = ("import sys; from tpi_notes.services.context import open_clinic; "
             "open_clinic(sys.argv[1]).close(); print('open')")
    rooms = [subprocess.Popen([sys.executable, "-c", start, pg_url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [room.communicate(timeout=120) for room in rooms]
    assert [(room.returncode, out.strip()) for room, (out, _err) in zip(rooms, results, strict=True)] == \
        [(0, "open")] * 3, [err[-600:] for _out, err in results]
    ctx = open_clinic(pg_url, principal=ALL_PERMISSIONS)
    try:
        assert current_revision(ctx.engine) == head_revision()
        assert _one(ctx, "SELECT count(*) FROM clinic_settings") == 1
        assert _one(ctx, "SELECT count(*) FROM formulary_item") == _one(ctx, "SELECT count(DISTINCT code) "
                                                                             "FROM formulary_item") > 0
    finally:
        ctx.close()


# -- the demo clinic, the history browser and the audit trail: the same answers as SQLite ------------------------

def _history(ctx: AppContext, flt: HistoryFilter, sort: Sort) -> list:
    rows: list = []
    while True:
        page = history.browse(ctx, flt, sort, offset=len(rows), limit=25)
        rows.extend(page.rows)
        if len(page.rows) < 25:
            return rows


def _keyset_history(ctx: AppContext, flt: HistoryFilter, sort: Sort) -> list:
    rows: list = []
    page = history.browse(ctx, flt, sort, limit=25)
    while page.rows:
        rows.extend(page.rows)
        page = history.browse(ctx, flt, sort, limit=25, after=page.next_after)
    return rows


def test_the_demo_clinic_and_the_history_browser_agree_with_sqlite(demo_pair: tuple[AppContext, AppContext]) -> None:
    pg, lite = demo_pair
    choices = history.filter_choices(pg)
    assert choices == history.filter_choices(lite)
    physician = choices.physicians[0][0]
    patient_name = _one(pg, "SELECT family_name FROM patient ORDER BY id LIMIT 1")
    filters = [
        HistoryFilter(), HistoryFilter(status="signed"), HistoryFilter(status="draft"),
        HistoryFilter(technique="dry_needling"), HistoryFilter(agent="lidocaine-1"),
        HistoryFilter(agent="corticosteroid"), HistoryFilter(muscle_id="upper_trapezius"),
        HistoryFilter(physician_id=physician), HistoryFilter(patient_text=patient_name[:3]),
        HistoryFilter(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31), technique="injection"),
        HistoryFilter(patient_id=1, status="signed"),
    ]
    for flt in filters:
        for key in SORT_KEYS:
            for descending in (True, False):
                sort = Sort(key, descending)
                got = _history(pg, flt, sort)
                assert got == _history(lite, flt, sort), (flt, sort)
                assert _keyset_history(pg, flt, sort) == got, (flt, sort)  # the browser's paging, NULLs and all
        assert history.count(pg, flt) == history.count(lite, flt) == len(got), flt
        chart = history.chart(pg, flt)
        assert chart == history.chart(lite, flt) and chart.total == len(got), flt
    assert history.count(pg, HistoryFilter()) == DEMO["sessions"]

    # the exports of the same clinic are the same bytes (types, floats, JSON and booleans read back alike)
    for fmt in ("csv", "jsonl"):
        exported = []
        for ctx, workers in ((pg, 0), (lite, 0), (pg, 2)):  # 2: helper processes with their own connections
            buffer = io.BytesIO()
            export_sessions(ctx, fmt, buffer, zone=UTC, workers=workers)
            exported.append(buffer.getvalue())
        assert exported[0].count(b"\n") >= DEMO["sessions"]
        assert exported[0] == exported[1] == exported[2], fmt

    report = integrity.verify_database(pg)
    assert report.ok and report.sessions_checked == integrity.verify_database(lite).sessions_checked > 0
    # the demo wrote its own ids; the app's next rows get new ones (the sequences were moved past them)
    from test_report_support import add_patient, save_session

    newcomer = add_patient(pg, mrn="NEW-1")
    assert newcomer.id == DEMO["patients"] + 1
    sid = save_session(pg, newcomer.id, physician, 2)
    assert sid == DEMO["sessions"] + 1


def _same_pdf(entity: str, detail: str) -> str:
    """A signed PDF's registration without its size and hash: the PAdES signature holds the moment it was made,
    so the same demo built on each database signs PDFs of different bytes."""
    return detail.split(",")[0] if entity == "signed_pdf" else detail


def test_the_audit_trail_screen_agrees_with_sqlite(demo_pair: tuple[AppContext, AppContext], tmp_path: Path) -> None:
    physicians = [uid for uid, _label in history.filter_choices(demo_pair[0]).physicians]
    # An addendum event names one the demo made (its ids follow its sessions'), or verify rightly reports it missing.
    add_id, add_sid, add_pid = _sql(demo_pair[0], "SELECT a.id, a.session_id, s.patient_id FROM addendum a "
                                    "JOIN procedure_session s ON s.id = a.session_id ORDER BY a.id LIMIT 1")[0]
    events = [  # (day, user index or None, action, entity, entity id, patient id, detail)
        (1, 0, "view", "patient", 3, 3, ""), (1, 1, "print", "session", 7, 2, "aftercare sheet, language es"),
        (2, 1, "sign", "session", 7, 2, "sha256 abc"), (2, None, "export", "history", None, None, "50%_done.csv"),
        (3, 0, "change", "patient", 4, 4, "fields: phone"), (5, None, "verify", "database", None, None, "intact"),
        (6, 1, "addendum", "addendum", add_id, add_pid, f"Late_Entry to session {add_sid}"), (7, 0, "view", "patient", 5, 5, "Opened"),
    ]
    pages = []
    demo_events = [_one(ctx, "SELECT count(*) FROM audit_event") for ctx in demo_pair]
    assert demo_events[0] == demo_events[1]  # the demo's build, keys, root, certificates and signed PDFs
    for ctx in demo_pair:
        with ctx.transaction() as s:
            for n, (day, user, action, entity, entity_id, patient_id, detail) in enumerate(events):
                audit.append(s, actor="os:alice" if user is None else f"user:{physicians[user]}",
                             user_id=None if user is None else physicians[user], action=action, entity=entity,
                             entity_id=entity_id, patient_id=patient_id, detail=detail,
                             at=datetime(2026, 3, day, 9, n))
        first = audit_trail.list_events(ctx, AuditFilter())
        fixed = AuditFilter(up_to_id=first.up_to_id)  # later views of the trail stay out of the comparison
        found: list[Any] = [first.total, audit_trail.action_choices(ctx), audit_trail.entity_choices(ctx),
                            audit_trail.user_choices(ctx)]
        for flt in (fixed, replace(fixed, date_from=date(2026, 3, 2), date_to=date(2026, 3, 5)),
                    replace(fixed, user_id=physicians[1]), replace(fixed, actor="os:alice"),
                    replace(fixed, action="view"), replace(fixed, entity="patient"),
                    replace(fixed, patient_text=_one(ctx, "SELECT family_name FROM patient WHERE id = 5")[:4]),
                    replace(fixed, detail_text="late_entry"), replace(fixed, detail_text="%_")):
            for key in AUDIT_SORT_KEYS:
                for descending in (True, False):
                    page = audit_trail.list_events(ctx, flt, key, descending, 0, 500)
                    found.append((page.total, [(r.id, r.user, r.action, r.entity, r.entity_id, r.patient,
                                                _same_pdf(r.entity, r.detail)) for r in page.rows]))
        target = tmp_path / f"trail-{ctx.engine.dialect.name}.csv"
        audit_trail.export_events_csv(ctx, replace(fixed, date_from=date(2026, 3, 1), date_to=date(2026, 3, 31)),
                                      target)
        with target.open(encoding="utf-8-sig", newline="") as fh:
            # not the hashes: they chain from the demo's events
            found.append([[*row[:10], _same_pdf(row[6], row[10])] if len(row) > 10 else row[:11]
                          for row in csv.reader(fh)])
        pages.append(found)
    pg_pages, lite_pages = pages
    assert pg_pages[0] == demo_events[0] + len(events)  # the demo's own events and the ones above
    assert len(pg_pages[-1]) == 1 + len(events)  # the CSV: a header and the March events
    assert all(total > 0 for total, _rows in pg_pages[4:-1])  # every filter finds something
    for got, expected in zip(pg_pages, lite_pages, strict=True):
        assert got == expected
    assert integrity.verify_database(demo_pair[0]).ok


def test_outcomes_lock_and_report_on_postgresql(pg: AppContext) -> None:
    """Issue 17: the outcome rows of a signed session are locked by the server too, and the clinic outcomes report's
    aggregates (date() per day) run there."""
    from datetime import date, timedelta

    from test_outcomes_data import _two_visits
    from test_report_support import sign

    from tpi_notes.services import outcomes_report

    doctor, _first, second = _two_visits(pg)
    sign(pg, second, doctor)
    with pytest.raises(IntegrityError, match="signed and locked"):
        _sql(pg, "UPDATE prior_response SET relief_pct = 95 WHERE session_id = :id", id=second)
    assert integrity.verify_database(pg).ok
    rows = outcomes_report.outcome_cube(pg, "muscle_group").rows(date(2026, 1, 1), date.today() + timedelta(days=1))
    assert sum(r.sums.n for r in rows) == 2 and sum(r.sums.good for r in rows) == 1
