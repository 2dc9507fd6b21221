"""Administration: load a CMS ICD-10-CM release (the yearly "order" file) with its version and dates.

A claim must use the code set valid on the date of service (clinical-reference §9.4). The dialog lists the sets
the app knows, takes the order file, the version ("FY2027") and the date it takes effect (1 October for a fiscal
year; the end defaults to the next 30 September), and loads it through services/icd10_sets.py (audited).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.icd10 import CodeSet
from tpi_notes.domain.text_input import ParseError, parse_date
from tpi_notes.services import icd10_sets
from tpi_notes.services.context import AppContext
from tpi_notes.ui.admin.forms import DISABLED_STYLE, form_layout, intro, line, show_refusal
from tpi_notes.ui.dialog_layout import cancelable_buttons
from tpi_notes.ui.editor.fields import FieldErrors
from tpi_notes.ui.file_dialogs import ask_open_path
from tpi_notes.ui.style import set_role


def sets_text(sets: list[CodeSet]) -> str:
    """One line per set: "FY2026: 2025-10-01 to 2026-09-30 (CMS ICD-10-CM FY2026, April 2026 update)"."""
    return "\n".join(f"{c.version}: {c.valid_from.isoformat()} to {c.valid_to.isoformat()}"
                     + (f" ({c.release})" if c.release else "") for c in sets)


def _next_version(sets: list[CodeSet]) -> str:
    years = [int(c.version[2:]) for c in sets if c.version.upper().startswith("FY") and c.version[2:].isdigit()]
    return f"FY{max(years) + 1}" if years else ""


class Icd10ReleaseDialog(QDialog):
    """Load ICD-10-CM release…: the order file, its version and the date it takes effect."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.loaded: CodeSet | None = None
        self.path: Path | None = None
        self.setObjectName("icd10_release_dialog")
        self.setWindowTitle("Load ICD-10-CM release")
        self.setStyleSheet(DISABLED_STYLE)
        self.errors = FieldErrors()
        sets = icd10_sets.code_sets(ctx)
        self.known = QLabel(sets_text(sets), self)
        self.known.setObjectName("icd10_sets")
        set_role(self.known, "hint")
        form = form_layout()
        file_row = QWidget(self)
        row = QHBoxLayout(file_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.file = QLineEdit(self)
        self.file.setObjectName("icd10_file")
        self.file.setPlaceholderText("icd10cm_order_2027.txt from the CMS release")
        self.choose_button = QPushButton("Choose file…", self)
        self.choose_button.clicked.connect(self.choose)
        row.addWidget(self.file, 1)
        row.addWidget(self.choose_button)
        version = _next_version(sets)
        self.version = line("e.g. FY2027", self, version)
        self.version.setObjectName("icd10_version")
        start = icd10_sets.fiscal_year_start(version)
        self.valid_from = line("YYYY-MM-DD", self, start.isoformat() if start else "")
        self.valid_from.setObjectName("icd10_valid_from")
        self.version.textChanged.connect(self._version_changed)
        form.addRow("Order file:", self.errors.cell("file", file_row, self, highlight=self.file))
        form.addRow("Version:", self.errors.cell("version", self.version, self))
        form.addRow("Effective from:", self.errors.cell("valid_from", self.valid_from, self))
        self.general = self.errors.label("general", self)
        buttons, self.load_button = cancelable_buttons(self, "Load release")
        self.load_button.setObjectName("load_button")
        buttons.accepted.connect(self.load)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(intro("A claim uses the ICD-10-CM code set valid on the date of service. CMS publishes "
                               "each fiscal year's codes (effective 1 October) as an \"order\" text file. Load it "
                               "here: sessions on or after its date are then checked and searched against it. "
                               "Code sets the app knows:", self))
        layout.addWidget(self.known)
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.resize(620, 320)
        self.file.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot(str)
    def _version_changed(self, text: str) -> None:
        start = icd10_sets.fiscal_year_start(text)
        if start is not None and not self.valid_from.isModified():
            self.valid_from.setText(start.isoformat())

    @Slot()
    def choose(self) -> None:
        path = ask_open_path(self, "Choose the ICD-10-CM order file", "Text files (*.txt);;All files (*)")
        if path is not None:
            self.file.setText(str(path))
            self.errors.clear()

    @Slot()
    def load(self) -> None:
        self.errors.clear()
        self.general.hide()
        try:
            problems: dict[str, str] = {}
            start: date | None = None
            try:
                start = parse_date(self.valid_from.text())
            except ParseError as exc:
                problems["valid_from"] = str(exc)
            if start is None and "valid_from" not in problems:
                problems["valid_from"] = "Enter the date the release takes effect (e.g. 2026-10-01)."
            path = Path(self.file.text().strip()) if self.file.text().strip() else None
            if path is None or not path.is_file():
                problems["file"] = "Choose the CMS order file (a .txt file)."
            if problems:
                raise ValidationError(problems)
            assert path is not None and start is not None
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ValidationError({"file": f"The file cannot be read: {exc.strerror or exc}."}) from None
            self.loaded = icd10_sets.load_release(self._ctx, data, version=self.version.text(), valid_from=start,
                                                  file_name=path.name)
        except TpiError as exc:
            show_refusal(self, self.errors, exc, self.general)
            return
        self.accept()
