"""Users as plain staff members."""

from __future__ import annotations

import re

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from tpi_notes.db.models import User, UserRole
from tpi_notes.domain.staff import StaffMember


def to_member(user: User) -> StaffMember:
    return StaffMember(user.id, user.full_name, user.credentials, tuple(sorted(r.role for r in user.roles)),
                       user.username, user.active)


def with_role(s: Session, role: str) -> list[StaffMember]:
    rows = s.scalars(select(User).join(UserRole).where(UserRole.role == role, User.active.is_(True))
                     .order_by(User.full_name))
    return [to_member(u) for u in rows]


def count(s: Session) -> int:
    """Every account, active or not (a clinic that has any is set up: the demo stays out of it)."""
    return s.scalar(select(func.count(User.id))) or 0


# Built once: every save checks its physician and assistant (issue 19).
_HAS_ROLE = select(UserRole.user_id).where(UserRole.user_id == bindparam("user_id"),
                                           UserRole.role.in_(bindparam("roles", expanding=True))).limit(1)


def has_role(s: Session, user_id: int, role: str) -> bool:
    return has_any_role(s, user_id, (role,))


def has_any_role(s: Session, user_id: int, roles: tuple[str, ...]) -> bool:
    return s.scalar(_HAS_ROLE, {"user_id": user_id, "roles": list(roles)}) is not None


def unique_username(s: Session, full_name: str) -> str:
    parts = re.findall(r"[a-z0-9]+", full_name.lower()) or ["user"]
    base = (parts[0][0] + parts[-1] if len(parts) > 1 else parts[0])[:30]
    name, n = base, 1
    while s.scalar(select(User.id).where(User.username == name)) is not None:
        n += 1
        name = f"{base}{n}"
    return name


def add(s: Session, full_name: str, credentials: str, roles: tuple[str, ...], username: str | None = None) -> User:
    user = User(username=username or unique_username(s, full_name), full_name=full_name, credentials=credentials,
                roles=[UserRole(role=r) for r in roles])
    s.add(user)
    s.flush()
    return user
