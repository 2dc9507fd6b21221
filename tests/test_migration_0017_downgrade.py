"""Migration 0017's downgrade keeps every signature: a session signed with its ICD-10-CM set version (every one
saved since 0017) has that version under its hash, so dropping the column is refused, as 0012 and 0015 refuse
for their signed fields; a clinic signed before 0017 goes down and up again with every note verifying."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from older_demo import build_demo_before_0017, build_demo_before_0022
from principals import ALL_PERMISSIONS
from sqlalchemy import create_engine

from tpi_notes.db import sqlite_transactions
from tpi_notes.db.migrate import alembic_config, prepare_database
from tpi_notes.services import integrity
from tpi_notes.services.context import open_clinic


def _downgrade_to_0016(path: Path) -> None:
    engine = create_engine(f"sqlite:///{path}")
    sqlite_transactions.install(engine)  # BEGIN sent at once: a refused downgrade rolls back its DDL too
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0016")
    finally:
        engine.dispose()


def _columns(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [c[1] for c in conn.execute("PRAGMA table_info(procedure_session)")]
    finally:
        conn.close()


def test_the_downgrade_refuses_to_drop_a_signed_set_version(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    build_demo_before_0022(ctx, patients=3, sessions=4, seed=2)  # 0022 refuses first for signed outcomes
    ctx.close()
    with pytest.raises(RuntimeError, match="signed with their ICD-10-CM set version"):
        _downgrade_to_0016(path)
    assert "icd10_version" in _columns(path)
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    try:
        assert integrity.verify_database(ctx).ok
    finally:
        ctx.close()


def test_a_clinic_signed_before_0017_goes_down_and_up_with_its_notes_verifying(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    build_demo_before_0017(ctx, patients=3, sessions=6, seed=2)
    ctx.close()
    _downgrade_to_0016(path)
    assert "icd10_version" not in _columns(path)
    engine, _backup = prepare_database(f"sqlite:///{path}")
    engine.dispose()
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    try:
        report = integrity.verify_database(ctx)
        assert report.ok and report.sessions_checked > 0
    finally:
        ctx.close()
