"""The history sorted by Sites (issue 19): each session's site count is kept on its row (migration 0025) by
every write of sites, so the sort reads an index instead of counting the sites of every session; the order is
the one the counted sites gave (the old expression is kept here as the oracle), ties newest first."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from alembic import command
from demo_copies import build_demo_file, open_copy
from principals import ALL_PERMISSIONS
from sqlalchemy import create_engine, event, func, select
from test_report_support import add_patient, save_session, session_draft, setup_clinic, sign

from tpi_notes.db.migrate import alembic_config, current_revision, head_revision, prepare_database
from tpi_notes.db.models import ProcedureSession, Site
from tpi_notes.db.repositories.session_filter import conditions
from tpi_notes.domain.history import HistoryFilter, Sort
from tpi_notes.services import drafts, history
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.demo import build_demo

PS = ProcedureSession
SESSIONS = 300


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_file(tmp_path_factory, "site-count", patients=40, sessions=SESSIONS, seed=23)


@pytest.fixture
def clinic(demo_file: Path, tmp_path: Path) -> Iterator[AppContext]:
    yield from open_copy(demo_file, tmp_path)


def counted_order(ctx: AppContext, flt: HistoryFilter, descending: bool) -> list[int]:
    """The Sites order as the history gave it before 0025: each session's sites counted in a correlated
    subquery (the oracle), ties newest first, then the highest id."""
    counted = select(func.count(Site.id)).where(Site.session_id == PS.id).correlate(PS).scalar_subquery()
    found = conditions(flt)
    query = select(PS.id).where(*found).order_by(counted.desc() if descending else counted.asc(),
                                                 PS.performed_start.desc(), PS.id.desc())
    with ctx.read() as s:
        return list(s.scalars(query))


def stored_and_counted(ctx: AppContext) -> tuple[dict[int, int], dict[int, int]]:
    with ctx.read() as s:
        stored = dict(s.execute(select(PS.id, PS.site_count)).all())
        counted = {sid: 0 for sid in stored}
        counted.update(s.execute(select(Site.session_id, func.count()).group_by(Site.session_id)).all())
    return stored, counted


def keyset_ids(ctx: AppContext, flt: HistoryFilter, sort: Sort, size: int) -> list[int]:
    ids: list[int] = []
    page = history.browse(ctx, flt, sort, limit=size)
    while page.rows:
        ids.extend(r.id for r in page.rows)
        page = history.browse(ctx, flt, sort, limit=size, after=page.next_after)
    return ids


def offset_ids(ctx: AppContext, flt: HistoryFilter, sort: Sort, size: int) -> list[int]:
    ids: list[int] = []
    while True:
        rows = history.browse(ctx, flt, sort, offset=len(ids), limit=size).rows
        ids.extend(r.id for r in rows)
        if len(rows) < size:
            return ids


FILTERS = (HistoryFilter(), HistoryFilter(status="draft"), HistoryFilter(status="signed"),
           HistoryFilter(agent="corticosteroid"), HistoryFilter(technique="dry_needling"))


def test_the_demo_stores_each_sessions_real_site_count(clinic: AppContext) -> None:
    stored, counted = stored_and_counted(clinic)
    assert stored == counted and len(stored) == SESSIONS
    assert len(set(counted.values())) >= 4  # several counts, so the sort has ties and segments to cross


@pytest.mark.parametrize("descending", [True, False])
def test_sites_sort_pages_list_the_counted_order(clinic: AppContext, descending: bool) -> None:
    """Keyset pages (each after the last row of the one before) and OFFSET pages both list exactly the
    counted order, across ties of count (newest first) and from one count to the next."""
    sort = Sort("sites", descending)
    for flt in FILTERS:
        expected = counted_order(clinic, flt, descending)
        assert keyset_ids(clinic, flt, sort, 23) == expected, flt
        assert offset_ids(clinic, flt, sort, 41) == expected, flt


def test_a_draft_that_gains_or_loses_sites_moves_in_the_sites_sort(clinic: AppContext) -> None:
    draft_row = next(r for r in history.browse(clinic, HistoryFilter(status="draft"), limit=50).rows
                     if r.site_count >= 2)
    draft = drafts.get_draft(clinic, draft_row.id)
    most = max(r.site_count for r in history.browse(clinic, HistoryFilter(), Sort("sites", True), limit=1).rows)
    extra = session_draft(clinic, draft.patient_id, draft.physician_id or 0, most + 2, technique="dry_needling").sites
    grown = drafts.save_draft(clinic, replace(draft, sites=extra, preparations=()))
    top = history.browse(clinic, HistoryFilter(), Sort("sites", True), limit=5).rows
    assert top[0].id == draft.id and top[0].site_count == most + 2
    assert keyset_ids(clinic, HistoryFilter(), Sort("sites", True), 50) == counted_order(clinic, HistoryFilter(), True)

    shrunk = drafts.save_draft(clinic, replace(grown, sites=grown.sites[:1]))  # sites deleted, one kept as it was
    emptied = drafts.save_draft(clinic, replace(shrunk, sites=()))
    assert emptied.sites == ()
    first = history.browse(clinic, HistoryFilter(), Sort("sites", False), limit=SESSIONS).rows
    assert draft.id in [r.id for r in first if r.site_count == 0]
    for descending in (True, False):
        expected = counted_order(clinic, HistoryFilter(), descending)
        assert keyset_ids(clinic, HistoryFilter(), Sort("sites", descending), 37) == expected
    stored, counted = stored_and_counted(clinic)
    assert stored == counted and stored[draft.id] == 0


def test_new_sessions_count_their_sites_and_signing_keeps_the_count(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    ids = [save_session(ctx, patient.id, doctor, n) for n in (3, 0, 7, 1)]
    sign(ctx, ids[2], doctor)
    stored, counted = stored_and_counted(ctx)
    assert stored == counted == {ids[0]: 3, ids[1]: 0, ids[2]: 7, ids[3]: 1}
    rows = history.browse(ctx, HistoryFilter(), Sort("sites", True)).rows
    assert [(r.id, r.site_count) for r in rows] == [(ids[2], 7), (ids[0], 3), (ids[3], 1), (ids[1], 0)]


def test_the_first_sites_page_reads_an_index_without_counting_or_sorting_every_session(
        clinic: AppContext) -> None:
    """Each statement of a Sites page seeks an index in the page's order: no temporary B-tree (a sort of
    every matching session) and no correlated count of every session's sites (0.9–1.9 s at 300,000)."""
    pages: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if "FROM procedure_session" in statement and "ORDER BY" in statement and "LIMIT" in statement:
            pages.append((statement, parameters))

    event.listen(clinic.engine, "before_cursor_execute", record)
    try:
        for descending in (True, False):
            for flt in (HistoryFilter(), HistoryFilter(status="signed")):
                page = history.browse(clinic, flt, Sort("sites", descending), limit=20)
                history.browse(clinic, flt, Sort("sites", descending), limit=20, after=page.next_after)
    finally:
        event.remove(clinic.engine, "before_cursor_execute", record)
    assert pages
    raw = clinic.engine.raw_connection()
    try:
        for statement, parameters in pages:
            plan = " / ".join(row[-1] for row in raw.cursor().execute("EXPLAIN QUERY PLAN " + statement, parameters))
            assert "TEMP B-TREE" not in plan and "CORRELATED" not in plan, (statement, plan)
            assert "ix_procedure_session_sites" in plan or "ix_procedure_session_status" in plan, (statement, plan)
    finally:
        raw.close()


