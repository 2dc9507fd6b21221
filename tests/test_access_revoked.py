"""Access ends when it is revoked, not at sign-out (issue 14 item 4, product.md §9a).

A user is signed in on one workstation; on another (a second AppContext on the same file) an administrator
deactivates them, a stranger locks them with wrong passwords, or an administrator takes a role away. Their very
next action, whatever it is, is refused and changes nothing. The role matrix and the clinic (built once per
module) are test_roles.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from principals import ALL_PERMISSIONS
from test_report_support import PASSWORD
from test_roles import ACTIONS, Clinic, _snapshot, clinic, clinic_template  # noqa: F401 - fixtures
from ui_fixtures import message_boxes  # noqa: F401 - a fixture

from tpi_notes.domain.permissions import PermissionDenied
from tpi_notes.services import accounts, addenda, drafts, login, users_admin
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.signing import sign_session

REFUSED = "access changed since you signed in"


@pytest.fixture
def other_workstation(clinic: Clinic) -> Iterator[AppContext]:  # noqa: F811
    """The same database opened by another process, at first at its login screen."""
    ctx = open_clinic(str(clinic.db), principal=ALL_PERMISSIONS)
    try:
        yield ctx
    finally:
        ctx.close()


def _deactivate_physician(c: Clinic, other: AppContext) -> str:
    users_admin.update_user(other, c.physician, "Amelia Hart", "MD", ("physician",), False)
    return "physician"


def _lock_nurse(c: Clinic, other: AppContext) -> str:
    login.sign_out(other)  # someone at the other login screen types the nurse's name with wrong passwords
    for attempt in range(accounts.MAX_FAILED_ATTEMPTS):
        with pytest.raises(login.LoginRefused):
            login.login(other, "jsoto", f"a wrong guess {attempt}")
    return "nurse"


def _demote_admin(c: Clinic, other: AppContext) -> str:
    users_admin.add_user(other, "Second Admin", "", "second", ("admin",), "Violet gravel orbit 7")
    users_admin.update_user(other, c.admin, "Lena Grant", "", ("nurse",), True)  # admin → nurse only
    return "admin"


REVOCATIONS: dict[str, Callable[[Clinic, AppContext], str]] = {
    "a deactivated physician": _deactivate_physician,
    "a locked nurse": _lock_nurse,
    "a demoted admin": _demote_admin,
}


def _sign_in(c: Clinic, role: str) -> None:
    c.as_(role)
    assert c.ctx.user_id is not None


@pytest.mark.parametrize("revocation", list(REVOCATIONS))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_is_refused_at_once_after_a_revocation(clinic: Clinic, other_workstation: AppContext,  # noqa: F811
                                                            revocation: str, action: str) -> None:
    _sign_in(clinic, revocation.split()[-1])
    run, _allowed = ACTIONS[action]
    REVOCATIONS[revocation](clinic, other_workstation)
    before = _snapshot(clinic)
    with pytest.raises(PermissionDenied, match=REFUSED):
        run(clinic)
    assert _snapshot(clinic) == before
    assert clinic.ctx.user_id is not None  # still signed in: the app asks them to sign in again


def test_the_demoted_admin_can_no_longer_add_users_or_grant_admin(clinic: Clinic,  # noqa: F811
                                                                  other_workstation: AppContext) -> None:
    _sign_in(clinic, "admin")
    _demote_admin(clinic, other_workstation)
    users_before = clinic.count("SELECT count(*) FROM user_role WHERE role = 'admin'")
    with pytest.raises(PermissionDenied, match=REFUSED):
        users_admin.add_user(clinic.ctx, "Mallory Taker", "", "mallory", ("admin",), "Copper lantern meadow 9")
    with pytest.raises(PermissionDenied, match=REFUSED):
        users_admin.update_user(clinic.ctx, clinic.nurse, "Julia Soto", "RN", ("admin", "nurse"), True)
    with pytest.raises(PermissionDenied, match=REFUSED):
        users_admin.update_user(clinic.ctx, clinic.admin, "Lena Grant", "", ("admin", "nurse"), True)
    assert clinic.count("SELECT count(*) FROM user_role WHERE role = 'admin'") == users_before
    assert clinic.count("SELECT count(*) FROM app_user WHERE username = 'mallory'") == 0


def test_a_deactivated_physician_can_neither_sign_nor_add_an_addendum_nor_change_their_password(
        clinic: Clinic, other_workstation: AppContext) -> None:  # noqa: F811
    _sign_in(clinic, "physician")
    version = drafts.get_draft(clinic.ctx, clinic.draft).row_version or 1
    _deactivate_physician(clinic, other_workstation)
    with pytest.raises(PermissionDenied, match=REFUSED):
        sign_session(clinic.ctx, clinic.draft, clinic.physician, PASSWORD, row_version=version)
    with pytest.raises(PermissionDenied, match=REFUSED):
        addenda.add_addendum(clinic.ctx, clinic.signed, "addendum", "Late result.", clinic.physician, PASSWORD)
    with pytest.raises(PermissionDenied, match=REFUSED):
        accounts.set_password(clinic.ctx, clinic.physician, "Copper kettle meadow 5", current_password=PASSWORD)
    assert clinic.count(f"SELECT status = 'draft' FROM procedure_session WHERE id = {clinic.draft}") == 1
    assert clinic.count("SELECT count(*) FROM addendum") == 0


def test_signing_in_again_gives_the_roles_the_account_has_now(clinic: Clinic,  # noqa: F811
                                                              other_workstation: AppContext) -> None:
    _sign_in(clinic, "admin")
    _demote_admin(clinic, other_workstation)
    with pytest.raises(login.AccessChanged):
        users_admin.list_users(clinic.ctx)
    principal = login.sign_in_again(clinic.ctx, PASSWORD)
    assert principal.roles == ("nurse",) and clinic.ctx.principal == principal
    ACTIONS["save a draft"][0](clinic)  # a nurse now, and charting as one
    with pytest.raises(PermissionDenied, match="Not allowed"):
        users_admin.list_users(clinic.ctx)


def test_a_deactivated_user_cannot_sign_in_again(clinic: Clinic, other_workstation: AppContext) -> None:  # noqa: F811
    _sign_in(clinic, "physician")
    _deactivate_physician(clinic, other_workstation)
    with pytest.raises(login.LoginRefused):
        login.sign_in_again(clinic.ctx, PASSWORD)
    with pytest.raises(PermissionDenied, match=REFUSED):
        drafts.new_draft(clinic.ctx, clinic.patient)


def test_a_role_added_meanwhile_changes_nothing_until_the_next_sign_in(clinic: Clinic,  # noqa: F811
                                                                       other_workstation: AppContext) -> None:
    _sign_in(clinic, "nurse")
    users_admin.update_user(other_workstation, clinic.nurse, "Julia Soto", "RN", ("nurse", "physician"), True)
    drafts.new_draft(clinic.ctx, clinic.patient)  # still a nurse, still working
    with pytest.raises(PermissionDenied, match="Not allowed"):
        addenda.add_addendum(clinic.ctx, clinic.signed, "addendum", "Late result.", clinic.nurse, PASSWORD)


def test_the_command_line_user_is_not_an_account_and_is_unaffected(clinic: Clinic,  # noqa: F811
                                                                   other_workstation: AppContext) -> None:
    _deactivate_physician(clinic, other_workstation)
    cli = open_clinic(str(clinic.db))  # os:<login>
    try:
        assert cli.actor.startswith("os:")
        from tpi_notes.services import documents, integrity

        assert documents.procedure_note_pdf(cli, clinic.signed).startswith(b"%PDF")
        assert integrity.verify_database(cli).ok
    finally:
        cli.close()


def test_the_check_is_one_small_query_per_action(clinic: Clinic) -> None:  # noqa: F811
    from sqlalchemy import event

    _sign_in(clinic, "nurse")
    statements: list[str] = []
    event.listen(clinic.ctx.engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_a: statements.append(sql))
    clinic.ctx.require(next(iter(clinic.ctx.principal.permissions)))
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


# -- the open windows of a revoked user lock (ui/screen_lock.py) ------------------------------------------------------
def _open_main_window(qtbot, c: Clinic, role: str):  # noqa: ANN001, ANN202
    from tpi_notes.ui.app import create_main_window

    _sign_in(c, role)
    window = create_main_window(c.ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _select_patient_then_session(qtbot, window) -> None:  # noqa: ANN001
    """Click the patient in the list, then the first session in their list (what a user does first)."""
    from PySide6.QtCore import Qt

    view = window.patient_list.view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(view.model().index(0, 0)).center())
    qtbot.waitUntil(lambda: window.current_patient is not None, timeout=3000)
    sessions = window.patient_view.session_view
    qtbot.mouseClick(sessions.viewport(), Qt.MouseButton.LeftButton,
                     pos=sessions.visualRect(sessions.model().index(0, 0)).center())


def test_a_revoked_users_open_window_locks_at_the_next_action(clinic: Clinic, other_workstation: AppContext,  # noqa: F811
                                                              qtbot, message_boxes: list) -> None:  # noqa: ANN001, F811
    from PySide6.QtCore import Qt

    from tpi_notes.ui.screen_lock import Curtain

    window = _open_main_window(qtbot, clinic, "physician")
    _select_patient_then_session(qtbot, window)
    lock = window.screen_lock
    assert lock is not None and not lock.is_locked
    _deactivate_physician(clinic, other_workstation)  # at the front desk, on another computer
    assert not lock.is_locked  # nothing happens until the user acts …
    qtbot.keyClick(window.patient_view.session_view, Qt.Key.Key_Return)  # … opening the session
    qtbot.waitUntil(lambda: lock.is_locked, timeout=3000)
    assert window in {c.parentWidget() for c in lock.curtains}
    assert all(c.isVisible() for c in window.findChildren(Curtain))
    dialog = lock.dialog
    assert dialog is not None and dialog.access_changed
    assert "sign in again" in dialog.intro.text() and "deactivated" in dialog.intro.text()
    assert window.editors == []  # the session did not open
    assert message_boxes == []  # the lock says why; no box waits behind the curtain
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert lock.is_locked and "not correct" in dialog.error.text()  # a deactivated account stays out
    assert dialog.sign_out_button.isVisible()
    lock.stop()


def test_a_demoted_admin_signs_in_again_and_sees_only_what_they_may_now_do(clinic: Clinic,  # noqa: F811
                                                                          other_workstation: AppContext,
                                                                          qtbot, message_boxes: list) -> None:  # noqa: ANN001, F811
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    window = _open_main_window(qtbot, clinic, "admin")
    assert window.admin_action.isVisible() and not window.new_patient_action.isVisible()
    _demote_admin(clinic, other_workstation)
    window.screen_lock.access_timer.setInterval(20)  # an idle screen: the periodic check finds it
    window.screen_lock.access_timer.start()
    qtbot.waitUntil(lambda: window.screen_lock.is_locked, timeout=3000)
    dialog = window.screen_lock.dialog
    assert "role taken away: admin" in dialog.intro.text()
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert not window.screen_lock.is_locked
    assert clinic.ctx.principal.roles == ("nurse",)
    assert not window.admin_action.isVisible() and window.new_patient_action.isVisible()
    assert window.findChild(QLabel, "signed_in_as").text() == "Signed in as Lena Grant (Nurse)"
    window.screen_lock.stop()


def test_an_access_change_escaping_a_slot_is_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A widget that does not catch it (the patient search, say) lets it reach sys.excepthook: the lock has
    already told the user, so no crash report and no crash box."""
    from tpi_notes import logs

    reported: list[object] = []
    monkeypatch.setattr(logs, "report_crash", lambda *args: reported.append(args))
    logs._excepthook(login.AccessChanged, login.AccessChanged("role taken away: admin"), None)
    assert reported == []
    logs._excepthook(RuntimeError, RuntimeError("a real bug"), None)
    assert len(reported) == 1
