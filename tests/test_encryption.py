"""Encryption at rest with SQLCipher (issue 14 item 8): `tpi-notes encrypt` makes an encrypted copy that plain
SQLite cannot read; every command works on it with the key (TPI_NOTES_DB_KEY) and refuses it, untouched, in one
line without the key or with a wrong one; its backups and pre-upgrade copies are encrypted too."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tpi_notes import cli
from tpi_notes.db import encryption
from tpi_notes.db.encryption import ENV_KEY

KEY = "correct horse battery staple"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _state(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.fixture(autouse=True)
def _no_typed_passphrase() -> None:
    encryption.use_passphrase(None)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """A demo clinic, its encrypted copy (made by `tpi-notes encrypt`), and its patients' family names."""
    folder = tmp_path_factory.mktemp("clinic")
    demo, enc = folder / "demo.sqlite", folder / "enc" / "enc.sqlite"
    enc.parent.mkdir()
    assert cli.main(["demo", "--db", str(demo), "--patients", "4", "--sessions", "8"]) == 0
    os.environ[ENV_KEY] = KEY
    try:
        assert cli.main(["encrypt", "--db", str(demo), "-o", str(enc)]) == 0
    finally:
        del os.environ[ENV_KEY]
    conn = sqlite3.connect(demo)
    names = [row[0] for row in conn.execute("SELECT family_name FROM patient")]
    conn.close()
    return demo, enc, names


@pytest.fixture
def enc_copy(clinic: tuple[Path, Path, list[str]], tmp_path: Path) -> Path:
    """A fresh copy of the encrypted clinic for a test that writes to it."""
    folder = tmp_path / "db"
    folder.mkdir()
    target = folder / "enc.sqlite"
    shutil.copyfile(clinic[1], target)
    return target


def test_plain_sqlite_cannot_read_the_encrypted_copy(clinic: tuple[Path, Path, list[str]]) -> None:
    _demo, enc, names = clinic
    conn = sqlite3.connect(enc)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        conn.execute("SELECT count(*) FROM patient")
    conn.close()
    data = enc.read_bytes()
    assert not data.startswith(b"SQLite format 3")
    assert names and not any(name.encode("utf-8") in data for name in names)
    if shutil.which("sqlite3"):
        done = subprocess.run(["sqlite3", str(enc), "SELECT count(*) FROM patient"], capture_output=True,
                              text=True, check=False)
        assert done.returncode != 0 and "file is not a database" in done.stderr
    reader = encryption.connect(str(enc), KEY)
    assert reader.execute("SELECT count(*) FROM patient").fetchone() == (4,)
    reader.close()


@pytest.mark.parametrize("command", ["verify", "note", "export", "backup", "anchor", "aftercare"])
def test_commands_work_with_the_key(command: str, enc_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_KEY, KEY)
    out = tmp_path / "out"
    out.mkdir()
    args = _commands(enc_copy, out)[command]
    code, stdout, stderr = _run(args, capsys)
    assert code == 0, stderr
    assert stderr == ""
    if command == "verify":
        assert "Every signed session and the audit trail check out." in stdout
    written = [p for p in out.iterdir()]
    assert written or command == "verify"
    if command == "export":
        [csv] = written
        assert csv.read_text(encoding="utf-8-sig").count("\n") >= 9  # a header and the 8 sessions
    if command == "note":
        assert written[0].read_bytes().startswith(b"%PDF-")


def _commands(db: Path, out: Path) -> dict[str, list[str]]:
    return {
        "verify": ["verify", "--db", str(db)],
        "note": ["note", "--db", str(db), "1", "-o", str(out / "note.pdf")],
        "aftercare": ["aftercare", "--db", str(db), "1", "-o", str(out / "aftercare.pdf")],
        "export": ["export", "--db", str(db), "--format", "csv", "-o", str(out / "x.csv")],
        "backup": ["backup", "--db", str(db), "-o", str(out / "copy.sqlite")],
        "anchor": ["anchor", "--db", str(db), "-o", str(out / "anchor.json")],
        "upgrade": ["upgrade", "--db", str(db)],
        "check-printout": ["check-printout", "--db", str(db), "1", "0123456789abcdef"],
        "encrypt": ["encrypt", "--db", str(db), "-o", str(out / "again.sqlite")],
    }


