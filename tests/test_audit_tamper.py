"""A careful attacker with the database file and a SQL shell, against `tpi-notes verify` (product.md §9).

tests/test_integrity.py already runs the command on an untouched clinic (exit 0), on an edited and on a
deleted audit event (exit 1, the event named) — with the lock trigger still dropped, so the missing trigger
alone would fail the check. Here the attacker puts the trigger back, or recomputes the hash of the event
they changed: the chain alone must still give them away, by event number, every time verify runs.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest
from test_integrity import verify

from tpi_notes.domain.audit import AuditEntry, chain_hash
from tpi_notes.services import patients, sessions
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo

pytestmark = pytest.mark.slow  # each check runs the command line in a subprocess


@pytest.fixture
def clinic(ctx: AppContext) -> AppContext:
    """A small demo clinic and a trail of eleven events: the demo's, then views of patients and sessions."""
    build_demo(ctx, patients=6, sessions=20, seed=2)
    for n in range(1, 6):
        patients.get_patient(ctx, n)
        sessions.get_session(ctx, n)
    return ctx


def _tamper(db: Path, trigger: str, *statements: tuple[str, tuple]) -> None:
    """Drop ``trigger``, run the statements, and create the trigger again exactly as it was."""
    with closing(sqlite3.connect(db)) as conn:
        (create,) = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                 (trigger,)).fetchone()
        conn.execute(f"DROP TRIGGER {trigger}")
        for sql, args in statements:
            conn.execute(sql, args)
        conn.execute(create)
        conn.commit()


def _event(db: Path, event_id: int) -> tuple:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT at, actor, user_id, action, entity, entity_id, patient_id, detail, prev_hash"
                            " FROM audit_event WHERE id = ?", (event_id,)).fetchone()


def _failed_on(db: Path, *lines: str) -> str:
    result = verify(db)
    assert result.returncode == 1, result.stdout + result.stderr
    for line in lines:
        assert line in result.stdout, result.stdout
    assert "LOCK trigger" not in result.stdout  # the triggers are all back: the chain alone tells
    assert result.stderr.startswith("tpi-notes: verification failed") and "Traceback" not in result.stderr
    return result.stdout


def test_an_edited_detail_is_named_though_the_lock_is_back(clinic: AppContext, db_path: Path) -> None:
    assert verify(db_path).returncode == 0
    _tamper(db_path, "trg_audit_event_update_locked",
            ("UPDATE audit_event SET detail = 'nothing to see' WHERE id = 6", ()))
    out = _failed_on(db_path, "AUDIT event 6: its content does not match its hash (the event was changed)")
    assert out.count("AUDIT event") == 1
    # Running verify again does not paper over it: its own event links on, the changed one stays changed.
    _failed_on(db_path, "AUDIT event 6: its content does not match its hash")
    with closing(sqlite3.connect(db_path)) as conn:
        details = [d for (d,) in conn.execute("SELECT detail FROM audit_event WHERE action = 'verify' ORDER BY id")]
    assert details[0].endswith("all intact") and all("1 audit problems" in d for d in details[1:])
    assert len(details) == 3


def test_an_edit_with_its_hash_recomputed_breaks_the_next_link(clinic: AppContext, db_path: Path) -> None:
    at, actor, user_id, action, entity, entity_id, patient_id, _detail, prev_hash = _event(db_path, 6)
    forged = AuditEntry(at=datetime.fromisoformat(at), actor=actor, user_id=user_id, action=action, entity=entity,
                        entity_id=entity_id, patient_id=patient_id, detail="nothing to see", prev_hash=prev_hash)
    _tamper(db_path, "trg_audit_event_update_locked",
            ("UPDATE audit_event SET detail = ?, hash = ? WHERE id = 6", (forged.detail, chain_hash(forged))))
    out = _failed_on(db_path, "AUDIT event 7: does not link to the event before it")
    assert "AUDIT event 6" not in out  # event 6 is self-consistent now; its successor gives it away


def test_a_deleted_event_in_the_middle_is_named_though_the_lock_is_back(clinic: AppContext, db_path: Path) -> None:
    _tamper(db_path, "trg_audit_event_delete_locked", ("DELETE FROM audit_event WHERE id = 5", ()))
    out = _failed_on(db_path, "AUDIT event 6: does not link to the event before it (an event was deleted or changed)")
    assert "Checked" in out and "audit events." in out
