"""Tampering behind the app's back is caught: by `tpi-notes verify`, in the patient's session list, per session."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS

from tpi_notes.db.repositories import session_records
from tpi_notes.db.repositories import sessions as session_repo
from tpi_notes.domain.signing import record_content
from tpi_notes.services import integrity
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.demo import build_demo
from tpi_notes.services.patients import list_patient_sessions

ROOT = Path(__file__).resolve().parents[1]


def verify(db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "verify", "--db", str(db)], capture_output=True,
                          text=True, env=dict(os.environ), timeout=300)


@pytest.fixture
def clinic(ctx: AppContext) -> AppContext:
    build_demo(ctx, patients=20, sessions=200, seed=3)
    return ctx


def _sql(db: Path, *statements: tuple[str, tuple]) -> None:
    """Change the file as someone with a SQL shell would: drop the lock, then edit."""
    conn = sqlite3.connect(db)
    try:
        for sql, args in statements:
            conn.execute(sql, args)
        conn.commit()
    finally:
        conn.close()


def _signed_with_sites(db: Path) -> tuple[int, int, str, str]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT s.id, s.patient_id, p.mrn, t.side FROM procedure_session s"
                            " JOIN patient p ON p.id = s.patient_id JOIN site t ON t.session_id = s.id AND t.number = 1"
                            " WHERE s.status = 'signed' ORDER BY s.id LIMIT 1 OFFSET 3").fetchone()
    finally:
        conn.close()


def test_an_untouched_demo_clinic_verifies(clinic: AppContext, db_path: Path) -> None:
    report = integrity.verify_database(clinic)
    assert report.ok and report.sessions_checked > 150 and report.audit_events_checked >= 1
    assert integrity.tampered_session_ids(clinic) == set()
    result = verify(db_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Checked {report.sessions_checked} signed sessions" in result.stdout
    assert "check out" in result.stdout and result.stderr == ""
    conn = sqlite3.connect(db_path)
    last = conn.execute("SELECT action, entity, actor FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    assert last[:2] == ("verify", "database") and last[2].startswith("os:")
    assert verify(db_path).returncode == 0  # its own audit event keeps the chain intact


def test_a_signed_session_changed_behind_the_apps_back_is_caught(clinic: AppContext, db_path: Path) -> None:
    sid, patient_id, mrn, side = _signed_with_sites(db_path)
    other = {"L": "R", "R": "L"}[side]
    assert integrity.session_is_intact(clinic, sid)
    _sql(db_path, ("DROP TRIGGER trg_site_update_locked", ()),
         ("UPDATE site SET side = ? WHERE session_id = ? AND number = 1", (other, sid)))

    assert not integrity.session_is_intact(clinic, sid)
    assert integrity.tampered_session_ids(clinic) == {sid}
    assert integrity.tampered_session_ids(clinic, patient_id) == {sid}
    rows = list_patient_sessions(clinic, patient_id)
    assert [r.id for r in rows if r.tampered] == [sid]
    report = integrity.verify_database(clinic)
    assert not report.ok and [(t[0], t[1]) for t in report.tampered] == [(sid, mrn)]
    assert report.missing_locks == ["trg_site_update_locked"]

    result = verify(db_path)
    assert result.returncode == 1
    assert f"TAMPERED session {sid} (patient MRN {mrn})" in result.stdout
    assert "trg_site_update_locked is missing" in result.stdout
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_changed_session_field_or_deleted_diagnosis_is_caught(clinic: AppContext, db_path: Path) -> None:
    sid, *_ = _signed_with_sites(db_path)
    conn = sqlite3.connect(db_path)
    second = conn.execute("SELECT id FROM procedure_session WHERE status = 'signed' AND id > ? ORDER BY id LIMIT 1",
                          (sid,)).fetchone()[0]
    conn.close()
    _sql(db_path, ("DROP TRIGGER trg_procedure_session_update_locked", ()),
         ("DROP TRIGGER trg_session_diagnosis_delete_locked", ()),
         ("UPDATE procedure_session SET pain_after = 0 WHERE id = ?", (sid,)),
         ("DELETE FROM session_diagnosis WHERE session_id = ?", (second,)))
    assert integrity.tampered_session_ids(clinic) == {sid, second}


def test_a_changed_addendum_is_caught(clinic: AppContext, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    aid, sid = conn.execute("SELECT id, session_id FROM addendum ORDER BY id LIMIT 1").fetchone()
    conn.close()
    assert integrity.session_is_intact(clinic, sid)
    _sql(db_path, ("DROP TRIGGER trg_addendum_update_locked", ()),
         ("UPDATE addendum SET text = 'Nothing to add.' WHERE id = ?", (aid,)))
    assert not integrity.session_is_intact(clinic, sid)
    report = integrity.verify_database(clinic)
    assert [t[0] for t in report.tampered] == [sid] and f"{aid}" in report.tampered[0][2]


@pytest.mark.parametrize("change", ["edit", "delete"])
def test_an_edited_or_deleted_audit_event_is_caught(clinic: AppContext, db_path: Path, change: str) -> None:
    from tpi_notes.services.sessions import get_session

    for sid in (1, 2, 3):
        get_session(clinic, sid)  # three more audited views: events 2, 3, 4
    assert integrity.verify_database(clinic).ok
    drop = "DROP TRIGGER trg_audit_event_update_locked" if change == "edit" else \
        "DROP TRIGGER trg_audit_event_delete_locked"
    statement = ("UPDATE audit_event SET actor = 'os:someone-else' WHERE id = 3" if change == "edit"
                 else "DELETE FROM audit_event WHERE id = 3")
    _sql(db_path, (drop, ()), (statement, ()))
    report = integrity.verify_database(clinic)
    expected = 3 if change == "edit" else 4  # a deleted event breaks the link of the one after it
    assert expected in [event for event, _reason in report.audit_problems]
    result = verify(db_path)
    assert result.returncode == 1 and f"AUDIT event {expected}:" in result.stdout


def test_a_signed_session_deleted_since_its_signature_is_named(clinic: AppContext, db_path: Path) -> None:
    """The audit trail says it was signed; the database no longer has it."""
    from tpi_notes.db.repositories import audit

    sid, patient_id, mrn, _side = _signed_with_sites(db_path)
    with clinic.transaction() as s:
        audit.append(s, actor="os:test", action="sign", entity="session", entity_id=sid, patient_id=patient_id)
    assert integrity.verify_database(clinic).ok
    _sql(db_path, ("PRAGMA foreign_keys = OFF", ()), ("DROP TRIGGER trg_procedure_session_delete_locked", ()),
         ("DROP TRIGGER trg_addendum_delete_locked", ()),
         ("DELETE FROM addendum WHERE session_id = ?", (sid,)),
         ("DELETE FROM procedure_session WHERE id = ?", (sid,)))
    report = integrity.verify_database(clinic)
    assert [(t[0], t[1]) for t in report.tampered] == [(sid, mrn)]
    assert "no longer signed" in report.tampered[0][2]


def test_batch_reading_matches_load_exactly(clinic: AppContext) -> None:
    """verify reads sessions in batches; what it hashes must be exactly what load() gives."""
    with clinic.transaction() as s:
        ids = [sid for sid, _ in session_repo.signed_page(s, 0, 10_000)]
        drafts = [1, 2, 3]
        batch = session_repo.records_for_checking(s, ids + drafts)
        for sid in ids + drafts:
            single = session_records.load(s, sid)
            assert single is not None
            assert record_content(batch[sid]) == record_content(single), sid
            assert batch[sid].addenda == single.addenda and batch[sid].status == single.status
    assert len(ids) > 150


def test_verify_usage_errors_and_a_missing_file(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "verify"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "--db" in result.stderr
    missing = tmp_path / "nope.db"
    result = verify(missing)
    assert result.returncode == 1 and "does not exist" in result.stderr and not missing.exists()


def test_a_draft_is_always_intact(clinic: AppContext, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    draft = conn.execute("SELECT id FROM procedure_session WHERE status = 'draft' LIMIT 1").fetchone()[0]
    conn.execute("UPDATE procedure_session SET pain_after = 0 WHERE id = ?", (draft,))
    conn.commit()
    conn.close()
    assert integrity.session_is_intact(clinic, draft)
    ctx = open_clinic(str(db_path), principal=ALL_PERMISSIONS)
    assert draft not in integrity.tampered_session_ids(ctx)
    ctx.close()


def test_a_draft_without_a_physician_is_still_listed(clinic: AppContext, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    draft, patient_id = conn.execute("SELECT id, patient_id FROM procedure_session WHERE status = 'draft'"
                                     " LIMIT 1").fetchone()
    conn.execute("UPDATE procedure_session SET physician_id = NULL WHERE id = ?", (draft,))
    conn.commit()
    conn.close()
    rows = {r.id: r for r in list_patient_sessions(clinic, patient_id)}
    assert draft in rows and rows[draft].physician == "" and not rows[draft].tampered
