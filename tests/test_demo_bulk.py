"""The demo's bulk path (issue 19: 100,000 sessions in a minute) stores what the ORM would, and leaves the schema whole.

db/bulk_writer.py hands plain tuples to the driver after SQLAlchemy's own bind processors, and while a new file is
filled it sets the session tables' indexes and guard triggers aside and puts them back from their stored SQL. These
tests read the file with plain sqlite3, as `tpi-notes verify` and a later app version would see it.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS
from sqlalchemy import insert

from tpi_notes.db.bulk_writer import BulkWriter
from tpi_notes.db.models import Patient, ProcedureSession, User
from tpi_notes.services import demo_sessions
from tpi_notes.services.context import open_clinic
from tpi_notes.services.demo import build_demo

GUARDS = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name"


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _patient(pid: int, shared: dict) -> dict:
    return {"id": pid, "mrn": f"M{pid}", "family_name": "Ødegård", "given_name": "Thị Ánh", "search_key": "x",
            "birth_date": date(1961, 2, 3), "sex": "female", "weight_kg": 70.25, "weight_date": date(2026, 1, 5),
            "phone": "", "language": "en", "allergies": [{"substance": "latex", "kind": "allergy"}],
            "anticoagulant": "", "bleeding_disorder": False, "diabetes": True, "insulin": False, "pregnant": False,
            "breastfeeding": False, "immunosuppressed": False, "implanted_device": True, "row_version": 1,
            "history": shared, "created_at": datetime(2023, 9, 1, 7, 30), "updated_at": datetime(2023, 9, 1, 7, 30)}


def test_bulk_rows_are_stored_exactly_as_core_stores_them(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    shared = {"diabetes": {"state": "yes", "recorded_at": "2023-09-01T07:30:00"}}  # one object in both rows
    with ctx.transaction() as s:
        conn = s.connection()
        conn.execute(insert(User), [{"id": 1, "username": "a", "full_name": "A", "credentials": "MD",
                                     "password_hash": "x", "active": True, "failed_attempts": 0}])
        conn.execute(insert(Patient), [_patient(1, shared), _patient(2, shared)])
        writer = BulkWriter(conn)
        writer.insert(Patient.__table__, [_patient(3, shared), _patient(4, shared)])
        session = {"patient_id": 1, "performed_start": datetime(2026, 3, 4, 9, 15),
                   "performed_end": datetime(2026, 3, 4, 9, 45, 12, 345678), "physician_id": 1,
                   "exam_findings": [{"region_code": "r", "twitch": True}], "consent_risks": ["infection"],
                   "timeout_done": True, "timeout_at": None, "status": "draft", "atlas_version": "1",
                   "signed_context": shared, "row_version": 1, "content_version": None,
                   **dict.fromkeys(("location", "indication", "conservative_care", "consent_form_id", "position",
                                    "antisepsis", "complications", "tolerance", "blood_loss", "respiratory_check",
                                    "disposition", "follow_up", "comments", "formulary_version",
                                    "aftercare_version"), "")}
        conn.execute(insert(ProcedureSession), [dict(session, id=1)])
        writer.insert(ProcedureSession.__table__, [dict(session, id=2)])
    ctx.close()
    patients = _rows(path, "SELECT * FROM patient ORDER BY id")
    assert [row[2:] for row in patients[2:]] == [row[2:] for row in patients[:2]]  # all but id and mrn
    sessions = _rows(path, "SELECT * FROM procedure_session ORDER BY id")
    assert sessions[1][1:] == sessions[0][1:]
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    with ctx.read() as s:  # and the ORM reads them back as the values that were written
        bulk, core = s.get(Patient, 3), s.get(Patient, 1)
        assert (bulk.birth_date, bulk.history, bulk.allergies, bulk.implanted_device, bulk.weight_kg) == (
            core.birth_date, core.history, core.allergies, core.implanted_device, core.weight_kg)
        assert s.get(ProcedureSession, 2).performed_end == datetime(2026, 3, 4, 9, 45, 12, 345678)
    ctx.close()


def test_a_python_default_the_rows_leave_out_is_refused_not_silently_lost(tmp_path: Path) -> None:
    ctx = open_clinic(str(tmp_path / "d.sqlite"), principal=ALL_PERMISSIONS)
    with ctx.transaction() as s, pytest.raises(ValueError, match="exam_findings"):
        BulkWriter(s.connection()).insert(ProcedureSession.__table__, [{"id": 1, "patient_id": 1}])
    ctx.close()


def test_after_a_demo_every_index_and_guard_trigger_is_back_and_refuses(tmp_path: Path) -> None:
    fresh, built = tmp_path / "fresh.sqlite", tmp_path / "demo.sqlite"
    open_clinic(str(fresh), principal=ALL_PERMISSIONS).close()
    ctx = open_clinic(str(built), principal=ALL_PERMISSIONS)
    build_demo(ctx, patients=20, sessions=120, seed=5)
    ctx.close()
    assert _rows(built, GUARDS) == _rows(fresh, GUARDS)
    conn = sqlite3.connect(built)
    try:
        signed = conn.execute("SELECT id FROM procedure_session WHERE status = 'signed' LIMIT 1").fetchone()[0]
        with pytest.raises(sqlite3.IntegrityError, match="signed and locked"):
            conn.execute("INSERT INTO session_diagnosis (session_id, position, code, display) "
                         "VALUES (?, 9, 'M54.2', 'x')", (signed,))
        with pytest.raises(sqlite3.IntegrityError, match="signed and locked"):
            conn.execute("UPDATE procedure_session SET comments = 'changed' WHERE id = ?", (signed,))
        plan = " ".join(r[3] for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM site WHERE session_id = 5").fetchall())
        assert "USING INDEX" in plan
    finally:
        conn.close()


def test_a_build_that_fails_half_way_leaves_the_new_file_as_it_was(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "broken.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    before = _rows(path, GUARDS)
    made = demo_sessions.SessionMaker.patient_sessions
    calls = []

    def fail_later(self, patient, n, first_id):  # noqa: ANN001, ANN202 - the method's own signature
        calls.append(patient.id)
        if len(calls) > 15:
            raise RuntimeError("disk full")
        return made(self, patient, n, first_id)

    monkeypatch.setattr(demo_sessions.SessionMaker, "patient_sessions", fail_later)
    with pytest.raises(RuntimeError, match="disk full"):
        build_demo(ctx, patients=20, sessions=120, seed=5)
    ctx.close()
    assert _rows(path, GUARDS) == before
    assert _rows(path, "SELECT count(*) FROM patient") == [(0,)]
    assert _rows(path, "SELECT count(*) FROM procedure_session") == [(0,)]
    monkeypatch.undo()
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)  # and the same file then takes a demo
    assert build_demo(ctx, patients=20, sessions=120, seed=5).sessions == 120
    ctx.close()


def test_the_demos_stored_csv_rows_are_what_the_reference_path_works_out(tmp_path: Path) -> None:
    """The demo makes each signed session's stored CSV row from the values it writes (services/demo_export_rows.py);
    signing makes it by reading the session back (stored_export_rows.refresh). Same bytes, every row."""
    from tpi_notes.db.repositories import stored_export_rows

    path = tmp_path / "rows.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    build_demo(ctx, patients=40, sessions=400, seed=11)
    query = "SELECT session_id, format_version, payer_profile, head, tail FROM session_export_row ORDER BY 1"
    made = _rows(path, query)
    signed = _rows(path, "SELECT id FROM procedure_session WHERE status = 'signed' ORDER BY id")
    assert [r[0] for r in made] == [r[0] for r in signed] and len(made) > 350
    with ctx.transaction() as s:
        stored_export_rows.refresh(s, [r[0] for r in signed])
    ctx.close()
    assert _rows(path, query) == made
