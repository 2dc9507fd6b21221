"""First-run setup, login, the inactivity lock and sign-out.

Login turns a user name and password into the principal the context acts as; every later service call is
checked against that principal's roles and against the account as it is now (``AppContext.check_access``). A
wrong password counts towards the delay and the lock of ``accounts``; an unknown user name gets the same message
as a wrong password. What was typed as a user name is kept in the audit trail only when it is an account's
name: people type their password into the wrong field, so an unknown name is recorded as "unknown user".
"""

from __future__ import annotations

from sqlalchemy import func, select

from tpi_notes.db.models import User, UserRole
from tpi_notes.db.repositories import audit, reference, staff
from tpi_notes.domain.clinic import ClinicDetails, validate_clinic_details
from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.passwords import hash_password
from tpi_notes.domain.permissions import PermissionDenied, Principal
from tpi_notes.domain.signature_keys import new_key
from tpi_notes.domain.staff import StaffMember
from tpi_notes.domain.users import USERNAME_MAX, check_new_account, validate_username
from tpi_notes.services import clinic_root, signer_keys
from tpi_notes.services.accounts import AccountLockedError, TooSoonError, WrongPasswordError, password_attempt
from tpi_notes.services.context import AccessChanged, AppContext, os_user


class LoginRefused(TpiError):
    """The user name and password do not match an active account (which one is wrong is not said)."""


def needs_setup(ctx: AppContext) -> bool:
    """True until the clinic has an active administrator who can log in (first run, or an imported file)."""
    with ctx.read() as s:
        return s.scalar(select(func.count(User.id)).join(UserRole)
                        .where(UserRole.role == "admin", User.active.is_(True), User.password_hash.is_not(None))) == 0


def login_names(ctx: AppContext) -> list[str]:
    """The user names that can log in, for the login screen's completer (no roles, no details)."""
    with ctx.read() as s:
        return list(s.scalars(select(User.username).where(User.active.is_(True), User.password_hash.is_not(None))
                              .order_by(User.username)))


def _clean_username(username: str) -> str:
    return username.strip().lower()


def setup_clinic(ctx: AppContext, details: ClinicDetails, full_name: str, credentials: str, username: str,
                 password: str, roles: tuple[str, ...] = ()) -> StaffMember:
    """First run: the clinic's details and its first user, who is always an administrator (and may also be a
    physician or nurse). Refused once the clinic has an administrator who can log in."""
    errors: dict[str, str] = {}
    try:
        clean = validate_clinic_details(details)
    except ValidationError as exc:
        errors.update(exc.errors)
    name, credentials, all_roles, _login = check_new_account(full_name, credentials, username, password,
                                                             ("admin", *roles), errors, clinic_name=details.name)
    if errors:
        raise ValidationError(errors)
    if not needs_setup(ctx):
        raise PermissionDenied("This clinic is already set up; an administrator adds further users.")
    with ctx.transaction() as s:
        if s.scalar(select(User.id).where(func.lower(User.username) == _clean_username(username))) is not None:
            raise ValidationError({"username": "That user name is taken."})
        reference.update_clinic_details(s, clean)
        user = staff.add(s, name, credentials, all_roles, username=_clean_username(username))
        user.password_hash = hash_password(password)
        s.flush()
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="clinic",
                     detail="first-run setup: clinic details")
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="create", entity="user", entity_id=user.id,
                     detail=f"first user, roles: {', '.join(all_roles)}; password set")
        if "physician" in all_roles:  # a physician's signing key pair, wrapped by the password
            signer_keys.register(s, ctx, user.id, new_key(password), "made with the account")
        # The clinic root (PAdES, services/clinic_root.py), wrapped for this administrator; the physician's
        # certificate with it.
        clinic_root.setup_root(s, ctx, user.id, password, clean.name)
        return staff.to_member(user)


def login(ctx: AppContext, username: str, password: str) -> Principal:
    """Check the user name and password; on success the context acts as that user from now on.

    Raises LoginRefused (unknown name, wrong password or deactivated account, all with one message),
    TooSoonError (another try before the delay after wrong passwords ran out) or AccountLockedError; none of
    them names anyone."""
    name = _clean_username(username)
    with ctx.transaction() as s:
        user = s.scalar(select(User).where(func.lower(User.username) == name)) if name else None
        if user is None or not user.active or not user.password_hash:
            # Never the text typed: a name that is no account's is as likely the password in the wrong field.
            why = ("unknown user" if user is None else
                   f"account {user.username} deactivated" if not user.active else f"{user.username} has no password")
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="login", entity="user",
                         entity_id=user.id if user is not None else None, detail=f"login refused: {why}")
            attempt = None
        else:
            attempt = password_attempt(s, ctx, user.id, password, "login")
            principal = Principal.for_user(user.id, user.username, user.full_name,
                                           tuple(r.role for r in user.roles))
    if attempt is None:
        raise LoginRefused("The user name or the password is not correct.")
    try:
        attempt.raise_if_refused()
    except WrongPasswordError:
        raise LoginRefused("The user name or the password is not correct.") from None
    ctx.act_as(principal)
    # An administrator opens the clinic root (or makes it) and issues pending certificates (services/clinic_root.py).
    clinic_root.admin_signed_in(ctx, principal.user_id, password)
    return principal


def lock(ctx: AppContext, reason: str = "inactivity") -> None:
    """The screen was locked (open work stays open); an audit event, no change of principal."""
    with ctx.transaction() as s:
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="lock", entity="user",
                     entity_id=ctx.user_id, detail=f"screen locked ({reason})")


def unlock(ctx: AppContext, password: str) -> None:
    """Unlock the screen as the same signed-in user. Raises WrongPasswordError (counted), TooSoonError,
    AccountLockedError, or AccessChanged when the account changed meanwhile (then ``sign_in_again``)."""
    if ctx.user_id is None:
        raise TpiError("Nobody is signed in.")
    ctx.check_access()
    with ctx.transaction() as s:
        attempt = password_attempt(s, ctx, ctx.user_id, password, "unlock")
    attempt.raise_if_refused()


def sign_in_again(ctx: AppContext, password: str) -> Principal:
    """After AccessChanged: the same user signs in afresh, with the roles their account has now (the open
    windows stay as they were). Refused like any login, so a deactivated or locked account stays out."""
    if ctx.user_id is None:
        raise TpiError("Nobody is signed in.")
    return login(ctx, ctx.actor.removeprefix("user:"), password)


def sign_out(ctx: AppContext) -> None:
    """End the user's session; the context acts as the operating-system user again (which may not chart)."""
    if ctx.user_id is not None:
        with ctx.transaction() as s:
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="logout", entity="user",
                         entity_id=ctx.user_id, detail="signed out")
    clinic_root.forget(ctx)
    ctx.act_as(os_user())


__all__ = ["USERNAME_MAX", "AccessChanged", "AccountLockedError", "LoginRefused", "TooSoonError",
           "WrongPasswordError", "login", "lock", "needs_setup", "setup_clinic", "sign_in_again", "sign_out", "unlock",
           "validate_username"]
