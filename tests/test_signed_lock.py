"""Signed sessions are locked twice: by the services, and in the database itself (migration 0003)."""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command

from tpi_notes.db.migrate import MIGRATIONS_DIR, alembic_config, head_revision
from tpi_notes.services import drafts, sessions
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo
from tpi_notes.services.integrity import LOCK_TRIGGERS

LOCKED = "signed and locked"


def _migration_0003():  # noqa: ANN202 - a module
    path = next((MIGRATIONS_DIR / "versions").glob("*_0003_signed_sessions_locked.py"))
    spec = importlib.util.spec_from_file_location("migration_0003", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def demo(ctx: AppContext) -> AppContext:
    build_demo(ctx, patients=20, sessions=200, seed=11)
    return ctx


@pytest.fixture
def conn(demo: AppContext, db_path: Path) -> Iterator[sqlite3.Connection]:
    """A plain SQLite connection, as someone with the file and a SQL shell would have."""
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA foreign_keys=ON")
    yield connection
    connection.close()


def _signed(conn: sqlite3.Connection) -> int:
    """A signed session with sites, a syringe and diagnoses."""
    return conn.execute(
        "SELECT s.id FROM procedure_session s WHERE s.status = 'signed'"
        " AND EXISTS (SELECT 1 FROM preparation p WHERE p.session_id = s.id)"
        " AND EXISTS (SELECT 1 FROM session_diagnosis d WHERE d.session_id = s.id) ORDER BY s.id LIMIT 1").fetchone()[0]


def _draft(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT id FROM procedure_session WHERE status = 'draft' ORDER BY id LIMIT 1").fetchone()[0]


def _snapshot(conn: sqlite3.Connection, session_id: int) -> list:
    tables = {
        "procedure_session": "id = ?", "site": "session_id = ?", "preparation": "session_id = ?",
        "session_diagnosis": "session_id = ?", "session_finding": "session_id = ?",
        "preparation_component": "preparation_id IN (SELECT id FROM preparation WHERE session_id = ?)",
    }
    return [conn.execute(f"SELECT * FROM {t} WHERE {w} ORDER BY 1, 2", (session_id,)).fetchall()
            for t, w in tables.items()]


def test_lock_triggers_exist_at_head(ctx: AppContext, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    tables = {r[0] for r in conn.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'")}
    conn.close()
    assert set(LOCK_TRIGGERS) <= names
    assert len(LOCK_TRIGGERS) == 23
    assert tables == {"procedure_session", "site", "preparation", "preparation_component", "session_diagnosis",
                      "session_finding", "addendum", "audit_event", "formulary_item", "lot", "session_scale",
                      "prior_response"}  # the outcome rows of migration 0022 (integrity.OUTCOME_TRIGGERS)
    # verify's list and the migration's are the same list
    assert {rule[0] for rule in _migration_0003().SQLITE_RULES} == set(LOCK_TRIGGERS)


def test_downgrade_drops_the_triggers_and_upgrade_restores_them(ctx: AppContext, db_path: Path) -> None:
    ctx.close()
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{db_path}")
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0002")
        assert connection.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").scalar() == 0
        command.upgrade(cfg, head_revision())
        names = {r[0] for r in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    engine.dispose()
    assert set(LOCK_TRIGGERS) <= names


def test_the_service_layer_refuses_to_change_a_signed_session(demo: AppContext, conn: sqlite3.Connection) -> None:
    sid = _signed(conn)
    before = _snapshot(conn, sid)
    draft = drafts.get_draft(demo, sid)
    with pytest.raises(drafts.SignedSessionError, match="signed and locked"):
        drafts.save_draft(demo, draft)
    assert _snapshot(conn, sid) == before


@pytest.mark.parametrize("sql", [
    "UPDATE procedure_session SET pain_after = 0 WHERE id = :sid",
    "UPDATE procedure_session SET status = 'draft' WHERE id = :sid",
    "UPDATE procedure_session SET content_sha256 = 'x' WHERE id = :sid",
    "DELETE FROM procedure_session WHERE id = :sid",
    "DELETE FROM site WHERE session_id = :sid",
    "UPDATE site SET side = CASE side WHEN 'L' THEN 'R' ELSE 'L' END WHERE session_id = :sid",
    "INSERT INTO site (session_id, number, view, x, y, region_code, muscle_id, muscle, side, technique, needle, note)"
    " VALUES (:sid, 99, 'posterior', 0.5, 0.5, 'x', 'x', 'x', 'L', 'injection', '', '')",
    "UPDATE site SET session_id = :sid WHERE session_id = :draft",  # moving a draft's site into a signed session
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
])
def test_plain_sql_cannot_change_a_signed_session(conn: sqlite3.Connection, sql: str) -> None:
    sid, draft = _signed(conn), _draft(conn)
    before = _snapshot(conn, sid)
    with pytest.raises(sqlite3.IntegrityError, match=LOCKED):
        conn.execute(sql, {"sid": sid, "draft": draft})
    conn.rollback()
    assert _snapshot(conn, sid) == before


def test_a_session_cannot_be_inserted_already_signed(conn: sqlite3.Connection) -> None:
    columns = [r[1] for r in conn.execute("PRAGMA table_info(procedure_session)") if r[1] != "id"]
    sid = _signed(conn)
    with pytest.raises(sqlite3.IntegrityError, match="inserted already signed"):
        conn.execute(f"INSERT INTO procedure_session ({', '.join(columns)}) "
                     f"SELECT {', '.join(columns)} FROM procedure_session WHERE id = ?", (sid,))


def test_a_draft_can_still_be_changed_by_sql_and_then_signed(conn: sqlite3.Connection) -> None:
    draft = _draft(conn)
    conn.execute("UPDATE procedure_session SET pain_after = 1 WHERE id = ?", (draft,))
    conn.execute("UPDATE site SET note = 'edited' WHERE session_id = ?", (draft,))
    conn.execute("DELETE FROM site WHERE session_id = ? AND number > 1", (draft,))
    assert conn.execute("SELECT pain_after FROM procedure_session WHERE id = ?", (draft,)).fetchone() == (1,)
    # signing: the one change from draft to signed (the content hash goes with it)
    conn.execute("UPDATE procedure_session SET status = 'signed', signed_by_id = physician_id,"
                 " signed_at = '2026-11-01 12:00:00', content_sha256 = 'abc' WHERE id = ?", (draft,))
    conn.commit()
    assert conn.execute("SELECT status FROM procedure_session WHERE id = ?", (draft,)).fetchone() == ("signed",)
    with pytest.raises(sqlite3.IntegrityError, match=LOCKED):
        conn.execute("UPDATE site SET note = 'again' WHERE session_id = ?", (draft,))


def test_deleting_a_draft_still_cascades_to_its_content(conn: sqlite3.Connection) -> None:
    draft = _draft(conn)
    conn.execute("DELETE FROM procedure_session WHERE id = ?", (draft,))
    conn.commit()
    assert conn.execute("SELECT count(*) FROM site WHERE session_id = ?", (draft,)).fetchone() == (0,)


def test_addenda_and_the_audit_trail_cannot_be_changed_or_deleted(conn: sqlite3.Connection) -> None:
    addendum = conn.execute("SELECT id, text FROM addendum ORDER BY id LIMIT 1").fetchone()
    assert addendum is not None, "the demo should have an addendum"
    for sql in ("UPDATE addendum SET text = 'rewritten' WHERE id = ?", "DELETE FROM addendum WHERE id = ?"):
        with pytest.raises(sqlite3.IntegrityError, match="addendum is a signed record"):
            conn.execute(sql, (addendum[0],))
    assert conn.execute("SELECT text FROM addendum WHERE id = ?", (addendum[0],)).fetchone() == (addendum[1],)
    with pytest.raises(sqlite3.IntegrityError, match="signed session only"):
        conn.execute("INSERT INTO addendum (session_id, kind, text, author_id, created_at, content_sha256)"
                     " VALUES (?, 'addendum', 'x', 1, '2026-11-02 10:00:00', 'x')", (_draft(conn),))
    for sql in ("UPDATE audit_event SET detail = 'nothing happened'", "DELETE FROM audit_event"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    assert conn.execute("SELECT count(*) FROM audit_event").fetchone()[0] >= 1


def test_orm_updates_of_a_signed_session_are_refused_too(demo: AppContext, conn: sqlite3.Connection) -> None:
    from sqlalchemy.exc import IntegrityError

    from tpi_notes.db.models import ProcedureSession

    sid = _signed(conn)
    with pytest.raises(IntegrityError, match=LOCKED), demo.transaction() as s:
        s.get(ProcedureSession, sid).comments = "changed behind the service layer"  # type: ignore[union-attr]
    assert sessions.get_session(demo, sid).comments == ""


def test_reference_data_a_signed_note_used_keeps_its_identity(tmp_path) -> None:  # noqa: ANN001
    import sqlite3 as _sqlite3

    from tpi_notes.services.context import open_clinic as _open
    from tpi_notes.services.demo import build_demo as _demo
    from tpi_notes.services.integrity import verify_database

    path = tmp_path / "ref.db"
    ctx = _open(str(path))
    _demo(ctx, patients=4, sessions=12, seed=2)
    ctx.close()
    conn = _sqlite3.connect(path)
    item_id, lot_id = conn.execute(
        "SELECT pc.item_id, pc.lot_id FROM preparation_component pc JOIN preparation p ON p.id = pc.preparation_id "
        "JOIN procedure_session s ON s.id = p.session_id WHERE s.status = 'signed' LIMIT 1").fetchone()
    for sql, args in (("UPDATE formulary_item SET code = 'renamed' WHERE id = ?", (item_id,)),
                      ("UPDATE lot SET lot_number = 'X1' WHERE id = ?", (lot_id,)),
                      ("DELETE FROM lot WHERE id = ?", (lot_id,))):
        with pytest.raises(_sqlite3.DatabaseError, match="signed note"):
            conn.execute(sql, args)
    conn.execute("UPDATE lot SET retired = 1 WHERE id = ?", (lot_id,))  # retiring stays allowed
    conn.commit()
    conn.close()
    ctx = _open(str(path))
    assert verify_database(ctx).ok
    ctx.close()
