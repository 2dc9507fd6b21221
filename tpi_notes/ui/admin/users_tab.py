"""The Users tab: every account with its roles and state; add, edit, reset a password, unlock."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal, Slot
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.users import UserAccount, role_names
from tpi_notes.services import users_admin
from tpi_notes.services.accounts import MAX_FAILED_ATTEMPTS
from tpi_notes.services.context import AppContext
from tpi_notes.ui.admin.forms import intro
from tpi_notes.ui.admin.tables import Cell, RowsModel, danger, make_table, muted, select_row, selected_row
from tpi_notes.ui.admin.user_dialogs import ResetPasswordDialog, UserDialog
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.style import set_role

HEADERS = ("Name", "Credentials", "User name", "Roles", "Active", "Locked")


def user_cells(user: UserAccount) -> list[Cell]:
    def plain(text: str) -> Cell:
        return Cell(text) if user.active else muted(text)

    if user.locked:
        locked = danger("Locked", f"Locked after {MAX_FAILED_ATTEMPTS} wrong passwords: Unlock, or reset the "
                                  "password.")
    elif not user.has_password:
        locked = muted("No password", "Cannot sign in until an administrator sets a password.")
    else:
        locked = muted("—")
    return [
        Cell(user.full_name) if user.active else muted(user.full_name),
        plain(user.credentials),
        plain(user.username),
        plain(role_names(user.roles)),
        Cell("Yes") if user.active else muted("No — deactivated"),
        locked,
    ]


class UsersTab(QWidget):
    """Users and roles (Permission.MANAGE_USERS)."""

    users_changed = Signal()
    """An account was added or changed (other screens may reload their staff lists)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.setObjectName("users_tab")
        self.model = RowsModel(HEADERS, self)
        self.view = make_table(self.model, "users_view", self, stretch=3)
        self.view.doubleClicked.connect(self._on_double_click)
        self.count_label = QLabel(self)
        set_role(self.count_label, "count")

        self.add_button = QPushButton("Add user…", self)
        self.add_button.setObjectName("add_user_button")
        self.add_button.setProperty("primary", True)
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.setObjectName("edit_user_button")
        self.reset_button = QPushButton("Reset password…", self)
        self.reset_button.setObjectName("reset_password_button")
        self.unlock_button = QPushButton("Unlock", self)
        self.unlock_button.setObjectName("unlock_button")
        self.add_button.clicked.connect(self.add_user)
        self.edit_button.clicked.connect(self.edit_user)
        self.reset_button.clicked.connect(self.reset_password)
        self.unlock_button.clicked.connect(self.unlock)

        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        for button in (self.add_button, self.edit_button, self.reset_button, self.unlock_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(10)
        layout.addWidget(intro("Everyone who signs in. A deactivated user keeps their name on the notes they "
                               "wrote but can no longer sign in. Changes to roles take effect at the user's next "
                               "sign-in.", self))
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.active_dialog: QDialog | None = None
        self.reload()

    def selected(self) -> UserAccount | None:
        return self.model.record_at(selected_row(self.view))

    @Slot()
    def reload(self, select_id: int | None = None) -> None:
        keep = select_id if select_id is not None else (self.selected().id if self.selected() else None)
        try:
            users = users_admin.list_users(self._ctx)
        except TpiError as exc:
            show_error(self, exc)
            users = []
        self.model.set_rows([(user, user_cells(user)) for user in users])
        active = sum(1 for u in users if u.active)
        self.count_label.setText(f"{active} active user{'s' if active != 1 else ''}, {len(users) - active} "
                                 "deactivated")
        rows = [i for i, u in enumerate(users) if u.id == keep]
        select_row(self.view, rows[0] if rows else 0)
        self._update_buttons()

    @Slot()
    def _update_buttons(self) -> None:
        user = self.selected()
        self.edit_button.setEnabled(user is not None)
        self.reset_button.setEnabled(user is not None and user.active and user.id != self._ctx.user_id)
        self.unlock_button.setEnabled(user is not None and user.locked)

    @Slot(QModelIndex)
    def _on_double_click(self, _index: QModelIndex) -> None:
        self.edit_user()

    def _run(self, dialog: QDialog) -> bool:
        self.active_dialog = dialog
        try:
            return dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            self.active_dialog = None

    @Slot()
    def add_user(self) -> None:
        dialog = UserDialog(self._ctx, None, self)
        if self._run(dialog) and dialog.saved is not None:
            self.reload(dialog.saved.id)
            self.users_changed.emit()

    @Slot()
    def edit_user(self) -> None:
        user = self.selected()
        if user is None:
            return
        dialog = UserDialog(self._ctx, user, self)
        if self._run(dialog) and dialog.saved is not None:
            self.reload(dialog.saved.id)
            self.users_changed.emit()

    @Slot()
    def reset_password(self) -> None:
        user = self.selected()
        if user is None:
            return
        if self._run(ResetPasswordDialog(self._ctx, user, self)):
            self.reload(user.id)
            QMessageBox.information(self, "Password set", f"{user.full_name} signs in with the new password from "
                                                          "now on.")

    @Slot()
    def unlock(self) -> None:
        user = self.selected()
        if user is None:
            return
        try:
            users_admin.unlock(self._ctx, user.id)
        except TpiError as exc:
            show_error(self, exc)
            return
        self.reload(user.id)
