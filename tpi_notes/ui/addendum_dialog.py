"""Adding an addendum (addendum / correction / late entry) to a signed session; the original stays as signed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.session import ADDENDUM_KINDS
from tpi_notes.domain.staff import StaffMember
from tpi_notes.services import addenda, signing_pin
from tpi_notes.services.context import AppContext
from tpi_notes.ui.dialog_layout import cancelable_buttons, stack
from tpi_notes.ui.editor.phrase_picker import PhraseKey
from tpi_notes.ui.style import set_role


class AddendumDialog(QDialog):
    """Kind, text, the signing physician and their password; nothing is written until all check out."""

    added = Signal(object)
    """The stored Addendum."""

    def __init__(self, ctx: AppContext, session_id: int, physicians: list[StaffMember], default_author: int | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._session_id = session_id
        self.setObjectName("addendum_dialog")
        self.setWindowTitle("Add an addendum")
        intro = QLabel("The signed note stays exactly as it was signed; the addendum is added after it, dated now "
                       "and signed with your password (or, for your own addendum here, your signing PIN).", self)
        intro.setWordWrap(True)
        set_role(intro, "hint")
        self.kind = QComboBox(self)
        self.kind.setObjectName("addendum_kind")
        for code, label in ADDENDUM_KINDS.items():
            self.kind.addItem(label, code)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("addendum_text")
        self.text.setPlaceholderText("What is added or corrected, in full sentences.")
        PhraseKey(ctx, self.text, "addendum")  # F2: phrases (issue 16 item 2)
        self.author = QComboBox(self)
        self.author.setObjectName("addendum_author")
        for member in physicians:
            self.author.addItem(member.label, member.id)
        if default_author is not None:
            self.author.setCurrentIndex(max(0, self.author.findData(default_author)))
        self.password = QLineEdit(self)
        self.password.setObjectName("addendum_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        # The signing PIN, as at signing: only when the chosen author is the one signed in here and has one.
        self.secret_label = QLabel("Password:", self)
        self.use_password = QPushButton("Use my password instead", self)
        self.use_password.setObjectName("addendum_use_password")
        self.use_password.setFlat(True)
        self.use_password.setAutoDefault(False)
        self.use_password.clicked.connect(lambda: self._set_pin_mode(False))
        self.pin_mode = False
        try:
            self._pin_ready = ctx.user_id is not None and signing_pin.pin_state(ctx).state == signing_pin.READY
        except TpiError:
            self._pin_ready = False
        self.error = QLabel(self)
        self.error.setObjectName("addendum_error")
        self.error.setWordWrap(True)
        set_role(self.error, "field-error")
        self.error.hide()
        form = QFormLayout()
        form.addRow("Kind:", self.kind)
        form.addRow("Text:", self.text)
        form.addRow("Signed by:", self.author)
        form.addRow(self.secret_label, self.password)
        form.addRow("", self.use_password)
        buttons, self.sign_button = cancelable_buttons(self, "Sign addendum")
        buttons.accepted.connect(self.save)
        stack(self, intro, form, self.error, buttons, (520, 360))
        self.author.currentIndexChanged.connect(lambda _i: self._set_pin_mode(self._own_pin()))
        self._set_pin_mode(self._own_pin())
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)

    def _own_pin(self) -> bool:
        return self._pin_ready and self.author.currentData() == self._ctx.user_id

    def _set_pin_mode(self, pin: bool) -> None:
        self.pin_mode = pin
        self.secret_label.setText("PIN:" if pin else "Password:")
        self.password.setPlaceholderText("your signing PIN" if pin else "")
        self.password.clear()
        self.use_password.setVisible(pin)

    def _refuse(self, message: str, field: QWidget) -> None:
        self.error.setText(message)
        self.error.show()
        field.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def save(self) -> None:
        self.error.hide()
        author = self.author.currentData()
        if author is None:
            self._refuse("There is no physician to sign the addendum.", self.author)
            return
        if not self.password.text():
            self._refuse("Type your signing PIN." if self.pin_mode else
                         "Type the password of the physician signing the addendum.", self.password)
            return
        secret = self.password.text()
        password, pin = (None, secret) if self.pin_mode else (secret, None)
        try:
            added = addenda.add_addendum(self._ctx, self._session_id, str(self.kind.currentData()),
                                         self.text.toPlainText(), int(author), password, pin=pin)
        except ValidationError as exc:
            self._refuse(" ".join(exc.errors.values()), self.text if "text" in exc.errors else self.kind)
            return
        except TpiError as exc:
            if self.pin_mode and "PIN is locked" in str(exc):
                self._pin_ready = False
                self._set_pin_mode(False)  # the password still signs
            self.password.clear()
            self._refuse(str(exc), self.password)
            return
        self.added.emit(added)
        self.accept()
