"""A tiny dialog to add a physician from the editor (a fresh clinic has none yet)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QWidget

from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.services import staff
from tpi_notes.services.context import AppContext
from tpi_notes.ui.dialog_layout import cancelable_buttons, stack
from tpi_notes.ui.editor.fields import FieldErrors
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.style import set_role


class AddPhysicianDialog(QDialog):
    member_added = Signal(object)
    """A physician was added: the new StaffMember."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.setObjectName("add_physician_dialog")
        self.setWindowTitle("Add a physician")
        self.errors = FieldErrors()
        intro = QLabel("The physician is added to the clinic's staff and chosen for this session. Logins are "
                       "set up later under clinic administration.", self)
        intro.setWordWrap(True)
        set_role(intro, "hint")
        self.full_name = QLineEdit(self)
        self.full_name.setPlaceholderText("e.g. Amelia Hart")
        self.credentials = QLineEdit("MD", self)
        form = QFormLayout()
        form.addRow("Full name:", self.errors.cell("full_name", self.full_name, self))
        form.addRow("Credentials:", self.errors.cell("credentials", self.credentials, self))
        self.general = self.errors.label("roles", self)
        buttons, self.add_button = cancelable_buttons(self, "Add physician")
        buttons.accepted.connect(self.save)
        stack(self, intro, form, self.general, buttons, (440, 200))
        self.full_name.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def save(self) -> None:
        self.errors.clear()
        try:
            member = staff.add_staff(self._ctx, self.full_name.text(), self.credentials.text(), ("physician",))
        except ValidationError as exc:
            marked = self.errors.show(exc.errors)
            if "roles" in exc.errors:
                self.general.setText(exc.errors["roles"])
                self.general.show()
            if marked:
                marked[0].setFocus(Qt.FocusReason.OtherFocusReason)
            return
        except TpiError as exc:
            show_error(self, exc)
            return
        self.member_added.emit(member)
        self.accept()
