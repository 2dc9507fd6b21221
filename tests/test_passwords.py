"""Passwords: Argon2id hashes, the strength rule, and the account lock after repeated failures (product.md §9)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tpi_notes.domain.errors import NotFoundError, TpiError, ValidationError
from tpi_notes.domain.password_policy import MIN_LENGTH, check_strength
from tpi_notes.domain.passwords import hash_password, needs_rehash, verify_password
from tpi_notes.domain.permissions import Principal
from tpi_notes.services import accounts, staff
from tpi_notes.services.context import AccessChanged, AppContext

GOOD = "Correct horse 9"


def test_hash_is_argon2id_salted_and_verifies() -> None:
    first, second = hash_password(GOOD), hash_password(GOOD)
    assert first.startswith("$argon2id$v=19$m=") and second.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert GOOD not in first
    assert verify_password(first, GOOD) is True
    assert verify_password(first, GOOD.lower()) is False
    assert verify_password(first, "") is False
    assert not needs_rehash(first)


def test_a_malformed_or_foreign_hash_never_verifies() -> None:
    assert verify_password("not a hash", GOOD) is False
    assert verify_password("$2b$12$abcdefghijklmnopqrstuuv6E4DxWCWcHUtAYcg0O5Uj3ExwqjX8aa", GOOD) is False
    assert needs_rehash("not a hash")


@pytest.mark.parametrize(("password", "problem"), [  # more in test_password_policy.py
    ("", "at least 12"),
    ("Ab1!x", "at least 12"),
    ("abcdefghijkl", "too easy to guess"),
    ("123456789012", "too easy to guess"),
    ("correct horse battery", None),  # a passphrase: letters and spaces
    ("x" * 1025 + "A", "at most"),
])
def test_strength(password: str, problem: str | None) -> None:
    message = check_strength(password)
    if problem is None:
        assert message is None
    else:
        assert message is not None and problem in message
        assert password == "" or password not in message


@pytest.fixture
def doctor(ctx: AppContext) -> int:
    return staff.add_staff(ctx, "Amelia Hart", "MD", ("physician",)).id


def _user_row(db_path: Path, user_id: int) -> tuple[str | None, int]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT password_hash, failed_attempts FROM app_user WHERE id = ?", (user_id,)).fetchone()
    finally:
        conn.close()


def _audit_details(db_path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT action, detail FROM audit_event ORDER BY id").fetchall()
    finally:
        conn.close()


def test_set_and_verify_a_password(ctx: AppContext, db_path: Path, doctor: int) -> None:
    accounts.set_password(ctx, doctor, GOOD)
    stored, failures = _user_row(db_path, doctor)
    assert stored is not None and stored.startswith("$argon2id$") and failures == 0
    assert accounts.verify_user_password(ctx, doctor, GOOD) is True
    assert accounts.verify_user_password(ctx, doctor, "Wrong horse 9") is False
    assert _user_row(db_path, doctor)[1] == 1
    assert accounts.verify_user_password(ctx, doctor, GOOD) is True
    assert _user_row(db_path, doctor)[1] == 0  # a success resets the count
    events = _audit_details(db_path)
    assert ("change", "password set") in events
    assert [a for a, d in events if "password" in d].count("login") == 3
    assert all(GOOD not in d and "Wrong horse" not in d for _a, d in events)


def test_a_weak_password_is_refused_and_nothing_changes(ctx: AppContext, db_path: Path, doctor: int) -> None:
    with pytest.raises(ValidationError, match="at least 12"):
        accounts.set_password(ctx, doctor, "short1A")
    assert _user_row(db_path, doctor) == (None, 0)


def _as_doctor(ctx: AppContext, doctor: int) -> None:
    ctx.act_as(Principal.for_user(doctor, "doctor", "The Doctor", ("physician",)))


def test_changing_a_password_needs_the_current_one(ctx: AppContext, db_path: Path, doctor: int) -> None:
    accounts.set_password(ctx, doctor, GOOD)
    _as_doctor(ctx, doctor)  # one's own password: the current one is asked for
    with pytest.raises(ValidationError, match="current password"):
        accounts.set_password(ctx, doctor, "Another horse 7")
    with pytest.raises(accounts.WrongPasswordError):
        accounts.set_password(ctx, doctor, "Another horse 7", current_password="Not it at all 1")
    assert _user_row(db_path, doctor)[1] == 1  # the wrong current password was counted (and committed)
    assert accounts.verify_user_password(ctx, doctor, GOOD)
    accounts.set_password(ctx, doctor, "Another horse 7", current_password=GOOD)
    assert accounts.verify_user_password(ctx, doctor, "Another horse 7")
    assert not accounts.verify_user_password(ctx, doctor, GOOD)


def test_locked_after_five_failures_until_an_admin_resets(ctx: AppContext, db_path: Path, doctor: int) -> None:
    accounts.set_password(ctx, doctor, GOOD)
    for attempt in range(1, accounts.MAX_FAILED_ATTEMPTS + 1):
        assert accounts.verify_user_password(ctx, doctor, f"guess number {attempt}") is False
        assert _user_row(db_path, doctor)[1] == attempt
    # the sixth attempt is refused even with the right password, and is not counted further
    with pytest.raises(accounts.AccountLockedError, match="This account is locked; ask an administrator"):
        accounts.verify_user_password(ctx, doctor, GOOD)
    fixture = ctx.principal
    _as_doctor(ctx, doctor)  # signed in before the lock: their next action is refused (test_access_revoked.py)
    with pytest.raises(AccessChanged, match="locked"):
        accounts.set_password(ctx, doctor, "Another horse 7", current_password=GOOD)
    ctx.act_as(fixture)
    assert _user_row(db_path, doctor)[1] == accounts.MAX_FAILED_ATTEMPTS
    assert ("login", "password check: refused, account locked") in _audit_details(db_path)

    accounts.reset_failed_attempts(ctx, doctor)
    assert _user_row(db_path, doctor)[1] == 0
    assert accounts.verify_user_password(ctx, doctor, GOOD) is True
    assert ("change", "failed password attempts reset (was 5)") in _audit_details(db_path)


def test_only_an_admin_unlocks_when_a_user_is_logged_in(ctx: AppContext, doctor: int) -> None:
    nurse = staff.add_staff(ctx, "Nia Brooks", "RN", ("nurse",)).id
    admin = staff.add_staff(ctx, "Ada Office", "", ("admin",)).id
    ctx.act_as(Principal.for_user(nurse, "nurse", "Nia Brooks", ("nurse",)))
    with pytest.raises(TpiError, match="may not manage users"):
        accounts.reset_failed_attempts(ctx, doctor)
    ctx.act_as(Principal.for_user(admin, "admin", "Ada Office", ("admin",)))
    accounts.reset_failed_attempts(ctx, doctor)


def test_unknown_user_and_user_without_password(ctx: AppContext, doctor: int) -> None:
    with pytest.raises(NotFoundError):
        accounts.verify_user_password(ctx, 999, GOOD)
    with pytest.raises(TpiError, match="no password yet"):
        accounts.verify_user_password(ctx, doctor, GOOD)
    assert MIN_LENGTH == 12