@pytest.mark.parametrize("key", [None, "a wrong passphrase of some length"])
@pytest.mark.parametrize("command", ["verify", "note", "export", "backup", "anchor", "upgrade", "check-printout",
                                     "encrypt"])
def test_without_the_right_key_every_command_refuses_untouched(
        command: str, key: str | None, enc_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    if key is None:
        monkeypatch.delenv(ENV_KEY, raising=False)
    else:
        monkeypatch.setenv(ENV_KEY, key)
    out = tmp_path / "out"
    out.mkdir()
    before = _state(enc_copy.parent)
    code, _stdout, stderr = _run(_commands(enc_copy, out)[command], capsys)
    assert code == 1
    assert stderr.startswith("tpi-notes: ") and stderr.count("\n") == 1, stderr
    if command != "encrypt" or key is not None:
        expected = ("is encrypted (or is not a database at all); set TPI_NOTES_DB_KEY or enter the passphrase"
                    if key is None else "does not open with the key given")
        assert expected in stderr
    assert "unexpected" not in stderr and "ERROR CORE" not in stderr
    assert _state(enc_copy.parent) == before  # same bytes, same mtime, no -wal, -shm or -journal left
    assert list(out.iterdir()) == []


def test_a_backup_of_an_encrypted_clinic_is_encrypted(enc_copy: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_KEY, KEY)
    out = tmp_path / "backup.sqlite"
    assert cli.main(["backup", "--db", str(enc_copy), "-o", str(out)]) == 0
    conn = sqlite3.connect(out)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        conn.execute("SELECT count(*) FROM patient")
    conn.close()
    reader = encryption.connect(str(out), KEY)
    assert reader.execute("SELECT count(*) FROM patient").fetchone() == (4,)
    assert reader.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    reader.close()
    assert (out.parent / "backup.sqlite.anchor.json").exists()
    assert cli.main(["verify", "--db", str(out)]) == 0  # the backup opens as a clinic, with the same key


def test_every_sqlite_setting_applies_to_an_encrypted_clinic(enc_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tpi_notes.services.context import open_existing_clinic

    monkeypatch.setenv(ENV_KEY, KEY)
    ctx = open_existing_clinic(str(enc_copy))
    try:
        assert ctx.engine.dialect.driver == "pysqlcipher"
        with ctx.engine.connect() as conn:
            pragma: Callable[[str], object] = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert (pragma("journal_mode"), pragma("synchronous"), pragma("foreign_keys"),
                    pragma("busy_timeout")) == ("wal", 2, 1, 5000)
        with ctx.transaction() as s:  # BEGIN IMMEDIATE: the write lock is taken before the first read
            s.execute(__import__("sqlalchemy").text("SELECT 1"))
            other = encryption.connect(str(enc_copy), KEY)
            other.execute("PRAGMA busy_timeout=0")
            with pytest.raises(encryption.DATABASE_ERRORS, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
    finally:
        ctx.close()


def test_an_older_encrypted_clinic_upgrades_with_an_encrypted_copy(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from tpi_notes.db.migrate import alembic_config, head_revision

    plain, enc = tmp_path / "plain.sqlite", tmp_path / "clinic.sqlite"
    engine = create_engine(f"sqlite:///{plain}")
    cfg = alembic_config()
    down = ScriptDirectory.from_config(cfg).get_revision(head_revision()).down_revision
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, down)
    engine.dispose()
    encryption.export_encrypted(plain, enc, KEY)
    monkeypatch.setenv(ENV_KEY, KEY)
    assert cli.main(["upgrade", "--db", str(enc)]) == 0
    [copy] = tmp_path.glob("clinic.before-upgrade-*")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(copy).execute("SELECT * FROM alembic_version").fetchall()
    reader = encryption.connect(str(copy), KEY)
    assert reader.execute("SELECT version_num FROM alembic_version").fetchone() == (down,)
    reader.close()
    reader = encryption.connect(str(enc), KEY)
    assert reader.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)
    reader.close()


def test_encrypt_refuses_without_a_key_an_existing_target_and_an_encrypted_source(
        clinic: tuple[Path, Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    demo, enc, _names = clinic
    out = tmp_path / "x.sqlite"
    monkeypatch.delenv(ENV_KEY, raising=False)
    code, _o, err = _run(["encrypt", "--db", str(demo), "-o", str(out)], capsys)
    assert code == 1 and "set TPI_NOTES_DB_KEY" in err and not out.exists()
    monkeypatch.setenv(ENV_KEY, "short")
    code, _o, err = _run(["encrypt", "--db", str(demo), "-o", str(out)], capsys)
    assert code == 1 and "at least 12 characters" in err and not out.exists()
    monkeypatch.setenv(ENV_KEY, KEY)
    out.write_bytes(b"keep me")
    code, _o, err = _run(["encrypt", "--db", str(demo), "-o", str(out)], capsys)
    assert code == 1 and "already exists" in err and out.read_bytes() == b"keep me"
    code, _o, err = _run(["encrypt", "--db", str(enc), "-o", str(tmp_path / "y.sqlite")], capsys)
    assert code == 1 and "already encrypted" in err and not (tmp_path / "y.sqlite").exists()


def test_a_file_that_is_random_bytes_is_not_taken_for_an_encrypted_clinic(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(os.urandom(8192))
    monkeypatch.setenv(ENV_KEY, KEY)
    code, _o, err = _run(["verify", "--db", str(junk)], capsys)
    assert code == 1 and "does not open with the key given" in err
    for name, content in (("notes.sqlite", b"not a database\n" * 100), ("zeros.sqlite", b"\0" * 4096)):
        (tmp_path / name).write_bytes(content)  # never taken for encrypted: no passphrase asked for these
        code, _o, err = _run(["verify", "--db", str(tmp_path / name)], capsys)
        assert code == 1 and "is not a tpi-notes database (it is not an SQLite file)" in err


def test_the_key_may_come_from_the_os_keyring(enc_copy: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine has no keyring backend (the lookup is skipped); a clinic's desktop has one."""
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.kept: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.kept.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.kept[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.kept.pop((service, username), None)

    monkeypatch.delenv(ENV_KEY, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        assert encryption.keyring_usable()
        assert encryption.store_in_keyring(enc_copy, KEY)
        code, out, err = _run(["verify", "--db", str(enc_copy)], capsys)
        assert code == 0, err
        keyring.get_keyring().set_password("tpi-notes", str(enc_copy.resolve()), "not the passphrase!")
        code, out, err = _run(["verify", "--db", str(enc_copy)], capsys)
        assert code == 1 and "does not open with the key given" in err
    finally:
        keyring.set_keyring(previous)


def test_export_helper_processes_get_a_typed_passphrase(enc_copy: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's passphrase is typed, not in the environment: the export's helper processes still open the file."""
    from tpi_notes.services.context import open_existing_clinic
    from tpi_notes.services.exports import export_to_file

    monkeypatch.delenv(ENV_KEY, raising=False)
    encryption.use_passphrase(KEY)
    ctx = open_existing_clinic(str(enc_copy))
    try:
        single = export_to_file(ctx, "jsonl", tmp_path / "one.jsonl", workers=0)
        helped = export_to_file(ctx, "jsonl", tmp_path / "two.jsonl", workers=2)
    finally:
        ctx.close()
    assert single.sessions == helped.sessions == 8
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
