"""App users' passwords: setting one, checking one (slowed and locked after repeated failures), unlocking.

Every check and change is an audit event; the password itself is never stored, logged or shown.
A failed attempt is committed even though the action it guarded is refused, so the count survives.

A lockout must not be a weapon (issue 14 item 5): after wrong passwords the next attempt waits a growing
delay (``next_attempt_at``; an attempt before it is refused unchecked and uncounted, and nothing sleeps), and
MAX_FAILED_ATTEMPTS wrong ones lock an ordinary account (``locked_at``) until an administrator unlocks it. The
clinic's last active administrator who can sign in is never locked by failures, only slowed down, so nobody
at the login screen can leave the clinic without an administrator; the operating-system owner of the database
file can still unlock any account from the command line (``unlock_as_database_owner``). Refusal messages name
no one.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tpi_notes.db.models import User, UserRole
from tpi_notes.db.repositories import audit, reference
from tpi_notes.domain.errors import NotFoundError, TpiError, ValidationError
from tpi_notes.domain.password_policy import check_strength
from tpi_notes.domain.passwords import hash_password, needs_rehash, verify_password
from tpi_notes.domain.permissions import Permission, PermissionDenied
from tpi_notes.services import clinic_root, signer_keys
from tpi_notes.services.context import AppContext

MAX_FAILED_ATTEMPTS = 5
# After the n-th wrong password in a row the next one is taken 2^(n-1) seconds later (none after the first):
# 2, 4, 8, 16 s …, at most MAX_DELAY. A script at the login screen gets a handful of guesses an hour.
MAX_DELAY = timedelta(minutes=15)
LOCKED_MESSAGE = "This account is locked; ask an administrator."


class WrongPasswordError(TpiError):
    """The password given does not match."""


class AccountLockedError(TpiError):
    """Too many wrong passwords: the account refuses every attempt until an administrator unlocks it."""


class TooSoonError(TpiError):
    """Another password was tried before the delay after wrong ones ran out; it was not checked."""

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(f"Too many wrong passwords: wait {_duration(wait_seconds)} before trying again.")
        self.wait_seconds = wait_seconds


class Outcome(Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    TOO_SOON = "too soon"


def utcnow() -> datetime:
    """Now in UTC, naive like every time the database keeps (tests replace it to let time pass)."""
    return datetime.now(UTC).replace(tzinfo=None)


def retry_delay(failures: int) -> timedelta:
    """How long after the ``failures``-th wrong password in a row the next one is taken."""
    if failures < 2:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - 1, 20)), MAX_DELAY)


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


def _user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise NotFoundError(f"User {user_id} does not exist.")
    if not user.active:
        raise TpiError("This account is deactivated; ask an administrator.")
    return user


def is_last_admin(s: Session, user: User) -> bool:
    """Whether ``user`` is the clinic's only active, unlocked administrator who can sign in (then wrong
    passwords slow them down but never lock them)."""
    if not user.active or not user.password_hash or "admin" not in {r.role for r in user.roles}:
        return False
    others = s.scalar(select(func.count(User.id)).join(UserRole)
                      .where(UserRole.role == "admin", User.active.is_(True), User.password_hash.is_not(None),
                             User.locked_at.is_(None), User.id != user.id))
    return not others


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    wait_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    def raise_if_refused(self) -> None:
        """The error for a refused attempt; call it after the attempt has been committed."""
        if self.outcome is Outcome.LOCKED:
            raise AccountLockedError(LOCKED_MESSAGE)
        if self.outcome is Outcome.TOO_SOON:
            raise TooSoonError(self.wait_seconds)
        if self.outcome is Outcome.WRONG:
            wait = f" Wait {_duration(self.wait_seconds)} before trying again." if self.wait_seconds else ""
            raise WrongPasswordError("The password is not correct." + wait)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def password_attempt(s: Session, ctx: AppContext, user_id: int, password: str, purpose: str) -> Attempt:
    """Check ``password`` inside the caller's transaction: refuses a locked account and an attempt before the
    delay ran out (unchecked, uncounted), counts a failure (delaying the next attempt, locking an ordinary
    account after MAX_FAILED_ATTEMPTS), clears the count on success, and writes a "login" audit event. The
    caller raises for a refusal *after* committing."""
    user = _user(s, user_id)
    if not user.password_hash:
        raise TpiError(f"{user.full_name} has no password yet; an administrator sets one first.")

    def log(detail: str) -> None:
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="login", entity="user", entity_id=user.id,
                     detail=f"{purpose}: {detail}")

    if user.locked_at is not None:
        log("refused, account locked")
        return Attempt(Outcome.LOCKED)
    now = utcnow()
    if user.next_attempt_at is not None and now < user.next_attempt_at:
        wait = _seconds_until(user.next_attempt_at, now)
        log(f"refused unchecked, {wait} s before another password is taken")
        return Attempt(Outcome.TOO_SOON, wait)
    if not verify_password(user.password_hash, password):
        # Counted in SQL so that two workstations failing at once both count.
        s.execute(update(User).where(User.id == user.id)
                  .values(failed_attempts=User.failed_attempts + 1).execution_options(synchronize_session=False))
        s.refresh(user)
        failures = user.failed_attempts
        if failures >= MAX_FAILED_ATTEMPTS and not is_last_admin(s, user):
            user.locked_at = now
            log(f"wrong password ({failures} of {MAX_FAILED_ATTEMPTS}), account locked")
            return Attempt(Outcome.WRONG)  # the next attempt is told the account is locked
        delay = retry_delay(failures)
        user.next_attempt_at = now + delay if delay else None
        spared = " (the last administrator: slowed down, never locked)" if failures >= MAX_FAILED_ATTEMPTS else ""
        log(f"wrong password ({failures} of {MAX_FAILED_ATTEMPTS}){spared}, next attempt in "
            f"{int(delay.total_seconds())} s")
        return Attempt(Outcome.WRONG, int(delay.total_seconds()))
    if user.failed_attempts or user.next_attempt_at is not None:
        user.failed_attempts = 0
        user.next_attempt_at = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    log("password accepted")
    return Attempt(Outcome.OK)


def password_problem(s: Session, password: str, names: tuple[str, ...]) -> str | None:
    """Why ``password`` will not do for the person called ``names`` in this clinic (domain/password_policy.py:
    their names, the clinic's name, the demo password outside the demo), or None."""
    settings = reference.settings(s)
    return check_strength(password, names=(*names, settings.name), demo_clinic=settings.demo_seed is not None)


def verify_user_password(ctx: AppContext, user_id: int, password: str, *, purpose: str = "password check") -> bool:
    """Whether ``password`` is the user's. A wrong one is counted and delays the next; a locked account raises
    AccountLockedError, an attempt before the delay ran out TooSoonError (it was not checked)."""
    with ctx.transaction() as s:
        attempt = password_attempt(s, ctx, user_id, password, purpose)
    if attempt.outcome in (Outcome.LOCKED, Outcome.TOO_SOON):
        attempt.raise_if_refused()
    return attempt.ok


def set_password(ctx: AppContext, user_id: int, new_password: str, *, current_password: str | None = None) -> None:
    """Give a user a new password (domain/password_policy.py: 12 characters or more, not easy to guess, not
    built on their names; the demo password only in the demo clinic).

    Changing one's own password needs the current one (a wrong one counts towards the lock). An administrator
    sets or resets another user's password without it; nobody else may touch another user's password."""
    own = ctx.user_id is not None and ctx.user_id == user_id
    if own:
        ctx.check_access()
    else:
        ctx.require(Permission.MANAGE_USERS)
    with ctx.read() as s:
        user = _user(s, user_id)
        problem = password_problem(s, new_password, (user.full_name, user.username))
        # A signer's key: re-wrapped under the new password, or a new pair on a reset (services/signer_keys.py).
        keys = None if problem else signer_keys.prepare(s, user_id, new_password, reset=not own,
                                                        current_password=current_password if own else None)
        # An administrator's copy of the clinic root, re-wrapped under the new password (services/clinic_root.py).
        root_copy = None if problem else clinic_root.prepare_password_change(
            s, ctx, user_id, new_password, reset=not own, current_password=current_password if own else None)
    if problem:
        raise ValidationError({"password": problem})
    new_hash = hash_password(new_password)  # slow on purpose: outside the write transaction
    with ctx.transaction() as s:
        user = _user(s, user_id)
        attempt = Attempt(Outcome.OK)
        first = not user.password_hash
        if own and not first:
            if current_password is None:
                raise ValidationError({"current_password": "Give the current password to change it."})
            attempt = password_attempt(s, ctx, user_id, current_password, "password change")
        if attempt.ok:
            user.password_hash = new_hash
            detail = "password set" if first else ("password changed" if own else "password reset by an administrator")
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="user",
                         entity_id=user.id, detail=detail)
            assert keys is not None
            signer_keys.apply(s, ctx, user.id, keys, detail)
            clinic_root.apply_password_change(s, ctx, user.id, root_copy)
    attempt.raise_if_refused()


