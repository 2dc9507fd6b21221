"""Refused means untouched (issue 12 item 5): a file that is not a tpi-notes database, or an older one, is
refused by every command before anything is written; `upgrade` is the one command that migrates; a damaged
file is found by `PRAGMA quick_check` in `verify` and `backup`."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tpi_notes import cli
from tpi_notes.db.migrate import head_revision


def _previous_revision() -> str:
    from alembic.script import ScriptDirectory

    from tpi_notes.db.migrate import alembic_config

    down = ScriptDirectory.from_config(alembic_config()).get_revision(head_revision()).down_revision
    assert isinstance(down, str)
    return down


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real demo clinic (WAL mode, checkpointed: no -wal or -shm beside it)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    assert cli.main(["demo", "--db", str(path), "--patients", "3", "--sessions", "6"]) == 0
    assert sorted(p.name for p in path.parent.iterdir()) == ["demo.sqlite"]
    return path


def _foreign(path: Path, *, wal: bool) -> None:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    conn.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    conn.commit()
    conn.close()


def _no_tables(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("DROP TABLE t")
    conn.commit()
    conn.close()


def _truncated(fraction: float) -> Callable[[Path, Path], None]:
    def make(path: Path, demo: Path) -> None:
        data = demo.read_bytes()
        path.write_bytes(data[: int(len(data) * fraction)])
    return make


KINDS: dict[str, Callable[[Path, Path], None]] = {
    "foreign SQLite": lambda p, _d: _foreign(p, wal=False),
    "foreign SQLite in WAL mode": lambda p, _d: _foreign(p, wal=True),
    "zero-length": lambda p, _d: p.write_bytes(b""),
    "text": lambda p, _d: p.write_text("patients.xlsx exported as text\n" * 50),
    # Shorter than SQLite's smallest page: SQLite itself reads these as an empty database (demo rewrote them)
    "one byte": lambda p, _d: p.write_bytes(b"Z"),
    "short text": lambda p, _d: p.write_text("not a database\n"),
    "random bytes": lambda p, _d: p.write_bytes(random.Random(12).randbytes(8192)),
    "SQLite header then garbage": lambda p, _d: p.write_bytes(b"SQLite format 3\x00"
                                                              + random.Random(5).randbytes(8176)),
    "truncated (first 10 kB)": lambda p, d: p.write_bytes(d.read_bytes()[:10_000]),
    "truncated (first half)": _truncated(0.5),
    "truncated (last page missing)": lambda p, d: p.write_bytes(d.read_bytes()[:-4096]),
    "directory": lambda p, _d: p.mkdir(),
    "missing": lambda _p, _d: None,
    "SQLite without tables": lambda p, _d: _no_tables(p),
}
# Only these make a new clinic, and only from a missing, zero-length or table-less file.
CREATORS = {"demo", "app"}
MAY_CREATE = {"zero-length", "missing", "SQLite without tables"}


def _commands(db: Path, out: Path) -> dict[str, list[str]]:
    return {
        "note": ["note", "--db", str(db), "1", "-o", str(out / "note.pdf")],
        "aftercare": ["aftercare", "--db", str(db), "1", "-o", str(out / "aftercare.pdf")],
        "export": ["export", "--db", str(db), "--format", "csv", "-o", str(out / "x.csv")],
        "verify": ["verify", "--db", str(db)],
        "backup": ["backup", "--db", str(db), "-o", str(out / "copy.sqlite")],
        "anchor": ["anchor", "--db", str(db), "-o", str(out / "anchor.json")],
        "check-printout": ["check-printout", "--db", str(db), "1", "0123456789abcdef"],
        "upgrade": ["upgrade", "--db", str(db)],
        "demo": ["demo", "--db", str(db), "--patients", "3", "--sessions", "1"],
        "app": ["--db", str(db)],
    }


READ_ONLY = ("note", "aftercare", "export", "verify", "backup", "anchor", "check-printout")
COMMANDS = (*READ_ONLY, "upgrade", "demo", "app")


def _state(folder: Path) -> dict[str, object]:
    """Every entry of ``folder``: bytes and modification time of files, the listing of folders."""
    found: dict[str, object] = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            found[entry.name] = ("folder", sorted(p.name for p in entry.iterdir()))
        else:
            found[entry.name] = (entry.read_bytes(), entry.stat().st_mtime_ns)
    return found


@pytest.fixture
def no_app(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Opening the app stops where the window would open (the refusal must come before)."""
    import tpi_notes.ui.app
    from tpi_notes.ui import unlock_dialog

    opened: list[object] = []
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(tpi_notes.ui.app, "run_app", lambda ctx, argv=None, window=None: opened.append(ctx) or 0)
    # Random bytes may be an encrypted clinic: the app asks its passphrase, and the person cancels.
    monkeypatch.setattr(unlock_dialog, "ask_passphrase", lambda dialog: None)
    return opened


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_file_that_is_not_a_clinic_is_refused_untouched(
        kind: str, command: str, demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        no_app: list[object]) -> None:
    if command in CREATORS and kind in MAY_CREATE:
        pytest.skip("demo and the app make a new clinic here")
    folder, out = tmp_path / "db", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    db = folder / "clinic.sqlite"
    KINDS[kind](db, demo_file)
    before = _state(folder)

    code, stdout, stderr = _run(_commands(db, out)[command], capsys)

    assert code == 1, (stdout, stderr)
    assert stderr.startswith("tpi-notes: ") and stderr.count("\n") == 1, stderr
    assert "unexpected error" not in stderr and "Traceback" not in stderr, stderr
    assert _state(folder) == before, f"{kind} changed by {command}: {sorted(_state(folder))}"
    assert list(out.iterdir()) == []
    assert no_app == []


