"""Signing from the editor: what is still missing (each item a way to its field), the password, the lock.

``ask_password`` and ``ask_new_password`` are module functions so that tests can answer them.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.completeness import MissingItem
from tpi_notes.domain.errors import ConcurrentEditError, TpiError, ValidationError
from tpi_notes.domain.password_policy import check_strength
from tpi_notes.domain.session import SessionRecord
from tpi_notes.services import accounts
from tpi_notes.services.assessment import assess
from tpi_notes.services.signing import NotReadyToSign, sign_session
from tpi_notes.ui.dialog_layout import stack
from tpi_notes.ui.editor import saving
from tpi_notes.ui.editor.error_routing import route
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.session_window import SessionWindow
from tpi_notes.ui.style import set_role

if TYPE_CHECKING:
    from tpi_notes.ui.editor.window import SessionEditor

NO_PASSWORD = "has no password yet"


class MissingDialog(QDialog):
    """What keeps the note from being signed; choosing an item closes the dialog and goes to its field."""

    item_chosen = Signal(str, str)
    """(field key, message)."""

    def __init__(self, missing: list[MissingItem] | tuple[MissingItem, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("missing_dialog")
        self.setWindowTitle("Not ready to sign")
        intro = QLabel(f"<b>{len(missing)} thing{'s' if len(missing) != 1 else ''} to complete before signing.</b> "
                       "Click one (or press Enter) to go to it.", self)
        intro.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("missing_list")
        self.list.setWordWrap(True)
        for item in missing:
            row = QListWidgetItem(item.message, self.list)
            row.setData(Qt.ItemDataRole.UserRole, item.field)
            row.setToolTip(item.message)
        self.list.setCurrentRow(0)
        self.list.itemClicked.connect(self._chosen)
        self.list.itemActivated.connect(self._chosen)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(560, 380)
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot(QListWidgetItem)
    def _chosen(self, item: QListWidgetItem) -> None:
        if not self.isVisible():
            return  # a double click reports twice
        key = str(item.data(Qt.ItemDataRole.UserRole))
        message = item.text()
        self.accept()
        self.item_chosen.emit(key, message)


class PasswordDialog(QDialog):
    """The signing physician's password, once more, for this signature."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None, *, confirm: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("password_dialog")
        self.setWindowTitle(title)
        intro = QLabel(text, self)
        intro.setWordWrap(True)
        self.password = QLineEdit(self)
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit(self)
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel(self)
        set_role(self.error, "field-error")
        self.error.setWordWrap(True)
        self.error.hide()
        self._confirm = confirm
        form = QFormLayout()
        form.addRow("Password:", self.password)
        if confirm:
            form.addRow("Again:", self.again)
        else:
            self.again.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        stack(self, intro, form, self.error, buttons, (420, 160))

    def accept(self) -> None:
        text = self.password.text()
        problem = None
        if not text:
            problem = "Type the password."
        elif self._confirm:
            problem = check_strength(text) or (None if text == self.again.text() else "The two entries differ.")
        if problem:
            self.error.setText(problem)
            self.error.show()
            self.password.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        super().accept()


def ask_password(parent: QWidget, physician: str) -> str | None:
    """The signing physician's password (None when cancelled)."""
    dialog = PasswordDialog("Sign the note", f"Signing locks the note. <b>{escape(physician)}</b>, type your "
                            "password to sign.", parent)
    return dialog.password.text() if dialog.exec() == QDialog.DialogCode.Accepted else None


def ask_new_password(parent: QWidget, physician: str) -> str | None:
    """A first password for the physician (None when cancelled)."""
    dialog = PasswordDialog("Set a password", f"Choose a password for <b>{escape(physician)}</b>. It is needed "
                            "to sign notes and addenda.", parent, confirm=True)
    return dialog.password.text() if dialog.exec() == QDialog.DialogCode.Accepted else None