def test_an_existing_clinic_gets_its_counts_on_upgrade_and_signed_sessions_stay_locked(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    build_demo(ctx, patients=20, sessions=80, seed=3)
    ctx.close()
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0024")  # the clinic as the release before 0025 left it
    engine.dispose()
    conn = sqlite3.connect(path)
    assert "site_count" not in [c[1] for c in conn.execute("PRAGMA table_info(procedure_session)")]
    triggers = sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
    conn.close()

    engine, backup = prepare_database(f"sqlite:///{path}")  # the start-up upgrade (with its backup copy)
    assert current_revision(engine) == head_revision() and backup is not None
    engine.dispose()
    conn = sqlite3.connect(path)
    stored = dict(conn.execute("SELECT id, site_count FROM procedure_session"))
    counted = {sid: 0 for sid in stored}
    counted.update(conn.execute("SELECT session_id, count(*) FROM site GROUP BY session_id"))
    assert stored == counted and sum(stored.values()) > 80
    signed = conn.execute("SELECT id FROM procedure_session WHERE status = 'signed' AND site_count > 0").fetchone()
    assert signed is not None  # signed sessions were counted through their lock ...
    assert sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")) == triggers
    with pytest.raises(sqlite3.IntegrityError, match="signed and locked"):  # ... which is back as it was
        conn.execute("UPDATE procedure_session SET site_count = 0 WHERE id = ?", signed)
    conn.close()


def test_verify_names_a_session_whose_sites_were_written_outside_tpi_notes(
        clinic: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    """A site added to a draft by plain SQL (the database allows it on drafts) leaves the kept count behind:
    `tpi-notes verify` says which session and fails; a save from the app writes the count again."""
    from tpi_notes import cli
    from tpi_notes.services import integrity

    assert integrity.verify_database(clinic).ok
    draft = next(r for r in history.browse(clinic, HistoryFilter(status="draft"), limit=50).rows if r.site_count)
    path = clinic.database_path
    conn = sqlite3.connect(str(path))
    conn.execute("INSERT INTO site (session_id, number, view, x, y, region_code, muscle_id, muscle, side, technique,"
                 " volume_ml, needle, aspiration, passes, twitch, note) SELECT session_id, 99, view, x, y,"
                 " region_code, muscle_id, muscle, side, technique, volume_ml, needle, aspiration, passes, twitch,"
                 " note FROM site WHERE session_id = ? AND number = 1", (draft.id,))
    conn.commit()
    conn.close()
    report = integrity.verify_database(clinic)
    assert not report.ok
    assert [tuple(p) for p in report.miscounted] == [(draft.id, draft.site_count, draft.site_count + 1)]
    assert cli.main(["verify", "--db", str(path)]) == 1
    out = capsys.readouterr()
    assert f"COUNT session {draft.id}: kept as {draft.site_count} sites, it has {draft.site_count + 1}" in out.out
    assert "verification failed: 1 problem" in out.err
    opened = drafts.get_draft(clinic, draft.id)
    assert [x.number for x in opened.sites][-1] == 99
    drafts.save_draft(clinic, replace(opened, sites=opened.sites[:-1]))  # the stray site taken out in the editor
    assert integrity.verify_database(clinic).ok
