"""User accounts as the administration screen shows them, and the checks on a person's name, credentials and roles.

Plain Python: the services look the accounts up and hash the passwords.
"""

from __future__ import annotations

from dataclasses import dataclass

from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.staff import ROLES

NAME_MAX = 200
CREDENTIALS_MAX = 40
USERNAME_MAX = 64


@dataclass(frozen=True)
class UserAccount:
    """One row of the users table: who, which roles, and whether the account can sign in."""

    id: int
    full_name: str
    credentials: str
    username: str
    roles: tuple[str, ...]
    active: bool
    locked: bool
    has_password: bool
    failed_attempts: int = 0

    @property
    def label(self) -> str:
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name

    @property
    def roles_text(self) -> str:
        return roles_text(self.roles)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def roles_text(roles: tuple[str, ...] | list[str]) -> str:
    """``nurse, physician`` (role keys in alphabetical order), ``none`` for no role."""
    return ", ".join(sorted(roles)) or "none"


def role_names(roles: tuple[str, ...]) -> str:
    """``Nurse, Physician`` for people to read."""
    return ", ".join(ROLES.get(r, r) for r in sorted(roles))


def clean_person(full_name: str, credentials: str, roles: tuple[str, ...] | list[str],
                 errors: dict[str, str] | None = None) -> tuple[str, str, tuple[str, ...]]:
    """The name with spaces collapsed, the credentials trimmed and the roles sorted; a problem is added to
    ``errors`` (raised at once when no dict is given), under ``full_name``, ``credentials`` or ``roles``."""
    found: dict[str, str] = {}
    name = " ".join(full_name.split())
    creds = " ".join(credentials.split())
    if not name:
        found["full_name"] = "The name is required."
    elif len(name) > NAME_MAX:
        found["full_name"] = f"The name can be at most {NAME_MAX} characters."
    if len(creds) > CREDENTIALS_MAX:
        found["credentials"] = f"Credentials can be at most {CREDENTIALS_MAX} characters."
    clean_roles = tuple(sorted(set(roles)))
    if not clean_roles:
        found["roles"] = "Choose at least one role."
    elif any(r not in ROLES for r in clean_roles):
        found["roles"] = f"Roles are {', '.join(ROLES)}."
    if errors is None:
        if found:
            raise ValidationError(found)
    else:
        errors.update(found)
    return name, creds, clean_roles


def validate_username(username: str) -> str | None:
    """Why ``username`` cannot be a user name (compared without case and outer spaces), or None."""
    name = username.strip().lower()
    if not name:
        return "Choose a user name."
    if len(name) > USERNAME_MAX:
        return f"A user name can be at most {USERNAME_MAX} characters."
    if not all(ch.isalnum() or ch in "._-" for ch in name):
        return "Use letters, digits, dots, dashes and underscores only."
    return None


def check_new_account(full_name: str, credentials: str, username: str, password: str,
                      roles: tuple[str, ...] | list[str], errors: dict[str, str], *, clinic_name: str = "",
                      demo_clinic: bool = False) -> tuple[str, str, tuple[str, ...], str]:
    """Everything a new account needs, checked at once: (name, credentials, roles, user name) tidied, and every
    problem added to ``errors`` under its field (the caller raises ValidationError when it is not empty). The
    password must not be built on the person's names, user name or ``clinic_name`` (domain/password_policy.py)."""
    from tpi_notes.domain.password_policy import check_strength

    name, creds, clean_roles = clean_person(full_name, credentials, roles, errors)
    strength = check_strength(password, names=(full_name, username, clinic_name), demo_clinic=demo_clinic)
    for key, problem in (("username", validate_username(username)), ("password", strength)):
        if problem:
            errors[key] = problem
    return name, creds, clean_roles, username.strip().lower()


def describe_changes(before: UserAccount, name: str, credentials: str, roles: tuple[str, ...],
                     active: bool) -> list[str]:
    """What an edit changes, for the audit trail: ``roles: nurse → nurse, physician``, ``deactivated`` …"""
    changes = []
    if name != before.full_name:
        changes.append(f"name: {before.full_name} → {name}")
    if credentials != before.credentials:
        changes.append(f"credentials: {before.credentials or 'none'} → {credentials or 'none'}")
    if tuple(sorted(roles)) != tuple(sorted(before.roles)):
        changes.append(f"roles: {roles_text(before.roles)} → {roles_text(roles)}")
    if active != before.active:
        changes.append("reactivated" if active else "deactivated")
    return changes
