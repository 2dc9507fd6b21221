"""Signing from the editor in one action: save, what is still missing (each item a way to its field), the
password or the signing PIN, the lock, and the aftercare sheet printed at once when asked (issue 16 item 7).

The sign dialog (:class:`SignDialog`) opens window-modal and stays open on a wrong secret, so a test or a user
types into it and clicks; ``ask_new_password`` is a module function so that tests can answer it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.completeness import MissingItem
from tpi_notes.domain.errors import ConcurrentEditError, TpiError, ValidationError
from tpi_notes.domain.password_policy import check_strength
from tpi_notes.domain.session import SessionRecord
from tpi_notes.services import accounts, aftercare_prefs, signing_pin
from tpi_notes.services.assessment import assess
from tpi_notes.services.signing import NotReadyToSign, not_happened_yet, sign_session
from tpi_notes.ui.dialog_layout import stack
from tpi_notes.ui.editor import saving
from tpi_notes.ui.editor.error_routing import route
from tpi_notes.ui.editor.fields import now_minute
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.pdf_preview import LANGUAGE_NAMES, print_aftercare_now
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


# -- signing ----------------------------------------------------------------------------------------------
PASSWORD_MODE, PIN_MODE = "password", "pin"
CLOSE = ""  # what an attempt returns when the dialog should close unsigned (the missing list opens instead)


class SignDialog(QDialog):
    """The last step: who signs, when the procedure ended, the password or (in the signer's own session) the
    signing PIN, and whether to print the aftercare sheet at once. It stays open on a wrong secret.

    ``attempt(secret, mode, print_aftercare, large_print)`` signs and returns None, or the reason it did not."""

    def __init__(self, physician: str, ended: str, *, pin: str, language: str, large_print: bool,
                 attempt: Callable[[str, str, bool, bool], str | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sign_dialog")
        self.setWindowTitle("Sign the note")
        self._attempt = attempt
        self.mode = PIN_MODE if pin == signing_pin.READY else PASSWORD_MODE
        self._physician = physician
        intro = QLabel(self)
        intro.setWordWrap(True)
        self.intro = intro
        self.ended = QLabel(escape(ended), self)
        self.ended.setObjectName("sign_ended")
        self.secret_label = QLabel(self)
        self.secret = QLineEdit(self)
        self.secret.setObjectName("signing_secret")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.use_password = QPushButton("Use my password instead", self)
        self.use_password.setObjectName("use_password")
        self.use_password.setFlat(True)
        self.use_password.setAutoDefault(False)
        self.use_password.clicked.connect(lambda: self._set_mode(PASSWORD_MODE))
        self.pin_note = QLabel(self)
        set_role(self.pin_note, "hint")
        self.pin_note.setWordWrap(True)
        self.pin_note.setVisible(pin == signing_pin.LOCKED)
        self.pin_note.setText(signing_pin.PIN_LOCKED)
        name = LANGUAGE_NAMES.get(language, language)
        self.large_print = QCheckBox(f"Large print for the aftercare sheet ({name})", self)
        self.large_print.setObjectName("large_print")
        self.large_print.setChecked(large_print)
        self.large_print.setToolTip("Remembered for this patient: the next sheet offers the same")
        self.error = QLabel(self)
        self.error.setObjectName("sign_error")
        set_role(self.error, "field-error")
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        form.addRow("Ended:", self.ended)
        form.addRow(self.secret_label, self.secret)
        form.addRow("", self.use_password)
        form.addRow("", self.large_print)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.sign_and_print_button = QPushButton("Sign and print aftercare", self)
        self.sign_and_print_button.setObjectName("sign_and_print")
        self.sign_and_print_button.setDefault(True)
        self.sign_button = QPushButton("Sign", self)
        self.sign_button.setObjectName("sign_only")
        self.sign_button.setAutoDefault(False)
        buttons.addButton(self.sign_and_print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.sign_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.sign_and_print_button.clicked.connect(lambda: self._sign(True))
        self.sign_button.clicked.connect(lambda: self._sign(False))
        stack(self, intro, form, self.error, buttons, (480, 240))
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(2, self.pin_note)  # under the form: why the PIN is not offered
        self._set_mode(self.mode)

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        pin = mode == PIN_MODE
        self.secret_label.setText("PIN:" if pin else "Password:")
        self.secret.setPlaceholderText("your signing PIN" if pin else "")
        self.use_password.setVisible(pin)
        self.intro.setText(f"Signing locks the note. <b>{escape(self._physician)}</b>, type your "
                           f"{'signing PIN' if pin else 'password'} to sign.")
        self.secret.clear()
        self.secret.setFocus(Qt.FocusReason.OtherFocusReason)

    def _sign(self, then_print: bool) -> None:
        text = self.secret.text()
        if not text:
            self._problem("Type your PIN." if self.mode == PIN_MODE else "Type the password.")
            return
        for button in (self.sign_button, self.sign_and_print_button):
            button.setEnabled(False)
        try:
            problem = self._attempt(text, self.mode, then_print, self.large_print.isChecked())
        finally:
            for button in (self.sign_button, self.sign_and_print_button):
                button.setEnabled(True)
        if problem is None:
            self.accept()
            return
        if problem == CLOSE:
            self.reject()
            return
        if self.mode == PIN_MODE and "PIN is locked" in problem:
            self.pin_note.show()
            self._set_mode(PASSWORD_MODE)
        self._problem(problem)

    def _problem(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.secret.selectAll()
        self.secret.setFocus(Qt.FocusReason.OtherFocusReason)


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


def _end_line(ended: datetime, defaulted: bool) -> str:
    return f"{ended:%Y-%m-%d %H:%M}" + (" (now: it was empty, so the end is the moment of signing)"
                                         if defaulted else "")


def sign(editor: SessionEditor) -> SessionWindow | MissingDialog | SignDialog | None:
    """Sign the draft in one action: save it first when it has changes (refused: nothing signed, the fields say
    why), list what is missing, or ask the password or PIN, sign, print the aftercare sheet when asked, and
    reopen it read-only. An empty end time becomes the moment of signing, shown in the dialog."""
    draft = editor.current_draft()
    ended = draft.performed_end
    defaulted = ended is None
    if defaulted:
        ended = now_minute()
        draft = replace(draft, performed_end=ended)
    try:
        assessment = assess(editor.ctx, draft)
    except TpiError as exc:
        show_error(editor, exc)
        return None
    late = not_happened_yet(draft.performed_start, None if defaulted else draft.performed_end, datetime.now())
    if assessment.missing or late or draft.physician_id is None:
        return show_missing(editor, [*assessment.missing, *late])
    if defaulted:
        editor.pre.performed_end.set_value(ended)
    if (editor.draft_id is None or editor.is_dirty()) and not saving.save(editor):
        if defaulted:
            editor.pre.performed_end.set_value(None)
        editor.statusBar().showMessage("Not signed: the draft could not be saved; the fields marked say why.", 10000)
        return None
    session_id = editor.draft_id
    assert session_id is not None and ended is not None
    draft = editor.current_draft()
    physician_id = draft.physician_id
    assert physician_id is not None
    member = next((p for p in editor.reference.physicians if p.id == physician_id), None)
    name = member.label if member is not None else "The physician"
    own = editor.ctx.user_id == physician_id
    try:
        pin = signing_pin.pin_state(editor.ctx).state if own else signing_pin.NONE
        large = aftercare_prefs.large_print_default(editor.ctx, session_id)
    except TpiError as exc:
        show_error(editor, exc)
        return None
    language = editor.reference.patient.language or "en"

    def attempt(secret: str, mode: str, then_print: bool, large_print: bool) -> str | None:
        if defaulted and not _end_now(editor):  # the moment of signing, not of opening the dialog
            return "Not signed: the end time could not be saved; the fields marked say why."
        return _attempt(editor, session_id, physician_id, name, secret, mode, then_print, large_print)

    def closed(result: int) -> None:
        if editor.active_dialog is dialog:
            editor.active_dialog = None
        if defaulted and result != QDialog.DialogCode.Accepted and editor.isVisible():
            editor.pre.performed_end.set_value(None)  # not signed: no end time that nobody chose
            saving.save(editor)

    dialog = SignDialog(name, _end_line(ended, defaulted), pin=pin, language=language, large_print=large,
                        attempt=attempt, parent=editor)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.finished.connect(closed)
    editor.active_dialog = dialog
    dialog.open()
    return dialog


def _end_now(editor: SessionEditor) -> bool:
    """The defaulted end time moved to this minute (and saved) if the dialog stayed open past a minute."""
    minute = now_minute()
    if editor.pre.performed_end.value() == minute:
        return True
    editor.pre.performed_end.set_value(minute)
    return saving.save(editor)


def _attempt(editor: SessionEditor, session_id: int, physician_id: int, name: str, secret: str, mode: str,
             then_print: bool, large_print: bool) -> str | None:
    """Sign with the password or PIN; None when signed (the editor then closes), else why not."""
    password, pin = (None, secret) if mode == PIN_MODE else (secret, None)
    for attempt in range(2):  # a second round only after a first password was set
        try:
            record = sign_session(editor.ctx, session_id, physician_id, password, pin=pin,
                                  row_version=editor.current_draft().row_version or 1)
        except NotReadyToSign as exc:
            missing = list(exc.missing)
            QTimer.singleShot(0, lambda missing=missing: show_missing(editor, missing))
            return CLOSE
        except ConcurrentEditError as exc:
            editor.banners.show_concurrent(str(exc))
            return str(exc)
        except TpiError as exc:
            if NO_PASSWORD in str(exc) and attempt == 0 and pin is None:
                password = _offer_password(editor, physician_id, name)
                if password is None:
                    return str(exc)
                continue
            return str(exc)
        window = _signed(editor, record)
        if then_print:
            window.show_status(print_aftercare_now(editor.ctx, session_id, window, large_print=large_print))
        else:
            window.show_status(f"Signed at {record.signed_at:%H:%M}; the note is locked.")
        return None
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
