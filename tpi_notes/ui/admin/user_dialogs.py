"""Add or edit a user, and reset a user's password: small dialogs whose refusals show at the field."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QDialog, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.staff import ROLES
from tpi_notes.domain.users import UserAccount
from tpi_notes.services import users_admin
from tpi_notes.services.context import AppContext
from tpi_notes.ui.admin.forms import DISABLED_STYLE, form_layout, intro, line, section, show_refusal
from tpi_notes.ui.dialog_layout import cancelable_buttons
from tpi_notes.ui.editor.fields import FieldErrors
from tpi_notes.ui.style import set_role

ROLE_HINTS = {
    "physician": "charts, signs own notes, adds addenda",
    "nurse": "registers patients, prepares drafts, prints aftercare",
    "admin": "users, clinic, formulary, exports, audit, backups",
}


def _password(parent: QWidget, placeholder: str) -> QLineEdit:
    edit = line(placeholder, parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def suggested_username(full_name: str) -> str:
    """``ahart`` for "Amelia Hart": first initial and family name, as the demo clinic's names are."""
    parts = re.findall(r"[a-z0-9]+", full_name.lower())
    if not parts:
        return ""
    return (parts[0][0] + parts[-1] if len(parts) > 1 else parts[0])[:30]


class UserDialog(QDialog):
    """Add a user (name, credentials, user name, roles, first password) or edit one (name, credentials,
    roles, active). After Accepted, :attr:`saved` holds the stored account."""

    user_saved = Signal(object)
    """A user was added or changed: the new :class:`UserAccount`."""

    def __init__(self, ctx: AppContext, account: UserAccount | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._account = account
        self.saved: UserAccount | None = None
        self.setObjectName("user_dialog")
        self.setWindowTitle("Add a user" if account is None else f"Edit user — {account.full_name}")
        self.setStyleSheet(DISABLED_STYLE)
        self.errors = FieldErrors()
        form = form_layout()

        section(form, "Person", self)
        self.full_name = line("e.g. Amelia Hart", self, account.full_name if account else "")
        self.credentials = line("e.g. MD, DO, RN (optional)", self, account.credentials if account else "")
        form.addRow("Full name:", self.errors.cell("full_name", self.full_name, self))
        form.addRow("Credentials:", self.errors.cell("credentials", self.credentials, self))

        self.role_boxes: dict[str, QCheckBox] = {}
        roles_widget = QWidget(self)
        roles_widget.setObjectName("field_roles")
        column = QVBoxLayout(roles_widget)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        for role, label in ROLES.items():
            row = QHBoxLayout()
            box = QCheckBox(label, roles_widget)
            box.setObjectName(f"role_{role}")
            box.setChecked(bool(account and role in account.roles))
            box.setMinimumWidth(130)
            hint = QLabel(ROLE_HINTS[role], roles_widget)
            set_role(hint, "hint")
            row.addWidget(box)
            row.addWidget(hint, 1)
            column.addLayout(row)
            self.role_boxes[role] = box
        form.addRow("Roles:", self.errors.cell("roles", roles_widget, self))

        section(form, "Sign-in", self)
        self.username = line("letters, digits, . _ -", self, account.username if account else "")
        self.username.setReadOnly(account is not None)
        self._username_touched = account is not None
        self.username.textEdited.connect(self._on_username_edited)
        self.full_name.textEdited.connect(self._suggest_username)
        form.addRow("User name:", self.errors.cell("username", self.username, self))
        self.password: QLineEdit | None = None
        self.confirm: QLineEdit | None = None
        self.active: QCheckBox | None = None
        if account is None:
            self.password = _password(self, "12 characters or more, hard to guess")
            self.confirm = _password(self, "the same again")
            form.addRow("Password:", self.errors.cell("password", self.password, self))
            form.addRow("Repeat password:", self.errors.cell("confirm", self.confirm, self))
        else:
            self.active = QCheckBox("Active (can sign in and be chosen in notes)", self)
            self.active.setObjectName("field_active")
            self.active.setChecked(account.active)
            form.addRow("Account:", self.errors.cell("active", self.active, self))

        self.general = self.errors.label("general", self)
        buttons, self.save_button = cancelable_buttons(self, "Add user" if account is None else "Save")
        self.save_button.setObjectName("save_button")
        buttons.accepted.connect(self.save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(intro("A user signs in with their user name and password; their roles decide what they "
                               "may do. One person may hold several roles.", self))
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.resize(560, 560 if account is None else 500)
        self.full_name.setFocus(Qt.FocusReason.OtherFocusReason)

    def roles(self) -> tuple[str, ...]:
        return tuple(role for role, box in self.role_boxes.items() if box.isChecked())

    @Slot(str)
    def _on_username_edited(self, _text: str) -> None:
        self._username_touched = True

    @Slot(str)
    def _suggest_username(self, name: str) -> None:
        if not self._username_touched:
            self.username.setText(suggested_username(name))

    @Slot()
    def save(self) -> None:
        self.errors.clear()
        self.general.hide()
        try:
            if self._account is None:
                assert self.password is not None and self.confirm is not None
                if self.password.text() != self.confirm.text():
                    raise ValidationError({"confirm": "The two passwords differ; type the same password twice."})
                saved = users_admin.add_user(self._ctx, self.full_name.text(), self.credentials.text(),
                                             self.username.text(), self.roles(), self.password.text())
            else:
                assert self.active is not None
                saved = users_admin.update_user(self._ctx, self._account.id, self.full_name.text(),
                                                self.credentials.text(), self.roles(), self.active.isChecked())
        except TpiError as exc:
            show_refusal(self, self.errors, exc, self.general)
            return
        self.saved = saved
        self.user_saved.emit(saved)
        self.accept()


class ResetPasswordDialog(QDialog):
    """An administrator gives a user a new password (and may unlock a locked account at the same time)."""

    def __init__(self, ctx: AppContext, account: UserAccount, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._account = account
        self.setObjectName("reset_password_dialog")
        self.setWindowTitle(f"Reset password — {account.full_name}")
        self.setStyleSheet(DISABLED_STYLE)
        self.errors = FieldErrors()
        self.password = _password(self, "12 characters or more, hard to guess")
        self.confirm = _password(self, "the same again")
        form = form_layout()
        form.addRow("New password:", self.errors.cell("password", self.password, self))
        form.addRow("Repeat password:", self.errors.cell("confirm", self.confirm, self))
        self.unlock: QCheckBox | None = None
        if account.locked:
            self.unlock = QCheckBox("Also unlock the account (locked after repeated wrong passwords)", self)
            self.unlock.setObjectName("also_unlock")
            self.unlock.setChecked(True)
            form.addRow("", self.unlock)
        self.general = self.errors.label("general", self)
        buttons, self.save_button = cancelable_buttons(self, "Set password")
        self.save_button.setObjectName("save_button")
        buttons.accepted.connect(self.save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(intro(f"{account.full_name} ({account.username}) signs in with this password from now on. "
                               "Tell it to them in person; they can change it later.", self))
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.resize(500, 250 if account.locked else 220)
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def save(self) -> None:
        self.errors.clear()
        self.general.hide()
        try:
            if self.password.text() != self.confirm.text():
                raise ValidationError({"confirm": "The two passwords differ; type the same password twice."})
            users_admin.reset_password(self._ctx, self._account.id, self.password.text())
            if self.unlock is not None and self.unlock.isChecked():
                users_admin.unlock(self._ctx, self._account.id)
        except TpiError as exc:
            show_refusal(self, self.errors, exc, self.general)
            return
        self.accept()
