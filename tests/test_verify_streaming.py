"""`verify` reads signed sessions in one streaming pass (issue 19): findings stay the same whatever the page size,
and no page query sorts every session after it (what made verify quadratic: hours at 1,000,000 sessions)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from tpi_notes.services import integrity
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo


@pytest.fixture
def clinic(ctx: AppContext) -> AppContext:
    build_demo(ctx, patients=10, sessions=60, seed=5)
    return ctx


def _signed(db: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT s.id, p.mrn FROM procedure_session s JOIN patient p ON p.id = s.patient_id"
                            " WHERE s.status = 'signed' ORDER BY s.id").fetchall()
    finally:
        conn.close()


def _tamper(db: Path, *session_ids: int) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute("DROP TRIGGER trg_procedure_session_update_locked")
        for sid in session_ids:
            conn.execute("UPDATE procedure_session SET pain_after = COALESCE(pain_after, 0) + 1 WHERE id = ?", (sid,))
        conn.commit()
    finally:
        conn.close()


def test_a_tampered_session_in_the_middle_and_at_the_end_of_many_pages_is_found(
        clinic: AppContext, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    signed = _signed(db_path)
    middle, last = signed[len(signed) // 2], signed[-1]
    _tamper(db_path, middle[0], last[0])
    whole = integrity.verify_database(clinic)  # one page holds them all
    monkeypatch.setattr(integrity, "BATCH", 7)  # many pages, the last one short
    paged = integrity.verify_database(clinic)

    assert [(t[0], t[1]) for t in paged.tampered] == [middle, last]
    assert paged.tampered == whole.tampered and paged.sessions_checked == whole.sessions_checked == len(signed)
    assert paged.hash_only == whole.hash_only and paged.audit_events_checked >= whole.audit_events_checked
    assert integrity.tampered_session_ids(clinic) == {middle[0], last[0]}


def test_no_page_of_signed_sessions_sorts_the_sessions_after_it(
        clinic: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each page is the next rows of the primary key: a query plan that sorts (a temporary B-tree over every
    signed session after the page) costs the whole table per page."""
    monkeypatch.setattr(integrity, "BATCH", 7)
    pages: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if "FROM procedure_session" in statement and "LIMIT" in statement and "ORDER BY procedure_session.id" \
                in statement:
            pages.append((statement, parameters))

    event.listen(clinic.engine, "before_cursor_execute", record)
    try:
        report = integrity.verify_database(clinic)
    finally:
        event.remove(clinic.engine, "before_cursor_execute", record)
    assert report.ok and len(pages) > 3
    raw = clinic.engine.raw_connection()
    try:
        for statement, parameters in pages:
            plan = " / ".join(row[-1] for row in raw.cursor().execute("EXPLAIN QUERY PLAN " + statement, parameters))
            assert "TEMP B-TREE" not in plan, plan
    finally:
        raw.close()
