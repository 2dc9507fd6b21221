"""Clinic administration: user accounts, their roles, password resets and unlocking (Permission.MANAGE_USERS).

Every change is an audit event naming what changed (clinical-reference §8.3: changes to user privileges).
The clinic always keeps an active administrator who can sign in: the last one cannot lose the role or be
deactivated, and nobody deactivates or demotes themself (another administrator does). Reading the list
writes no audit event: it holds no patient data.

A user deactivated, locked or losing a role is refused at their next action on any workstation
(``AppContext.check_access``) and asked to sign in again; a role added is theirs from their next sign-in.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tpi_notes.db.models import User, UserRole
from tpi_notes.db.repositories import audit, reference, staff
from tpi_notes.domain.errors import NotFoundError, ValidationError
from tpi_notes.domain.passwords import hash_password
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.signature_keys import new_key
from tpi_notes.domain.users import UserAccount, check_new_account, clean_person, describe_changes, roles_text
from tpi_notes.services import accounts, clinic_root, signer_keys
from tpi_notes.services.context import AppContext


def _account(user: User) -> UserAccount:
    return UserAccount(
        id=user.id, full_name=user.full_name, credentials=user.credentials, username=user.username,
        roles=tuple(sorted(r.role for r in user.roles)), active=user.active,
        locked=user.locked_at is not None, has_password=bool(user.password_hash),
        failed_attempts=user.failed_attempts,
    )


def _get(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise NotFoundError(f"User {user_id} does not exist.")
    return user


def _other_sign_in_admins(s: Session, user_id: int) -> int:
    """Active administrators with a password, other than ``user_id``."""
    return s.scalar(select(func.count(User.id)).join(UserRole)
                    .where(UserRole.role == "admin", User.active.is_(True), User.password_hash.is_not(None),
                           User.id != user_id)) or 0


def list_users(ctx: AppContext, include_inactive: bool = True) -> list[UserAccount]:
    """Every account (active first, then by name), with its roles and whether it is locked."""
    ctx.require(Permission.MANAGE_USERS)
    with ctx.read() as s:
        query = select(User).order_by(User.active.desc(), func.lower(User.full_name), User.id)
        if not include_inactive:
            query = query.where(User.active.is_(True))
        return [_account(u) for u in s.scalars(query)]


def get_user(ctx: AppContext, user_id: int) -> UserAccount:
    ctx.require(Permission.MANAGE_USERS)
    with ctx.read() as s:
        return _account(_get(s, user_id))


def add_user(ctx: AppContext, full_name: str, credentials: str, username: str, roles: tuple[str, ...],
             password: str) -> UserAccount:
    """A new account that can sign in at once. The user name is unique whatever its case."""
    ctx.require(Permission.MANAGE_USERS)
    with ctx.read() as s:
        settings = reference.settings(s)
        clinic_name, demo_clinic = settings.name, settings.demo_seed is not None
    errors: dict[str, str] = {}
    name, creds, clean_roles, login = check_new_account(full_name, credentials, username, password, roles, errors,
                                                        clinic_name=clinic_name, demo_clinic=demo_clinic)
    if errors:
        raise ValidationError(errors)
    password_hash = hash_password(password)  # slow on purpose: outside the write transaction
    # a physician's signing key pair, wrapped by the password (services/signer_keys.py); slow too
    key = new_key(password) if "physician" in clean_roles else None
    # a new administrator's own copy of the clinic root, when the creating administrator holds it (slow too)
    root_copy = clinic_root.wrap_for_new_admin(ctx, password) if "admin" in clean_roles else None
    with ctx.transaction() as s:
        if s.scalar(select(User.id).where(func.lower(User.username) == login)) is not None:
            raise ValidationError({"username": f"The user name “{login}” is taken; choose another."})
        user = staff.add(s, name, creds, clean_roles, username=login)
        user.password_hash = password_hash
        s.flush()
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="create", entity="user", entity_id=user.id,
                     detail=f"user {login} added, roles: {roles_text(clean_roles)}; password set")
        if key is not None:
            signer_keys.register(s, ctx, user.id, key, "made with the account")
        clinic_root.store_new_admin_copy(s, ctx, user.id, root_copy)
        clinic_root.issue_pending_if_held(s, ctx)  # the new physician's certificate (services/clinic_root.py)
        return _account(user)


def update_user(ctx: AppContext, user_id: int, full_name: str, credentials: str, roles: tuple[str, ...],
                active: bool) -> UserAccount:
    """Change a person's name, credentials, roles or whether the account is active.

    Refused (ValidationError at ``roles`` or ``active``): taking the administrator role from, or
    deactivating, the last active administrator who can sign in; an administrator deactivating or
    demoting themself."""
    ctx.require(Permission.MANAGE_USERS)
    name, creds, clean_roles = clean_person(full_name, credentials, roles)
    with ctx.transaction() as s:
        user = _get(s, user_id)
        before = _account(user)
        losing_admin = before.is_admin and "admin" not in clean_roles
        deactivating = before.active and not active
        if user_id == ctx.user_id:
            if deactivating:
                raise ValidationError({"active": "You cannot deactivate your own account; another administrator "
                                                 "can."})
            if losing_admin:
                raise ValidationError({"roles": "You cannot remove your own administrator role; another "
                                                "administrator can."})
        if (losing_admin or deactivating) and before.is_admin and before.active and before.has_password \
                and _other_sign_in_admins(s, user_id) == 0:
            field = "roles" if losing_admin else "active"
            raise ValidationError({field: f"{before.full_name} is the clinic's last active administrator who can "
                                          "sign in. Give another user the administrator role (with a password) "
                                          "first."})
        changes = describe_changes(before, name, creds, clean_roles, active)
        if not changes:
            return before
        user.full_name, user.credentials, user.active = name, creds, active
        kept = [r for r in user.roles if r.role in clean_roles]
        have = {r.role for r in kept}
        user.roles = kept + [UserRole(role=r) for r in clean_roles if r not in have]
        s.flush()
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="user", entity_id=user.id,
                     detail=f"user {user.username}: " + "; ".join(changes))
        s.refresh(user)
        return _account(user)


def reset_password(ctx: AppContext, user_id: int, new_password: str) -> None:
    """An administrator gives another user a new password (without knowing the old one)."""
    ctx.require(Permission.MANAGE_USERS)
    if ctx.user_id is not None and user_id == ctx.user_id:
        raise ValidationError({"password": "This is your own account: change your own password where it asks "
                                           "for the current one."})
    accounts.set_password(ctx, user_id, new_password)


def unlock(ctx: AppContext, user_id: int) -> None:
    """Clear the wrong-password count of an account locked after repeated failures."""
    ctx.require(Permission.MANAGE_USERS)
    accounts.reset_failed_attempts(ctx, user_id)