# -- going to a missing item ----------------------------------------------------------------------------
def go_to_field(editor: SessionEditor, key: str, message: str) -> None:
    """Show ``message`` at the field ``key`` names and give that field the keyboard (error routing)."""
    if key.startswith("finding:"):
        editor.findings.focus_finding(key)
        return
    if key.startswith("patient."):  # a history answer: on the patient, so the patient form opens at it
        from tpi_notes.ui.editor.patient_answers import open_patient_at

        open_patient_at(editor, key.removeprefix("patient."), message)
        return
    if key == "carried_fields":  # copied forward or from a template: the one Confirm (ui/editor/carried.py)
        editor.carried.focus_confirm(message)
        return
    saving.clear_errors(editor)
    if key.startswith("exam_findings["):  # one muscle's row of the exam table: the message there, its row chosen
        editor.pre.exam_findings.select_muscle(key)
        key = "exam_findings"
    if key == "sites":
        editor.diagram.view.setFocus(Qt.FocusReason.OtherFocusReason)
        editor.statusBar().showMessage(message, 8000)
        return
    routed = route({key: message})
    pre = editor.pre.errors.show(routed.fields)
    post = editor.post.errors.show(routed.fields)
    syringe_fields, _left = editor.syringes.show_errors(routed.syringes)
    site_field: QWidget | None = None
    for number, site_errors in routed.sites.items():
        if 1 <= number <= len(editor.document):
            editor.site_details.set_errors({editor.document.key_at(number - 1): site_errors})
            editor.select_site(number)
            site_field = editor.site_details.first_bad_field() or editor.diagram.table
    for page, fields in (("pre", pre), ("syringes", syringe_fields), ("site", [site_field] if site_field else []),
                         ("post", post)):
        if fields:
            saving.focus(editor, page, fields[0])
            return
    editor.statusBar().showMessage(message, 8000)


def show_missing(editor: SessionEditor, missing: list[MissingItem] | tuple[MissingItem, ...]) -> MissingDialog:
    dialog = MissingDialog(missing, editor)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.item_chosen.connect(lambda key, message: go_to_field(editor, key, message))
    dialog.finished.connect(lambda _r: setattr(editor, "active_dialog", None))
    editor.active_dialog = dialog
    dialog.open()
    return dialog


# -- signing --------------------------------------------------------------------------------------------
def _offer_password(editor: SessionEditor, physician_id: int, name: str) -> str | None:
    answer = QMessageBox.question(editor, "No password yet", f"{name} has no password yet, and signing needs "
                                  "one. Set it now?")
    if answer != QMessageBox.StandardButton.Yes:
        return None
    password = ask_new_password(editor, name)
    if password is None:
        return None
    try:
        accounts.set_password(editor.ctx, physician_id, password)
    except ValidationError as exc:
        QMessageBox.warning(editor, "Password not set", " ".join(exc.errors.values()))
        return None
    except TpiError as exc:
        show_error(editor, exc)
        return None
    return password


def sign(editor: SessionEditor) -> SessionWindow | MissingDialog | None:
    """Sign the saved draft: list what is missing, or ask the password, sign, and reopen it read-only."""
    session_id = editor.draft_id
    if session_id is None or editor.is_dirty():
        editor.statusBar().showMessage("Save the draft before signing it.", 5000)
        return None
    draft = editor.current_draft()
    try:
        assessment = assess(editor.ctx, draft)
    except TpiError as exc:
        show_error(editor, exc)
        return None
    if assessment.missing or draft.physician_id is None:
        return show_missing(editor, assessment.missing)
    physician_id = draft.physician_id
    member = next((p for p in editor.reference.physicians if p.id == physician_id), None)
    name = member.label if member is not None else "The physician"
    password = ask_password(editor, name)
    for _attempt in range(2):  # a second round only after a first password was set
        if password is None:
            return None
        try:
            record = sign_session(editor.ctx, session_id, physician_id, password,
                                  row_version=draft.row_version or 1)
        except NotReadyToSign as exc:
            return show_missing(editor, exc.missing)
        except ConcurrentEditError as exc:
            editor.banners.show_concurrent(str(exc))
            return None
        except TpiError as exc:
            if NO_PASSWORD in str(exc) and _attempt == 0:
                password = _offer_password(editor, physician_id, name)
                continue
            QMessageBox.warning(editor, "Not signed", str(exc))
            return None
        return _signed(editor, record)
    return None


def _signed(editor: SessionEditor, record: SessionRecord) -> SessionWindow:
    window = SessionWindow(record, editor.reference.patient.display_name, editor.reference.formulary,
                           editor.parentWidget(), ctx=editor.ctx)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    editor.signed_window = window
    editor.session_saved.emit(record.id, record.patient_id)
    editor.session_signed.emit(record.id, record.patient_id)
    editor.autosave.discard()
    editor.close()
    window.show()
    return window