def _clear_lock(user: User) -> int:
    before = user.failed_attempts
    user.failed_attempts = 0
    user.locked_at = None
    user.next_attempt_at = None
    return before


def reset_failed_attempts(ctx: AppContext, user_id: int) -> None:
    """Unlock an account locked by wrong passwords, and lift the delay (an administrator's action)."""
    ctx.require(Permission.MANAGE_USERS)
    with ctx.transaction() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFoundError(f"User {user_id} does not exist.")
        before = _clear_lock(user)
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="user", entity_id=user.id,
                     detail=f"failed password attempts reset (was {before})")


def database_owner_problem(path: Path | None) -> str | None:
    """Why this process may not unlock accounts of the database file at ``path`` as its owner, or None.

    On POSIX the process's user must own the file (root included: it is not the owner either); elsewhere it
    must be able to write the file. A PostgreSQL clinic (no file) is left to whoever holds its connection
    credentials, who could change the row directly anyway."""
    if path is None:
        return None
    try:
        info = path.stat()
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    if hasattr(os, "getuid"):
        if info.st_uid != os.getuid():
            return (f"only the owner of {path.name} (uid {info.st_uid}) may unlock its accounts; this is uid "
                    f"{os.getuid()}")
    elif not os.access(path, os.W_OK):
        return f"only a user who may write {path.name} may unlock its accounts"
    return None


