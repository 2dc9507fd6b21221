"""The database passphrase, asked at start-up before the login when the clinic's file is encrypted
(db/encryption.py) and no key came from TPI_NOTES_DB_KEY or the keyring."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QDialog, QFormLayout, QWidget

from tpi_notes.domain.errors import DatabaseOpenError
from tpi_notes.services import encryption
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.ui.dialog_layout import cancelable_buttons, error_line, intro_label, secret_field, stack


class UnlockDialog(QDialog):
    """Accepted with ``passphrase`` typed; the caller tries it and may call ``refuse`` to ask again."""

    def __init__(self, database: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unlock_dialog")
        self.setWindowTitle("Encrypted clinic")
        intro = intro_label(self, f"<b>{html.escape(database.name)}</b> is encrypted (or is not a tpi-notes "
                                  "database). Enter the database passphrase to open the clinic's records.")
        self.passphrase_edit = secret_field(self, "unlock_passphrase")
        self.error = error_line(self, "unlock_error")
        form = QFormLayout()
        form.addRow("Passphrase:", self.passphrase_edit)
        buttons, self.open_button = cancelable_buttons(self, "Open")
        buttons.accepted.connect(self._typed)
        stack(self, intro, form, self.error, buttons, (460, 170))
        self.passphrase_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def passphrase(self) -> str:
        return self.passphrase_edit.text()

    @Slot()
    def _typed(self) -> None:
        if self.passphrase:
            self.accept()

    def refuse(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.passphrase_edit.selectAll()
        self.passphrase_edit.setFocus(Qt.FocusReason.OtherFocusReason)


def ask_passphrase(dialog: UnlockDialog) -> str | None:
    """The passphrase typed, or None when the person cancelled (a seam for tests)."""
    return dialog.passphrase if dialog.exec() == QDialog.DialogCode.Accepted else None


def unlock_clinic(db: str | None, database: Path, refusal: DatabaseOpenError) -> AppContext:
    """Ask the passphrase until the clinic opens with it; ``refusal`` (the first one, one line) again when the
    person cancels."""
    from tpi_notes.ui.app import ensure_application

    ensure_application()
    dialog = UnlockDialog(database)
    while True:
        passphrase = ask_passphrase(dialog)
        if passphrase is None:
            raise refusal
        encryption.use_passphrase(passphrase)
        try:
            return open_clinic(db)
        except encryption.DatabaseKeyWrong:
            encryption.use_passphrase(None)
            dialog.refuse("That passphrase does not open this file. Check it (and Caps Lock) and try again.")
