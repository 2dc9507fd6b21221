"""Who may do what (product.md §9, clinical-reference §8.5): roles, the permissions they grant, the acting principal.

The service layer checks a permission at the start of every user action (``ctx.require``); the UI only hides
what the service would refuse. One person may hold several roles and gets the union of their permissions.

The command line acts as the operating-system user (product.md §7), who already holds the database file: it may
read, print, export, back up, verify and build a demo clinic, but never chart, sign or manage accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from tpi_notes.domain.errors import TpiError


class Permission(Enum):
    VIEW_RECORDS = "view patients and sessions"
    EDIT_PATIENTS = "register and update patients"
    PREPARE_DRAFTS = "create and save draft sessions and templates"
    SIGN = "sign procedure notes"
    ADDENDUM = "add addenda to signed notes"
    PRINT = "print procedure notes and aftercare sheets"
    EXPORT = "export the session history"
    VIEW_AUDIT = "view and export the audit trail"
    MANAGE_USERS = "manage users, roles and passwords"
    MANAGE_CLINIC = "change clinic details and policies"
    MANAGE_FORMULARY = "manage the formulary and lots"
    BACKUP = "back up the database"
    VERIFY = "verify signed notes and the audit trail"
    LOAD_DEMO = "load a demo clinic into an empty database"
    VIEW_OUTCOMES = "view the clinic outcomes report"  # counts and means, no patient (issue 17)


P = Permission
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    # Charts, signs their own sessions, adds addenda; prints what they signed.
    "physician": frozenset({P.VIEW_RECORDS, P.EDIT_PATIENTS, P.PREPARE_DRAFTS, P.SIGN, P.ADDENDUM, P.PRINT,
                            P.VERIFY, P.VIEW_OUTCOMES}),
    # Registers patients, prepares the draft (consent, time-out, vitals), prints the aftercare sheet.
    "nurse": frozenset({P.VIEW_RECORDS, P.EDIT_PATIENTS, P.PREPARE_DRAFTS, P.PRINT}),
    # Users, clinic, formulary, exports, audit, backups; reads the record but never edits clinical content.
    "admin": frozenset({P.VIEW_RECORDS, P.EXPORT, P.VIEW_AUDIT, P.MANAGE_USERS, P.MANAGE_CLINIC,
                        P.MANAGE_FORMULARY, P.BACKUP, P.VERIFY, P.LOAD_DEMO, P.VIEW_OUTCOMES}),
}
OPERATING_SYSTEM_PERMISSIONS = frozenset({P.VIEW_RECORDS, P.PRINT, P.EXPORT, P.VIEW_AUDIT, P.BACKUP, P.VERIFY,
                                          P.LOAD_DEMO})


class PermissionDenied(TpiError):
    """The acting user's roles do not allow this action; nothing was changed."""


def permissions_for(roles: frozenset[str] | tuple[str, ...]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in app user (``user_id`` set) or the operating-system user of the command line."""

    actor: str
    name: str
    permissions: frozenset[Permission]
    user_id: int | None = None
    roles: tuple[str, ...] = field(default=())

    @classmethod
    def for_user(cls, user_id: int, username: str, full_name: str, roles: tuple[str, ...]) -> Principal:
        return cls(f"user:{username}", full_name, permissions_for(tuple(roles)), user_id, tuple(sorted(roles)))

    @classmethod
    def operating_system(cls, login: str) -> Principal:
        return cls(f"os:{login}", login, OPERATING_SYSTEM_PERMISSIONS)

    @property
    def is_user(self) -> bool:
        return self.user_id is not None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            who = f"{self.name} ({', '.join(self.roles) or 'no role'})" if self.is_user else (
                f"the command line ({self.name})")
            raise PermissionDenied(f"Not allowed: {who} may not {permission.value}.")
