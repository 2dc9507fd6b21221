"""First-run setup: the clinic's details and its first user (an administrator), or a demo clinic to try."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.clinic import ClinicDetails
from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.staff import StaffMember
from tpi_notes.services import clinic, encryption, login
from tpi_notes.services.context import AppContext
from tpi_notes.ui.style import set_role


class SetupDialog(QDialog):
    """Accepted when the clinic was set up (``created`` is the first user) or a demo clinic was loaded
    (``demo_loaded``)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.created: StaffMember | None = None
        self.demo_loaded = False
        self.setObjectName("setup_dialog")
        self.setWindowTitle("Set up the clinic")  # Qt adds " — tpi-notes"
        info = clinic.get_clinic_info(ctx)
        intro = QLabel("<b>Welcome.</b> Enter your clinic's details — they head every procedure note and every "
                       "aftercare sheet — and create the first user. The first user is the clinic's "
                       "administrator and adds everyone else.", self)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)

        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        clinic_box = QGroupBox("Clinic", self)
        clinic_form = QFormLayout(clinic_box)
        self.clinic_name = self._line(clinic_form, "name", "Name:", info.name)
        self.address = QPlainTextEdit(info.address, clinic_box)
        self.address.setObjectName("setup_address")
        self.address.setFixedHeight(54)
        self._row(clinic_form, "address", "Address:", self.address)
        self.phone = self._line(clinic_form, "phone", "Phone:", info.phone)
        self.after_hours = self._line(clinic_form, "after_hours_phone", "After-hours phone:", info.after_hours_phone)

        user_box = QGroupBox("First user (administrator)", self)
        user_form = QFormLayout(user_box)
        self.full_name = self._line(user_form, "full_name", "Full name:")
        self.credentials = self._line(user_form, "credentials", "Credentials:")
        self.credentials.setPlaceholderText("e.g. MD, DO, RN (optional)")
        self.username = self._line(user_form, "username", "User name:")
        self.password = self._line(user_form, "password", "Password:")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = self._line(user_form, "repeat", "Password again:")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        roles = QWidget(user_box)
        row = QHBoxLayout(roles)
        row.setContentsMargins(0, 0, 0, 0)
        self.is_physician = QCheckBox("also a physician (charts and signs)", roles)
        self.is_nurse = QCheckBox("also a nurse", roles)
        self.is_physician.setObjectName("setup_physician")
        row.addWidget(self.is_physician)
        row.addWidget(self.is_nurse)
        row.addStretch(1)
        user_form.addRow("Roles:", roles)

        self.encryption_box = self._encryption_box(ctx)

        self.message = QLabel(self)
        self.message.setObjectName("setup_error")
        self.message.setWordWrap(True)
        set_role(self.message, "field-error")
        self.message.hide()
        buttons = QDialogButtonBox(self)
        self.create_button = buttons.addButton("Create clinic", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setDefault(True)
        self.demo_button = buttons.addButton("Try a demo clinic instead…", QDialogButtonBox.ButtonRole.ActionRole)
        self.demo_button.setVisible(clinic.is_empty(ctx))
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.create)
        buttons.rejected.connect(self.reject)
        self.demo_button.clicked.connect(self.load_demo)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(clinic_box)
        layout.addWidget(user_box)
        layout.addWidget(self.encryption_box)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(620, 600 + (self.encryption_box.sizeHint().height() if self.encryption_box.isVisibleTo(self)
                                else 0))
        self.clinic_name.setFocus(Qt.FocusReason.OtherFocusReason)

    def _encryption_box(self, ctx: AppContext) -> QGroupBox:
        """Encrypt the new clinic's file (SQLCipher): a checkbox and the passphrase twice. Hidden where it cannot
        be done (SQLCipher missing, a PostgreSQL clinic)."""
        self._encrypted = False
        box = QGroupBox("Records on this computer", self)
        box.setObjectName("setup_encryption")
        form = QFormLayout(box)
        self.encrypt = QCheckBox("Encrypt the clinic's database (recommended on a laptop)", box)
        self.encrypt.setObjectName("setup_encrypt")
        form.addRow(self.encrypt)
        self.passphrase = self._line(form, "passphrase", "Passphrase:")
        self.passphrase_repeat = self._line(form, "passphrase_repeat", "Passphrase again:")
        for edit in (self.passphrase, self.passphrase_repeat):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText(f"at least {encryption.MIN_PASSPHRASE} characters")
        self.remember = QCheckBox("Remember it in this computer's keyring (asked at every start otherwise)", box)
        self.remember.setVisible(encryption.keyring_usable())
        form.addRow(self.remember)
        self.encryption_hint = QLabel("tpi-notes asks the passphrase each time it starts. Without it no one can "
                                      "open the records again, not even you: write it down and keep it safe.", box)
        self.encryption_hint.setWordWrap(True)
        set_role(self.encryption_hint, "hint")
        form.addRow(self.encryption_hint)
        self.encrypt.toggled.connect(self._encryption_toggled)
        self._encryption_toggled(False)
        box.setVisible(encryption.can_encrypt_new(ctx))
        return box

    @Slot(bool)
    def _encryption_toggled(self, on: bool) -> None:
        for widget in (self.passphrase, self.passphrase_repeat, self.remember):
            widget.setEnabled(on)
        if on:
            self.passphrase.setFocus(Qt.FocusReason.OtherFocusReason)

    def _encrypt_first(self) -> bool:
        """Encrypt the still empty clinic when asked (before any name is written to it); False when refused."""
        if not self.encrypt.isChecked() or self._encrypted:
            return True
        problem = encryption.passphrase_problem(self.passphrase.text(), self.passphrase_repeat.text())
        if problem:
            self._show_errors({"passphrase_repeat" if "differ" in problem else "passphrase": problem})
            return False
        try:
            encryption.encrypt_new_clinic(self._ctx, self.passphrase.text())
        except TpiError as exc:
            self._show_errors({"_": str(exc)})
            return False
        self._encrypted = True
        if self.remember.isChecked():
            encryption.remember_in_keyring(self._ctx, self.passphrase.text())
        for widget in (self.encrypt, self.passphrase, self.passphrase_repeat, self.remember):
            widget.setEnabled(False)
        self.encryption_hint.setText("The clinic's database is encrypted.")
        return True

    def _row(self, form: QFormLayout, key: str, label: str, field: QWidget) -> None:
        holder = QWidget(field.parentWidget())
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(field)
        error = QLabel(holder)
        error.setObjectName(f"setup_{key}_error")
        error.setWordWrap(True)
        set_role(error, "field-error")
        error.hide()
        column.addWidget(error)
        form.addRow(label, holder)
        self.fields[key] = field
        self.errors[key] = error

    def _line(self, form: QFormLayout, key: str, label: str, text: str = "") -> QLineEdit:
        edit = QLineEdit(text)
        edit.setObjectName(f"setup_{key}")
        self._row(form, key, label, edit)
        return edit

    def _show_errors(self, errors: dict[str, str]) -> None:
        for key, label in self.errors.items():
            label.setVisible(key in errors)
            label.setText(errors.get(key, ""))
        first = next((self.fields[k] for k in self.fields if k in errors), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)
        other = [msg for key, msg in errors.items() if key not in self.fields]
        self.message.setText(" ".join(other))
        self.message.setVisible(bool(other))
        self.layout().activate()  # the messages take room: grow rather than squeeze them
        hint = self.sizeHint()
        if hint.height() > self.height():
            self.resize(self.width(), hint.height())

    @Slot()
    def create(self) -> None:
        if self.password.text() != self.repeat.text():
            self._show_errors({"repeat": "The two passwords differ."})
            return
        if not self._encrypt_first():
            return
        roles = tuple(r for r, box in (("physician", self.is_physician), ("nurse", self.is_nurse)) if box.isChecked())
        details = ClinicDetails(self.clinic_name.text(), self.address.toPlainText(), self.phone.text(),
                                self.after_hours.text())
        try:
            self.created = login.setup_clinic(self._ctx, details, self.full_name.text(), self.credentials.text(),
                                              self.username.text(), self.password.text(), roles)
        except ValidationError as exc:
            self._show_errors(exc.errors)
            return
        except TpiError as exc:
            self._show_errors({"_": str(exc)})
            return
        self.accept()

    @Slot()
    def load_demo(self) -> None:
        from tpi_notes.ui.demo import load_demo_clinic

        if load_demo_clinic(self, self._ctx):
            self.demo_loaded = True
            self.accept()
