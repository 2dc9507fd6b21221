"""Migration 0011 (issue 13 item 1): an existing clinic's allergy strings become coded entries, each the
substance exactly as typed, an allergy, stamped "migrated"; a brand name typed long ago now stops its agent; and
every signed note (its signed context holds the plain list) still verifies."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from alembic import command
from older_demo import build_demo_before_0017
from principals import ALL_PERMISSIONS
from sqlalchemy import create_engine

from tpi_notes.db.migrate import alembic_config, current_revision, head_revision, prepare_database
from tpi_notes.domain.allergies import MIGRATED, entries_of
from tpi_notes.services import integrity
from tpi_notes.services import patients as patient_service
from tpi_notes.services.context import open_clinic


def _downgrade_to_0010(path: Path) -> None:
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    engine.dispose()


def test_string_allergies_become_entries_and_signed_notes_verify(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    build_demo_before_0017(ctx, patients=30, sessions=90, seed=3)
    ctx.close()
    _downgrade_to_0010(path)  # the clinic as the release before 0011 left it: plain strings
    conn = sqlite3.connect(path)
    lists = [json.loads(raw) for (raw,) in conn.execute("SELECT allergies FROM patient")]
    assert all(isinstance(a, str) for lst in lists for a in lst) and any(lists)
    conn.execute("UPDATE patient SET allergies = '[\"Kenalog\", \"strawberries\"]' WHERE id = 1")
    conn.execute("UPDATE patient SET allergies = '[]' WHERE id = 2")
    stamp = conn.execute("SELECT updated_at FROM patient WHERE id = 1").fetchone()[0]
    conn.commit()
    conn.close()

    engine, backup = prepare_database(f"sqlite:///{path}")  # the start-up upgrade
    assert current_revision(engine) == head_revision() and backup is not None
    engine.dispose()

    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    try:
        one = patient_service.get_patient(ctx, 1)
        assert one.allergies == ("Kenalog", "strawberries")
        [kenalog, strawberries] = entries_of(one)
        assert (kenalog.substance, kenalog.kind, kenalog.reaction, kenalog.recorded_by) == \
            ("Kenalog", "allergy", "", MIGRATED)
        assert kenalog.recorded_at is not None and kenalog.recorded_at.isoformat() == stamp.replace(" ", "T")[:19]
        assert kenalog.resolution.agents == ("triamcinolone",) and not strawberries.resolution.coded
        assert patient_service.get_patient(ctx, 2).allergies == ()
        assert integrity.tampered_session_ids(ctx) == set()
    finally:
        ctx.close()
    conn = sqlite3.connect(path)
    stored = json.loads(conn.execute("SELECT allergies FROM patient WHERE id = 1").fetchone()[0])
    conn.close()
    assert stored[0] == {"substance": "Kenalog", "kind": "allergy", "reaction": "", "recorded_by": "migrated",
                         "recorded_at": stamp.replace(" ", "T")[:19]}
