"""Backups: a checked copy that opens as the same clinic, written whole or not at all; `tpi-notes backup`."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS

from tpi_notes.domain.permissions import PermissionDenied, Principal
from tpi_notes.services import patients
from tpi_notes.services.backup import BackupError, backup_to
from tpi_notes.services.context import AppContext, open_clinic, os_user
from tpi_notes.services.demo import build_demo

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=300)


def _count(path: Path, sql: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def _audit(path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT actor, action, detail FROM audit_event ORDER BY id").fetchall()
    finally:
        conn.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def demo(ctx: AppContext) -> AppContext:
    build_demo(ctx, patients=20, sessions=60, seed=4)
    return ctx


def test_the_backup_opens_as_the_same_clinic(demo: AppContext, db_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "copies" / "tpi-notes-backup-2026-11-01.sqlite"
    target.parent.mkdir()
    demo.act_as(os_user())  # the command line's principal may back up
    result = backup_to(demo, target)
    assert (result.path, result.patients, result.sessions) == (target, 20, 60)
    assert result.size_bytes == target.stat().st_size > 0
    assert "20 patients and 60 sessions" in result.summary and "integrity check passed" in result.summary
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name, target.name + ".anchor.json"]  # one self-contained file
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        conn.close()
    copy = open_clinic(str(target), principal=ALL_PERMISSIONS)
    try:
        assert len(patients.search_patients(copy, "", limit=1000)) == 20
    finally:
        copy.close()
    actor, action, detail = _audit(db_path)[-1]
    assert (actor, action) == (os_user().actor, "backup") and str(target) in detail


def test_a_second_backup_replaces_the_first(demo: AppContext, tmp_path: Path) -> None:
    target = tmp_path / "b.sqlite"
    target.write_bytes(b"an older backup")
    backup_to(demo, target)
    assert _count(target, "SELECT count(*) FROM patient") == 20


def test_a_corrupt_database_leaves_the_target_as_it_was(tmp_path: Path) -> None:
    source = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(source), principal=ALL_PERMISSIONS)
    build_demo(ctx, patients=20, sessions=60, seed=4)
    root = _count(source, "SELECT rootpage FROM sqlite_master WHERE name = 'ix_patient_name'")
    page = _count(source, "PRAGMA page_size")
    ctx.close()
    data = bytearray(source.read_bytes())
    data[root * page - 500:root * page] = b"A" * 500  # the index's cells, as a failing disk might leave them
    source.write_bytes(bytes(data))
    target = tmp_path / "backup.sqlite"
    target.write_bytes(b"yesterday's good backup")
    ctx = open_clinic(str(source), principal=ALL_PERMISSIONS)
    try:
        with pytest.raises(BackupError, match="nothing was written"):
            backup_to(ctx, target)
    finally:
        ctx.close()
    assert target.read_bytes() == b"yesterday's good backup"
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == ["backup.sqlite"]


def test_targets_that_cannot_be_written(ctx: AppContext, db_path: Path, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="does not exist"):
        backup_to(ctx, tmp_path / "missing" / "b.sqlite")
    with pytest.raises(BackupError, match="is a folder"):
        backup_to(ctx, tmp_path)
    before = _digest(db_path)
    with pytest.raises(BackupError, match="own database file"):
        backup_to(ctx, db_path)
    assert _digest(db_path) == before


def test_a_server_database_is_backed_up_with_pg_dump(ctx: AppContext, tmp_path: Path) -> None:
    server = AppContext("postgresql+psycopg://clinic@db.example/tpi", ctx.engine, ctx.factory, ctx.principal)
    with pytest.raises(BackupError, match="pg_dump"):
        backup_to(server, tmp_path / "b.sqlite")
    assert not (tmp_path / "b.sqlite").exists()


@pytest.mark.parametrize("role", ["physician", "nurse"])
def test_physicians_and_nurses_may_not_back_up(demo: AppContext, db_path: Path, tmp_path: Path, role: str) -> None:
    events = len(_audit(db_path))
    demo.act_as(Principal.for_user(2 if role == "physician" else 5, "someone", "Some One", (role,)))
    with pytest.raises(PermissionDenied, match="may not back up"):
        backup_to(demo, tmp_path / "b.sqlite")
    assert not (tmp_path / "b.sqlite").exists() and len(_audit(db_path)) == events


def test_an_admin_may_back_up(demo: AppContext, tmp_path: Path) -> None:
    demo.act_as(Principal.for_user(8, "lgrant", "Lena Grant", ("admin",)))
    assert backup_to(demo, tmp_path / "b.sqlite").patients == 20


# -- the command line ------------------------------------------------------------------------------------------

def test_cli_backup_exit_codes(tmp_path: Path) -> None:
    db = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(db), principal=ALL_PERMISSIONS)
    build_demo(ctx, patients=5, sessions=10, seed=2)
    ctx.close()
    out = tmp_path / "out.sqlite"

    ok = run("backup", "--db", str(db), "-o", str(out))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("\n") == 1 and "5 patients and 10 sessions" in ok.stdout and ok.stderr == ""
    assert _count(out, "SELECT count(*) FROM patient") == 5
    assert _audit(db)[-1][1] == "backup"

    for args, words, code in (
        (("--db", str(tmp_path / "missing.sqlite"), "-o", str(tmp_path / "x.sqlite")), "does not exist", 1),
        (("--db", str(db), "-o", str(tmp_path / "no-folder" / "x.sqlite")), "does not exist", 2),  # usage
        (("--db", str(db), "-o", str(tmp_path)), "is a folder", 2),
        (("--db", "postgresql+psycopg://clinic@db.example/tpi", "-o", str(tmp_path / "x.sqlite")), "pg_dump", 1),
    ):
        failed = run("backup", *args)
        assert failed.returncode == code, failed.stdout
        assert failed.stderr.count("\n") == 1 and words in failed.stderr and "Traceback" not in failed.stderr
    assert not (tmp_path / "missing.sqlite").exists() and not (tmp_path / "x.sqlite").exists()

    usage = run("backup", "--db", str(db))
    assert usage.returncode == 2 and usage.stderr.count("\n") == 1 and "-o" in usage.stderr


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="root writes into read-only folders")
def test_cli_backup_to_a_read_only_folder(tmp_path: Path) -> None:
    db = tmp_path / "clinic.sqlite"
    open_clinic(str(db), principal=ALL_PERMISSIONS).close()
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        failed = run("backup", "--db", str(db), "-o", str(folder / "x.sqlite"))
    finally:
        folder.chmod(0o700)
    assert failed.returncode == 2 and "not writable" in failed.stderr  # a usage error, told before anything
