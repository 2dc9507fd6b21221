"""Clinic administration of users: who may do it, the last-administrator rule, and the audit trail it leaves."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tpi_notes.domain.errors import NotFoundError, ValidationError
from tpi_notes.domain.permissions import PermissionDenied, Principal
from tpi_notes.domain.users import UserAccount
from tpi_notes.services import accounts, login, users_admin
from tpi_notes.services.context import AppContext

PASSWORD = "Correct horse 9"


def _dump(db_path: Path) -> tuple[list, list, list]:
    conn = sqlite3.connect(db_path)
    try:
        return (conn.execute("SELECT id, username, full_name, credentials, password_hash, active, failed_attempts "
                             "FROM app_user ORDER BY id").fetchall(),
                conn.execute("SELECT user_id, role FROM user_role ORDER BY user_id, role").fetchall(),
                conn.execute("SELECT id, action, detail FROM audit_event ORDER BY id").fetchall())
    finally:
        conn.close()


def _details(db_path: Path) -> list[str]:
    return [detail for _id, _action, detail in _dump(db_path)[2]]


def _act_as(ctx: AppContext, user: UserAccount) -> None:
    ctx.act_as(Principal.for_user(user.id, user.username, user.full_name, user.roles))


@pytest.fixture
def team(ctx: AppContext) -> dict[str, UserAccount]:
    """An administrator, a physician and a nurse, each able to sign in (added by the all-permissions fixture)."""
    return {
        "admin": users_admin.add_user(ctx, "Ada Office", "", "ada", ("admin",), PASSWORD),
        "physician": users_admin.add_user(ctx, "Amelia Hart", "MD", "ahart", ("physician",), PASSWORD),
        "nurse": users_admin.add_user(ctx, "Nia Brooks", "RN", "nbrooks", ("nurse",), PASSWORD),
    }


def test_an_admin_adds_a_user_who_can_sign_in(ctx: AppContext, db_path: Path, team: dict) -> None:
    _act_as(ctx, team["admin"])
    added = users_admin.add_user(ctx, "  Kevin   O'Brien ", " DO ", "KOBrien", ("physician", "nurse"), PASSWORD)
    assert (added.full_name, added.credentials, added.username, added.roles) == (
        "Kevin O'Brien", "DO", "kobrien", ("nurse", "physician"))
    assert added.active and added.has_password and not added.locked
    assert [u.username for u in users_admin.list_users(ctx)] == ["ada", "ahart", "kobrien", "nbrooks"]  # by name
    principal = login.login(ctx, "kobrien", PASSWORD)
    assert principal.roles == ("nurse", "physician")
    assert "user kobrien added, roles: nurse, physician; password set" in _details(db_path)
    assert all(PASSWORD not in d for d in _details(db_path))


def test_user_names_are_unique_whatever_their_case(ctx: AppContext, db_path: Path, team: dict) -> None:
    before = _dump(db_path)
    with pytest.raises(ValidationError) as caught:
        users_admin.add_user(ctx, "Another Ada", "", "ADA", ("nurse",), PASSWORD)
    assert "taken" in caught.value.errors["username"]
    assert _dump(db_path) == before


def test_every_wrong_field_is_named_at_once(ctx: AppContext, db_path: Path) -> None:
    before = _dump(db_path)
    with pytest.raises(ValidationError) as caught:
        users_admin.add_user(ctx, "   ", "x" * 41, "no spaces allowed", (), "short")
    assert set(caught.value.errors) == {"full_name", "credentials", "username", "roles", "password"}
    with pytest.raises(ValidationError) as caught:
        users_admin.add_user(ctx, "Someone", "", "someone", ("surgeon",), PASSWORD)
    assert set(caught.value.errors) == {"roles"}
    assert _dump(db_path) == before


ACTIONS: dict[str, Callable[[AppContext, dict], object]] = {
    "list": lambda ctx, t: users_admin.list_users(ctx),
    "add": lambda ctx, t: users_admin.add_user(ctx, "New Person", "", "newperson", ("nurse",), PASSWORD),
    "update": lambda ctx, t: users_admin.update_user(ctx, t["nurse"].id, "Nia Brooks", "RN",
                                                     ("admin", "nurse"), True),
    "reset_password": lambda ctx, t: users_admin.reset_password(ctx, t["nurse"].id, "Brand new lantern 1"),
    "unlock": lambda ctx, t: users_admin.unlock(ctx, t["nurse"].id),
}


@pytest.mark.parametrize("role", ["physician", "nurse"])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_physicians_and_nurses_are_refused_and_nothing_changes(ctx: AppContext, db_path: Path, team: dict,
                                                               role: str, action: str) -> None:
    before = _dump(db_path)
    _act_as(ctx, team[role])
    with pytest.raises(PermissionDenied, match="may not manage users"):
        ACTIONS[action](ctx, team)
    assert _dump(db_path) == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_an_admin_may_do_each_action(ctx: AppContext, db_path: Path, team: dict, action: str) -> None:
    _act_as(ctx, team["admin"])
    events = len(_dump(db_path)[2])
    ACTIONS[action](ctx, team)
    assert len(_dump(db_path)[2]) == events + (action != "list")  # every change is an audit event


def test_a_role_change_names_the_roles_before_and_after(ctx: AppContext, db_path: Path, team: dict) -> None:
    _act_as(ctx, team["admin"])
    changed = users_admin.update_user(ctx, team["nurse"].id, "Nia  Brooks-Hale", "RN", ("physician", "nurse"), True)
    assert changed.roles == ("nurse", "physician") and changed.full_name == "Nia Brooks-Hale"
    detail = _details(db_path)[-1]
    assert detail == "user nbrooks: name: Nia Brooks → Nia Brooks-Hale; roles: nurse → nurse, physician"
    _id, action, _detail = _dump(db_path)[2][-1]
    assert action == "change"
    users_admin.update_user(ctx, team["nurse"].id, "Nia Brooks-Hale", "RN", ("physician", "nurse"), False)
    assert _details(db_path)[-1] == "user nbrooks: deactivated"
    with pytest.raises(login.LoginRefused):
        login.login(ctx, "nbrooks", PASSWORD)


def test_an_edit_that_changes_nothing_writes_nothing(ctx: AppContext, db_path: Path, team: dict) -> None:
    before = _dump(db_path)
    nurse = team["nurse"]
    assert users_admin.update_user(ctx, nurse.id, nurse.full_name, nurse.credentials, nurse.roles, True) == nurse
    assert _dump(db_path) == before


def test_the_last_administrator_keeps_the_role_and_stays_active(ctx: AppContext, db_path: Path, team: dict) -> None:
    admin = team["admin"]
    # An administrator without a password cannot sign in, so does not count as a second one.
    spare = users_admin.add_user(ctx, "Paper Admin", "", "paper", ("admin",), PASSWORD)
    with ctx.transaction() as s:
        s.connection().exec_driver_sql(f"UPDATE app_user SET password_hash = NULL WHERE id = {spare.id}")
    before = _dump(db_path)
    with pytest.raises(ValidationError) as caught:
        users_admin.update_user(ctx, admin.id, admin.full_name, "", ("nurse",), True)
    assert "last active administrator" in caught.value.errors["roles"]
    with pytest.raises(ValidationError) as caught:
        users_admin.update_user(ctx, admin.id, admin.full_name, "", ("admin",), False)
    assert "last active administrator" in caught.value.errors["active"]
    assert _dump(db_path) == before
    assert not login.needs_setup(ctx)

    # With a second administrator who can sign in, the first may step down.
    users_admin.reset_password(ctx, spare.id, PASSWORD)
    users_admin.update_user(ctx, admin.id, admin.full_name, "", ("nurse",), True)
    assert users_admin.get_user(ctx, admin.id).roles == ("nurse",)
    assert _details(db_path)[-1] == "user ada: roles: admin → nurse"


def test_an_admin_cannot_deactivate_or_demote_themself(ctx: AppContext, db_path: Path, team: dict) -> None:
    admin = team["admin"]
    users_admin.add_user(ctx, "Second Admin", "", "second", ("admin",), PASSWORD)
    _act_as(ctx, admin)
    before = _dump(db_path)
    with pytest.raises(ValidationError) as caught:
        users_admin.update_user(ctx, admin.id, admin.full_name, "", ("admin",), False)
    assert "your own account" in caught.value.errors["active"]
    with pytest.raises(ValidationError) as caught:
        users_admin.update_user(ctx, admin.id, admin.full_name, "", ("physician",), True)
    assert "your own administrator role" in caught.value.errors["roles"]
    assert _dump(db_path) == before
    # Adding a role to oneself is fine.
    assert users_admin.update_user(ctx, admin.id, admin.full_name, "", ("admin", "physician"), True).roles == (
        "admin", "physician")


def test_reset_password_and_unlock(ctx: AppContext, db_path: Path, team: dict) -> None:
    nurse = team["nurse"]
    for attempt in range(accounts.MAX_FAILED_ATTEMPTS):
        assert not accounts.verify_user_password(ctx, nurse.id, f"wrong guess {attempt}")
    assert users_admin.get_user(ctx, nurse.id).locked
    _act_as(ctx, team["admin"])
    users_admin.reset_password(ctx, nurse.id, "Fresh kettle drum 2")
    assert users_admin.get_user(ctx, nurse.id).locked  # a reset does not unlock by itself
    users_admin.unlock(ctx, nurse.id)
    assert not users_admin.get_user(ctx, nurse.id).locked
    assert login.login(ctx, "nbrooks", "Fresh kettle drum 2").user_id == nurse.id
    assert "password reset by an administrator" in _details(db_path)
    assert "failed password attempts reset (was 5)" in _details(db_path)


def test_an_admin_resets_only_other_peoples_passwords(ctx: AppContext, db_path: Path, team: dict) -> None:
    _act_as(ctx, team["admin"])
    before = _dump(db_path)
    with pytest.raises(ValidationError, match="your own account"):
        users_admin.reset_password(ctx, team["admin"].id, "Another pass 33")
    with pytest.raises(ValidationError, match="at least 12"):
        users_admin.reset_password(ctx, team["nurse"].id, "short")
    with pytest.raises(NotFoundError):
        users_admin.update_user(ctx, 999, "Nobody", "", ("nurse",), True)
    assert _dump(db_path) == before


def test_inactive_users_can_be_left_out(ctx: AppContext, team: dict) -> None:
    nurse = team["nurse"]
    users_admin.update_user(ctx, nurse.id, nurse.full_name, nurse.credentials, nurse.roles, False)
    assert [u.username for u in users_admin.list_users(ctx, include_inactive=False)] == ["ada", "ahart"]
    listed = users_admin.list_users(ctx)
    assert listed[-1].username == "nbrooks" and not listed[-1].active
