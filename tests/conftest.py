"""Shared fixtures. Qt must see QT_QPA_PLATFORM before anything imports it (no display in CI)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

# Shared helper modules hold assertions too; rewrite them whichever test file imports them first.
pytest.register_assert_rewrite("ui_fixtures", "test_report_support", "test_ui_editor_fixtures")
from clock import time_passes  # noqa: E402
from principals import ALL_PERMISSIONS  # noqa: E402

from tpi_notes.services.context import AppContext, open_clinic  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user data folder or database."""
    data = tmp_path_factory.mktemp("userdata")
    monkeypatch.setenv("TPI_NOTES_DATA_DIR", str(data))
    monkeypatch.delenv("TPI_NOTES_DB", raising=False)
    return data


@pytest.fixture(autouse=True)
def _quick_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with its smallest cost in this process (t=1, 8 MiB): every clinic a test builds sets a password
    and every signature checks one, and at the real cost (t=3, 64 MiB, about 0.2 s each here) that was minutes of
    the suite. The algorithm, the PHC format, verification and rehash decisions are the same code;
    tests/test_passwords.py runs at the real cost and checks it, as do the command-line runs in subprocesses."""
    if request.module.__name__.endswith("test_passwords"):
        return
    from argon2 import PasswordHasher, Type

    from tpi_notes.domain import passwords, signature_keys

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1,
                                                             type=Type.ID))
    # The Argon2id that wraps signing keys (domain/signature_keys.py) at the same smallest cost.
    monkeypatch.setattr(signature_keys, "KDF_COST", (1, 8 * 1024, 1))


@pytest.fixture(autouse=True)
def _no_wait_after_wrong_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each reading of the wrong-password clock (services/accounts.py ``utcnow``) is an hour after the last, so
    a test that types several wrong passwords is never told to wait; tests/test_lockout.py sets its own clock
    (tests/clock.py) to test the delay."""
    time_passes(monkeypatch)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "clinic.sqlite"


@pytest.fixture(scope="session")
def _fresh_clinic_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A new clinic made once by the real start-up (every migration, the default formulary), checkpointed
    into its one file: about 0.25 s a clinic, for the hundreds of tests that start from an empty one."""
    import sqlite3
    from contextlib import closing

    path = tmp_path_factory.mktemp("fresh-clinic") / "clinic.sqlite"
    made = open_clinic(str(path), principal=ALL_PERMISSIONS)
    made.close()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.read_bytes()


@pytest.fixture
def ctx(db_path: Path, _fresh_clinic_bytes: bytes) -> Iterator[AppContext]:
    """A freshly migrated clinic database in a temporary file (a copy of one made by the real start-up,
    created owner-only as the app creates its database)."""
    fd = os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, _fresh_clinic_bytes)
    finally:
        os.close(fd)
    context = open_clinic(str(db_path), principal=ALL_PERMISSIONS)
    yield context
    context.close()
