"""Exports, PDFs, backups and anchors appear only when complete, and a `.NAME.partial` left by a killed run is
removed by the next write of that file (tpi_notes/atomic_output.py)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS

from tpi_notes import atomic_output
from tpi_notes.cli import main
from tpi_notes.domain.audit_query import AuditFilter
from tpi_notes.services.audit_trail import export_events_csv
from tpi_notes.services.backup import backup_to
from tpi_notes.services.context import open_clinic
from tpi_notes.services.exports import export_to_file
from tpi_notes.services.integrity import write_anchor

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def big_clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo clinic large enough that an export takes a while (built once for the module)."""
    root = tmp_path_factory.mktemp("atomic")
    db = root / "clinic.sqlite"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TPI_NOTES_DATA_DIR", str(root / "userdata"))
        assert main(["demo", "--db", str(db), "--patients", "300", "--sessions", "3000"]) == 0
    return db


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial") or "-journal" in p.name)


def _start_export(db: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "export", "--db", str(db), "--format", "fhir",
                             "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_mid_write(proc: subprocess.Popen[bytes], partial: Path) -> None:
    """kill -9 once the temporary holds some bytes (polled, never a fixed sleep)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if partial.exists() and partial.stat().st_size > 0:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the export finished before it could be killed"
    assert partial.stat().st_size > 0
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_a_killed_export_leaves_no_file_and_the_next_export_no_partial(big_clinic: Path, tmp_path: Path) -> None:
    out = tmp_path / "history.json"
    partial = tmp_path / ".history.json.partial"
    _kill_mid_write(_start_export(big_clinic, out), partial)
    assert not out.exists()  # a half export never appears under the name asked for
    assert _leftovers(tmp_path) == [".history.json.partial"]  # kill -9 cannot be caught: recognisable by name
    done = _start_export(big_clinic, out)
    assert done.wait(timeout=300) == 0, done.stderr.read() if done.stderr else ""
    assert _leftovers(tmp_path) == []
    assert out.read_bytes().rstrip().endswith(b"}")

    previous = out.read_bytes()
    _kill_mid_write(_start_export(big_clinic, out), partial)
    assert out.read_bytes() == previous  # the earlier complete export is still there, untouched
    assert main(["export", "--db", str(big_clinic), "--format", "fhir", "-o", str(out)]) == 0
    assert _leftovers(tmp_path) == []


@pytest.fixture
def ctx(big_clinic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setenv("TPI_NOTES_DATA_DIR", str(tmp_path / "userdata"))
    context = open_clinic(str(big_clinic), principal=ALL_PERMISSIONS)
    yield context
    context.close()


def _stale(target: Path) -> Path:
    """What a kill in the middle of writing ``target`` leaves behind."""
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(b"half of an earlier file")
    return partial


def test_every_writer_removes_the_stale_partial_of_its_target(ctx, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "out"
    out.mkdir()
    targets = {name: out / name for name in ("h.csv", "audit.csv", "copy.sqlite", "anchor.json", "note.pdf")}
    for target in targets.values():
        _stale(target)
    _stale(out / "copy.sqlite.anchor.json")  # the anchor written beside a backup
    export_to_file(ctx, "csv", targets["h.csv"])
    export_events_csv(ctx, AuditFilter(), targets["audit.csv"])
    backup_to(ctx, targets["copy.sqlite"])
    write_anchor(ctx, targets["anchor.json"])
    assert main(["note", "--db", str(ctx.database_path), "1", "-o", str(targets["note.pdf"])]) == 0
    assert _leftovers(out) == []
    assert all(t.stat().st_size > 1000 or t.name == "anchor.json" for t in targets.values())
    assert targets["note.pdf"].read_bytes().startswith(b"%PDF")


def test_a_backup_is_owner_only_and_a_failed_one_leaves_the_previous_copy(ctx, tmp_path: Path,  # noqa: ANN001
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "copy.sqlite"
    backup_to(ctx, target)
    assert target.stat().st_mode & 0o077 == 0
    previous = target.read_bytes()

    def full_disk(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic_output.os, "fsync", full_disk)
    with pytest.raises(Exception, match="No space left"):
        backup_to(ctx, target)
    assert target.read_bytes() == previous and _leftovers(tmp_path) == []


def test_a_write_that_fails_half_way_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("the complete earlier report\n")
    with pytest.raises(RuntimeError), atomic_output.atomic_file(target, "w", encoding="utf-8") as fh:
        fh.write("half of the new one")
        raise RuntimeError("the export failed")
    assert target.read_text() == "the complete earlier report\n"
    assert _leftovers(tmp_path) == []


def test_a_copy_by_path_that_fails_leaves_neither_copy_nor_temporary(tmp_path: Path) -> None:
    """SQLite's online backup writes to a path (services/backup.py, the copy before an upgrade in db/migrate.py)."""
    import sqlite3

    target = tmp_path / "clinic.before-upgrade-0009-20261203-010000.sqlite"
    with pytest.raises(sqlite3.OperationalError), atomic_output.atomic_path(target) as partial:
        conn = sqlite3.connect(partial)
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        conn.close()
        raise sqlite3.OperationalError("disk I/O error")  # the copy failed half-way
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    with atomic_output.atomic_path(target) as partial:
        sqlite3.connect(partial).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_a_device_or_pipe_is_never_replaced_by_a_plain_file(ctx, tmp_path: Path) -> None:  # noqa: ANN001
    """A rename over /dev/null would swap the device for a file; a pipe stands in for it here."""
    import stat

    from tpi_notes.domain.errors import TpiError

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(TpiError, match="not a regular file"):
        export_to_file(ctx, "csv", pipe)
    with pytest.raises(OSError, match="not a regular file"):
        atomic_output.write_bytes(pipe, b"%PDF-")
    assert stat.S_ISFIFO(os.stat(pipe).st_mode) and _leftovers(tmp_path) == []


def test_the_copy_before_an_upgrade_clears_a_half_copy_a_killed_start_up_left(tmp_path: Path) -> None:
    from test_migrations import _scripts_with_extra_revision

    from tpi_notes.db.migrate import prepare_database

    path = tmp_path / "clinic.sqlite"
    engine, _ = prepare_database(f"sqlite:///{path}")
    engine.dispose()
    stale = tmp_path / ".clinic.before-upgrade-0001-20261201-080000.sqlite.partial"
    stale.write_bytes(b"SQLite format 3\x00 and then nothing")
    engine, backup = prepare_database(f"sqlite:///{path}", _scripts_with_extra_revision(tmp_path))
    engine.dispose()
    assert backup is not None and backup.exists()
    assert _leftovers(tmp_path) == []
