"""App users' passwords: setting one, checking one (locked after repeated failures), unlocking an account.

Every check and change is an audit event; the password itself is never stored, logged or shown.
A failed attempt is committed even though the action it guarded is refused, so the count survives.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import update
from sqlalchemy.orm import Session

from tpi_notes.db.models import User
from tpi_notes.db.repositories import audit
from tpi_notes.domain.errors import NotFoundError, TpiError, ValidationError
from tpi_notes.domain.passwords import check_strength, hash_password, needs_rehash, verify_password
from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext

MAX_FAILED_ATTEMPTS = 5


class WrongPasswordError(TpiError):
    """The password given does not match."""


class AccountLockedError(TpiError):
    """Too many wrong passwords: the account refuses every attempt until an administrator resets it."""


class Outcome(Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


def _user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise NotFoundError(f"User {user_id} does not exist.")
    if not user.active:
        raise TpiError(f"The account of {user.full_name} is deactivated.")
    return user


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    full_name: str

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    def raise_if_refused(self) -> None:
        """The error for a refused attempt; call it after the attempt has been committed."""
        if self.outcome is Outcome.LOCKED:
            raise AccountLockedError(f"The account of {self.full_name} is locked after {MAX_FAILED_ATTEMPTS} wrong "
                                     "passwords; an administrator must unlock it.")
        if self.outcome is Outcome.WRONG:
            raise WrongPasswordError("The password is not correct.")


def password_attempt(s: Session, ctx: AppContext, user_id: int, password: str, purpose: str) -> Attempt:
    """Check ``password`` inside the caller's transaction: counts a failure, resets the count on success,
    and writes a "login" audit event. The caller raises for a refusal *after* committing."""
    user = _user(s, user_id)
    if not user.password_hash:
        raise TpiError(f"{user.full_name} has no password yet; an administrator sets one first.")

    def log(detail: str) -> None:
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="login", entity="user", entity_id=user.id,
                     detail=f"{purpose}: {detail}")

    if user.failed_attempts >= MAX_FAILED_ATTEMPTS:
        log("refused, account locked")
        return Attempt(Outcome.LOCKED, user.full_name)
    if not verify_password(user.password_hash, password):
        # Counted in SQL so that two workstations failing at once both count.
        s.execute(update(User).where(User.id == user.id)
                  .values(failed_attempts=User.failed_attempts + 1).execution_options(synchronize_session=False))
        s.refresh(user)
        log(f"wrong password ({user.failed_attempts} of {MAX_FAILED_ATTEMPTS})")
        return Attempt(Outcome.WRONG, user.full_name)
    if user.failed_attempts:
        user.failed_attempts = 0
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    log("password accepted")
    return Attempt(Outcome.OK, user.full_name)


def verify_user_password(ctx: AppContext, user_id: int, password: str, *, purpose: str = "password check") -> bool:
    """Whether ``password`` is the user's. A wrong one is counted; after MAX_FAILED_ATTEMPTS wrong ones
    every further attempt raises AccountLockedError until ``reset_failed_attempts``."""
    with ctx.transaction() as s:
        attempt = password_attempt(s, ctx, user_id, password, purpose)
    if attempt.outcome is Outcome.LOCKED:
        attempt.raise_if_refused()
    return attempt.ok


def set_password(ctx: AppContext, user_id: int, new_password: str, *, current_password: str | None = None) -> None:
    """Give a user a new password.

    Changing one's own password needs the current one (a wrong one counts towards the lock). An administrator
    sets or resets another user's password without it; nobody else may touch another user's password."""
    own = ctx.user_id is not None and ctx.user_id == user_id
    if not own:
        ctx.require(Permission.MANAGE_USERS)
    problem = check_strength(new_password)
    if problem:
        raise ValidationError({"password": problem})
    with ctx.transaction() as s:
        user = _user(s, user_id)
        attempt = Attempt(Outcome.OK, user.full_name)
        first = not user.password_hash
        if own and not first:
            if current_password is None:
                raise ValidationError({"current_password": "Give the current password to change it."})
            attempt = password_attempt(s, ctx, user_id, current_password, "password change")
        if attempt.ok:
            user.password_hash = hash_password(new_password)
            detail = "password set" if first else ("password changed" if own else "password reset by an administrator")
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="user",
                         entity_id=user.id, detail=detail)
    attempt.raise_if_refused()


def reset_failed_attempts(ctx: AppContext, user_id: int) -> None:
    """Unlock an account locked by wrong passwords (an administrator's action)."""
    ctx.require(Permission.MANAGE_USERS)
    with ctx.transaction() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFoundError(f"User {user_id} does not exist.")
        before = user.failed_attempts
        user.failed_attempts = 0
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="user", entity_id=user.id,
                     detail=f"failed password attempts reset (was {before})")
