"""The principal most tests act as: every permission. Per-role tests (test_roles.py) sign real users in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tpi_notes.domain.permissions import Permission, Principal

if TYPE_CHECKING:
    from tpi_notes.services.context import AppContext

ALL_PERMISSIONS = Principal("test:fixture", "test fixture", frozenset(Permission))


def holding(ctx: AppContext, principal: Principal) -> Principal:
    """``principal``, with its account in the database given exactly its roles (active, unlocked) first: access is
    read again from the account on every action (AppContext.check_access), so a test acting as "user 1 as a nurse"
    must make user 1 a nurse."""
    from sqlalchemy import delete, update

    from tpi_notes.db.models import User, UserRole

    with ctx.transaction() as s:
        assert s.get(User, principal.user_id) is not None, f"no user {principal.user_id} to act as"
        s.execute(update(User).where(User.id == principal.user_id).values(active=True, locked_at=None))
        s.execute(delete(UserRole).where(UserRole.user_id == principal.user_id))
        s.add_all(UserRole(user_id=principal.user_id, role=r) for r in principal.roles)
    return principal
