"""The first start on a computer: where does the clinic's database live? (issue 18 item 4)

Asked once per computer, before the clinic is opened, only when neither ``--db`` nor ``TPI_NOTES_DB`` names a
database and no choice is stored yet (tpi_notes/clinic_location.py). The default is the machine-wide data
folder, so every staff login on the computer opens the same clinic; a folder on a network share is refused on
the spot, with the reason."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes import clinic_location
from tpi_notes.paths import DB_FILENAME
from tpi_notes.ui.style import set_role

TITLE = "Where does this clinic's database live?"


class ClinicLocationDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        proposal = clinic_location.proposed_database()
        layout = QVBoxLayout(self)
        intro = QLabel("tpi-notes keeps the clinic's records in one database file. Every staff login on this "
                       "computer opens the database chosen here. For several workstations, use a PostgreSQL "
                       "server instead (see the README); a file on a network share is not safe.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.note = QLabel(proposal.note or "", self)
        self.note.setObjectName("location_note")
        self.note.setWordWrap(True)
        self.note.setVisible(bool(proposal.note))
        set_role(self.note, "hint")
        layout.addWidget(self.note)
        row = QHBoxLayout()
        self.folder = QLineEdit(str(proposal.database.parent), self)
        self.folder.setObjectName("location_folder")
        self.folder.setAccessibleName("Folder of the clinic's database")
        self.folder.textChanged.connect(self._check)
        row.addWidget(self.folder, 1)
        choose = QPushButton("Choose folder…", self)
        choose.clicked.connect(self._choose)
        row.addWidget(choose)
        layout.addLayout(row)
        self.problem = QLabel("", self)
        self.problem.setObjectName("location_problem")
        self.problem.setWordWrap(True)
        set_role(self.problem, "field-error")
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use this folder")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(640, self.sizeHint().height())
        self._check()

    def database(self) -> Path:
        return Path(self.folder.text().strip()).expanduser() / DB_FILENAME

    def _problem(self) -> str | None:
        if not self.folder.text().strip():
            return "Name a folder."
        folder = self.database().parent
        if not clinic_location.writable_folder(folder):
            return f"{folder} cannot be written (or created) by you."
        return clinic_location.network_problem(self.database())

    def _check(self) -> None:
        problem = self._problem()
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)

    def _choose(self) -> None:
        # No database is open yet, so Qt's own dialog cannot drop a lock (ui/file_dialogs.py's concern).
        chosen = QFileDialog.getExistingDirectory(self, "Folder of the clinic's database", self.folder.text(),
                                                  QFileDialog.Option.DontUseNativeDialog)
        if chosen:
            self.folder.setText(chosen)


def ask_clinic_location(parent: QWidget | None = None) -> Path | None:
    """The stored choice, or (the first time) the person's: saved machine-wide when possible. None when they
    cancelled."""
    chosen = clinic_location.configured_database()
    if chosen is not None:
        return chosen
    dialog = ClinicLocationDialog(parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    database = dialog.database()
    message = clinic_location.save_choice(database)
    if message:
        QMessageBox.information(parent, "tpi-notes", message)
    return database
