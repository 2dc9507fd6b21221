"""Staff lists for the editor (physician, assistant) and adding a clinician on a fresh install."""

from __future__ import annotations

from tpi_notes.db.repositories import audit, staff
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.staff import ROLES, StaffMember
from tpi_notes.domain.users import clean_person
from tpi_notes.services.context import AppContext


def list_staff(ctx: AppContext, role: str) -> list[StaffMember]:
    """Active staff holding ``role`` (physician, nurse or admin), by name."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    with ctx.read() as s:
        return staff.with_role(s, role)


def add_staff(ctx: AppContext, full_name: str, credentials: str, roles: tuple[str, ...]) -> StaffMember:
    """A new staff member without a password yet (logins are set up under clinic administration)."""
    ctx.require(Permission.MANAGE_USERS)
    name, credentials, roles = clean_person(full_name, credentials, roles)
    with ctx.transaction() as s:
        user = staff.add(s, name, credentials.strip(), tuple(sorted(set(roles))))
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="create", entity="user", entity_id=user.id,
                     detail=f"roles: {', '.join(sorted(set(roles)))}")
        return staff.to_member(user)