@pytest.mark.parametrize("kind", ["zero-length", "missing"])
def test_read_only_commands_explain_an_empty_or_missing_file(
        kind: str, demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "clinic.sqlite"
    KINDS[kind](db, demo_file)
    code, _out, stderr = _run(["verify", "--db", str(db)], capsys)
    assert code == 1
    assert ("is empty; it is not a tpi-notes database" if kind == "zero-length" else "does not exist") in stderr


@pytest.mark.parametrize("command", ["demo", "app"])
def test_demo_and_the_app_still_make_a_clinic_of_a_zero_length_file(
        command: str, demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        no_app: list[object]) -> None:
    db = tmp_path / "clinic.sqlite"
    db.write_bytes(b"")
    code, _out, stderr = _run(_commands(db, tmp_path)[command], capsys)
    assert code == 0, stderr
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)
    conn.close()


@pytest.fixture
def older_file(tmp_path: Path) -> Path:
    """A clinic file as the previous release left it: schema one revision behind, WAL mode, closed cleanly."""
    from alembic import command
    from sqlalchemy import create_engine

    from tpi_notes.db.migrate import alembic_config

    folder = tmp_path / "db"
    folder.mkdir()
    path = folder / "clinic.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, _previous_revision())
    engine.dispose()
    assert sorted(p.name for p in folder.iterdir()) == ["clinic.sqlite"]
    return path


@pytest.mark.parametrize("command", READ_ONLY)
def test_read_only_commands_never_migrate_an_older_clinic(
        command: str, older_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    before = _state(older_file.parent)
    code, stdout, stderr = _run(_commands(older_file, out)[command], capsys)
    assert code == 1, (stdout, stderr)
    assert stderr.count("\n") == 1 and f"tpi-notes upgrade --db {older_file}" in stderr, stderr
    assert _previous_revision() in stderr
    assert _state(older_file.parent) == before
    assert list(out.iterdir()) == []


def test_upgrade_backs_up_then_upgrades_and_says_so(older_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _previous_revision()
    code, stdout, stderr = _run(["upgrade", "--db", str(older_file)], capsys)
    assert code == 0, stderr
    backups = [p for p in older_file.parent.iterdir() if ".before-upgrade-" in p.name]
    assert len(backups) == 1 and old in backups[0].name
    assert f"from revision {old} to {head_revision()}" in stdout and str(backups[0]) in stdout, stdout
    copy = sqlite3.connect(backups[0])
    assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == (old,)
    copy.close()
    conn = sqlite3.connect(older_file)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)
    conn.close()
    # now current: the read-only commands work, and a second upgrade has nothing to do
    assert _run(["verify", "--db", str(older_file)], capsys)[0] == 0
    code, stdout, _err = _run(["upgrade", "--db", str(older_file)], capsys)
    assert code == 0 and "already at the current revision" in stdout and head_revision() in stdout
    assert len([p for p in older_file.parent.iterdir() if ".before-upgrade-" in p.name]) == 1


def test_upgrade_is_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "upgrade" in capsys.readouterr().out


def damage(path: Path, table: str = "procedure_session") -> None:
    """Overwrite one b-tree leaf page of ``table`` with garbage (the file must be checkpointed)."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    leaf = conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
                        (table,)).fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    start = (leaf - 1) * page_size
    data[start:start + page_size] = b"\xa5" * page_size
    path.write_bytes(bytes(data))


@pytest.fixture
def damaged_file(demo_file: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "db"
    folder.mkdir()
    path = folder / "clinic.sqlite"
    path.write_bytes(demo_file.read_bytes())
    damage(path)
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        conn.execute("PRAGMA quick_check").fetchall()
    conn.close()
    return path


def test_verify_reports_a_damaged_file_loudly(damaged_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _state(damaged_file.parent)
    code, stdout, stderr = _run(["verify", "--db", str(damaged_file)], capsys)
    assert code == 1
    assert "DAMAGED" in stderr and "quick_check" in stderr and "unexpected error" not in stderr, stderr
    assert stdout.startswith("DAMAGED: ") and "malformed" in stdout  # SQLite's own findings, one a line
    assert _state(damaged_file.parent) == before  # not even an audit event is written into a damaged file


def test_backup_refuses_to_copy_a_damaged_file(damaged_file: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    before = _state(damaged_file.parent)
    code, _stdout, stderr = _run(["backup", "--db", str(damaged_file), "-o", str(out / "copy.sqlite")], capsys)
    assert code == 1
    assert "DAMAGED DATABASE" in stderr and "nothing was written: a copy of a damaged file" in stderr, stderr
    assert list(out.iterdir()) == []
    assert _state(damaged_file.parent) == before


def test_the_backup_service_refuses_a_damaged_file(demo_file: Path, tmp_path: Path) -> None:
    """The admin screen's backup (services.backup) checks the live file too, through the open engine."""
    from tpi_notes.services.backup import BackupError, backup_to
    from tpi_notes.services.context import open_clinic, os_user

    path = tmp_path / "clinic.sqlite"
    path.write_bytes(demo_file.read_bytes())
    ctx = open_clinic(str(path), principal=os_user())
    try:
        ctx.engine.dispose()  # the damage is done to the checkpointed file, as a disk would
        damage(path, "site")
        with pytest.raises(BackupError, match="DAMAGED DATABASE.*nothing was written"):
            backup_to(ctx, tmp_path / "copy.sqlite")
    finally:
        ctx.close()
    assert not (tmp_path / "copy.sqlite").exists()