def unlock_as_database_owner(ctx: AppContext, username: str) -> str:
    """`tpi-notes unlock --db DB USER`: the recovery when no administrator can sign in (an account locked,
    typically an administrator's from before the last administrator was spared). Only the command line's
    operating-system user who owns the database file may; it clears the lock and the delay, audited under
    ``os:<login>``. Returns one line for the terminal."""
    if ctx.user_id is not None or not ctx.actor.startswith("os:"):
        raise PermissionDenied("Not allowed: only the operating-system owner of the database, from the command "
                               "line, unlocks an account this way.")
    problem = database_owner_problem(ctx.database_path)
    if problem:
        raise PermissionDenied(f"Not allowed: {problem}.")
    name = username.strip().lower()
    with ctx.transaction() as s:
        user = s.scalar(select(User).where(func.lower(User.username) == name)) if name else None
        if user is None:
            raise NotFoundError("No account has that user name.")
        locked = user.locked_at is not None
        before = _clear_lock(user)
        audit.append(s, actor=ctx.actor, user_id=None, action="change", entity="user", entity_id=user.id,
                     detail=f"account {'unlocked' if locked else 'delay cleared'} from the command line by the "
                            f"owner of the database file (failed password attempts were {before})")
        what = "unlocked" if locked else "was not locked; its failed attempts and delay are cleared"
        return f"Account {user.username} {what}" + ("." if locked else "") + (
            "" if user.active else " It is deactivated: an administrator reactivates it.")
