"""Migration 0012 (issue 13 item 6): an existing clinic upgrades with its signatures verifying, sheets printed
before the upgrade are taken over from the audit trail onto the note, and the downgrade refuses to drop a patient
follow-up that a signature covers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from older_demo import build_demo_before_0017
from principals import ALL_PERMISSIONS
from sqlalchemy import create_engine
from test_report_support import flat, pdf_pages

from tpi_notes.db.migrate import alembic_config, current_revision, head_revision, prepare_database
from tpi_notes.services import documents, integrity
from tpi_notes.services.context import open_clinic


def _downgrade(path: Path, revision: str) -> None:
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
    finally:
        engine.dispose()


def _signed(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM procedure_session WHERE status = 'signed' ORDER BY id")]
    finally:
        conn.close()


def test_an_existing_clinic_upgrades_and_earlier_prints_reach_the_note(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    build_demo_before_0017(ctx, patients=6, sessions=12, seed=3)
    signed = _signed(path)
    documents.aftercare_pdf(ctx, signed[0], "es", large_print=True)  # audited as the release before 0012 did
    ctx.close()
    _downgrade(path, "0011")
    conn = sqlite3.connect(path)
    assert "follow_up_in" not in [c[1] for c in conn.execute("PRAGMA table_info(procedure_session)")]
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'aftercare_print'").fetchone() == (0,)
    conn.close()

    engine, backup = prepare_database(f"sqlite:///{path}")  # the start-up upgrade, with its backup copy
    assert current_revision(engine) == head_revision() and backup is not None
    engine.dispose()

    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    try:
        assert integrity.verify_database(ctx).ok
        assert all(integrity.session_is_intact(ctx, sid) for sid in signed)
        note = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, signed[0]))))
        assert "(Spanish, large print; text version 2) by test:fixture" in note
        other = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, signed[1]))))
        assert "Aftercare sheet not printed" in other
    finally:
        ctx.close()


def test_the_downgrade_keeps_a_signed_patient_follow_up(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    build_demo_before_0017(ctx, patients=3, sessions=4, seed=2)
    ctx.close()
    conn = sqlite3.connect(path)
    name = "trg_procedure_session_update_locked"  # set aside to stand in for a session signed with a follow-up
    trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    conn.execute(f"DROP TRIGGER {name}")
    conn.execute("UPDATE procedure_session SET follow_up_in = '2w' WHERE id = ?", (_signed(path)[0],))
    conn.execute(trigger)
    conn.commit()
    conn.close()
    with pytest.raises(RuntimeError, match="signed with a patient follow-up"):
        _downgrade(path, "0011")
