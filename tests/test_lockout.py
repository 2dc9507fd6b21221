"""A lockout nobody at the login screen can turn against the clinic (issue 14 item 5, product.md §9).

Wrong passwords slow the next attempt down (a growing delay, told without naming anyone; nothing sleeps),
ordinary accounts lock after five, the last active administrator never locks, and the operating-system owner
of the database file can unlock any account with `tpi-notes unlock`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from clock import Clock, patch_clock
from principals import ALL_PERMISSIONS

from tpi_notes import cli
from tpi_notes.domain.permissions import PermissionDenied
from tpi_notes.services import accounts, login, users_admin
from tpi_notes.services.context import AppContext, open_clinic

PASSWORD = "Violet gravel orbit 7"
NAMES = ("Lena Grant", "lgrant", "Julia Soto", "jsoto", "Tomas Berg", "tberg")


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[tuple[AppContext, Path]]:
    """One administrator (lgrant) and a nurse (jsoto), at the login screen."""
    db = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(db), principal=ALL_PERMISSIONS)
    users_admin.add_user(ctx, "Lena Grant", "", "lgrant", ("admin",), PASSWORD)
    users_admin.add_user(ctx, "Julia Soto", "RN", "jsoto", ("nurse",), PASSWORD)
    login.sign_out(ctx)
    try:
        yield ctx, db
    finally:
        ctx.close()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return patch_clock(monkeypatch)  # stands still unless the test moves it


def _row(db: Path, username: str) -> tuple[int, str | None, str | None]:
    # closed here: a connection is freed only by the cycle collector (its statement cache refers back to it),
    # and one left open keeps the -wal file that "changes nothing" compares
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT failed_attempts, locked_at, next_attempt_at FROM app_user WHERE username = ?",
                            (username,)).fetchone()


def _wrong(ctx: AppContext, username: str, clock: Clock) -> None:
    """One wrong password, then the clock moves past the delay it set."""
    with pytest.raises(login.LoginRefused):
        login.login(ctx, username, "not the password at all")
    failures = _row(ctx.database_path, username)[0]  # type: ignore[arg-type]
    clock.advance(accounts.retry_delay(failures).total_seconds())


def _assert_names_no_one(message: str) -> None:
    for name in NAMES:
        for part in name.split():
            assert part.lower() not in message.lower(), message


def test_the_delay_grows_and_an_early_attempt_is_refused_unchecked_without_a_name(clinic, clock: Clock) -> None:
    ctx, db = clinic
    with pytest.raises(login.LoginRefused):
        login.login(ctx, "jsoto", "first wrong guess")
    assert _row(db, "jsoto")[2] is None  # one slip costs nothing
    waits = []
    for attempt in range(2, 5):
        with pytest.raises(login.LoginRefused):
            login.login(ctx, "jsoto", f"wrong guess {attempt}")
        with pytest.raises(login.TooSoonError) as early:  # even the right password, too soon
            login.login(ctx, "jsoto", PASSWORD)
        _assert_names_no_one(str(early.value))
        assert "wait" in str(early.value)
        waits.append(early.value.wait_seconds)
        assert _row(db, "jsoto")[0] == attempt  # the early attempt was not counted
        clock.advance(early.value.wait_seconds - 1)
        with pytest.raises(login.TooSoonError):
            login.login(ctx, "jsoto", PASSWORD)
        clock.advance(1)
    assert waits == [2, 4, 8]
    assert login.login(ctx, "jsoto", PASSWORD).roles == ("nurse",)
    assert _row(db, "jsoto") == (0, None, None)


def test_an_ordinary_account_locks_after_five_and_the_message_names_no_one(clinic, clock: Clock) -> None:
    ctx, db = clinic
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        _wrong(ctx, "jsoto", clock)
    assert _row(db, "jsoto")[1] is not None
    with pytest.raises(login.AccountLockedError) as locked:
        login.login(ctx, "jsoto", PASSWORD)
    assert str(locked.value) == "This account is locked; ask an administrator."
    ctx.act_as(ALL_PERMISSIONS)
    assert users_admin.get_user(ctx, 2).locked


def test_the_last_administrator_is_slowed_down_but_never_locked(clinic, clock: Clock) -> None:
    ctx, db = clinic
    for _ in range(11):
        _wrong(ctx, "lgrant", clock)
    with pytest.raises(login.LoginRefused):
        login.login(ctx, "lgrant", "the twelfth wrong one")
    failures, locked_at, _until = _row(db, "lgrant")
    assert failures == 12 and locked_at is None
    with pytest.raises(login.TooSoonError) as early:  # right after the twelfth: the longest wait
        login.login(ctx, "lgrant", PASSWORD)
    assert early.value.wait_seconds == accounts.MAX_DELAY.total_seconds()
    assert "15 minutes" in str(early.value)
    _assert_names_no_one(str(early.value))
    clock.advance(accounts.MAX_DELAY.total_seconds())
    assert login.login(ctx, "lgrant", PASSWORD).roles == ("admin",)  # the clinic still has its administrator


def test_with_two_administrators_one_may_lock_but_never_the_last(clinic, clock: Clock) -> None:
    ctx, db = clinic
    ctx.act_as(ALL_PERMISSIONS)
    users_admin.add_user(ctx, "Tomas Berg", "", "tberg", ("admin",), PASSWORD)
    login.sign_out(ctx)
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        _wrong(ctx, "tberg", clock)
    assert _row(db, "tberg")[1] is not None  # another administrator was left
    for _ in range(accounts.MAX_FAILED_ATTEMPTS + 2):
        _wrong(ctx, "lgrant", clock)
    assert _row(db, "lgrant")[1] is None  # now the last unlocked one: never locked
    assert login.login(ctx, "lgrant", PASSWORD).user_id is not None
    accounts.reset_failed_attempts(ctx, 3)
    assert _row(db, "tberg") == (0, None, None)


def _locked(ctx: AppContext, db: Path, clock: Clock) -> None:
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        _wrong(ctx, "jsoto", clock)
    assert _row(db, "jsoto")[1] is not None


def test_the_owner_of_the_database_file_unlocks_from_the_command_line(clinic, clock: Clock,
                                                                        capsys: pytest.CaptureFixture) -> None:
    ctx, db = clinic
    _locked(ctx, db, clock)
    assert os.stat(db).st_uid == os.getuid()
    assert cli.main(["unlock", "--db", str(db), "JSoto"]) == 0
    assert capsys.readouterr().out.strip() == "Account jsoto unlocked."
    assert _row(db, "jsoto") == (0, None, None)
    assert login.login(ctx, "jsoto", PASSWORD).roles == ("nurse",)
    with sqlite3.connect(db) as conn:
        actor, user_id, detail = conn.execute("SELECT actor, user_id, detail FROM audit_event WHERE detail LIKE "
                                              "'%command line%' ORDER BY id DESC").fetchone()
    assert actor.startswith("os:") and user_id is None
    assert "unlocked from the command line by the owner of the database file" in detail


def test_unlock_is_refused_to_anyone_but_the_owner_and_changes_nothing(clinic, clock: Clock,
                                                                        capsys: pytest.CaptureFixture) -> None:
    ctx, db = clinic
    _locked(ctx, db, clock)
    ctx.close()
    other_uid = os.getuid() + 4321
    os.chown(db, other_uid, -1)  # the clinic's file belongs to another user of this computer
    before = db.read_bytes(), sorted(p.name for p in db.parent.iterdir())
    assert cli.main(["unlock", "--db", str(db), "jsoto"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and f"only the owner of clinic.sqlite (uid {other_uid})" in err
    assert (db.read_bytes(), sorted(p.name for p in db.parent.iterdir())) == before
    assert accounts.database_owner_problem(db) is not None
    os.chown(db, os.getuid(), -1)
    assert accounts.database_owner_problem(db) is None
    assert _row(db, "jsoto")[1] is not None


def test_unlock_from_the_command_line_is_not_an_app_users_action(clinic, clock: Clock) -> None:
    ctx, _db = clinic
    login.login(ctx, "lgrant", PASSWORD)
    with pytest.raises(PermissionDenied, match="operating-system owner"):
        accounts.unlock_as_database_owner(ctx, "jsoto")


def test_unlock_names_an_unknown_user_without_changing_anything(clinic, capsys: pytest.CaptureFixture) -> None:
    _ctx, db = clinic
    assert cli.main(["unlock", "--db", str(db), "nobody"]) == 1
    assert "No account has that user name." in capsys.readouterr().err


def test_an_account_locked_before_the_upgrade_stays_locked(clinic, clock: Clock) -> None:
    """Migration 0013: the lock used to be five failures; a clinic upgraded keeps such an account locked (the
    owner's `tpi-notes unlock` is the way back when it is the last administrator) and the others as they were."""
    from alembic import command
    from sqlalchemy import create_engine

    from tpi_notes.db.migrate import alembic_config, prepare_database

    ctx, db = clinic
    ctx.close()
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0012")
            conn.exec_driver_sql("UPDATE app_user SET failed_attempts = 5 WHERE username = 'lgrant'")
            conn.exec_driver_sql("UPDATE app_user SET failed_attempts = 2 WHERE username = 'jsoto'")
    finally:
        engine.dispose()
    upgraded, _backup = prepare_database(f"sqlite:///{db}")
    upgraded.dispose()
    assert _row(db, "lgrant")[0] == 5 and _row(db, "lgrant")[1] is not None
    assert _row(db, "jsoto") == (2, None, None)
