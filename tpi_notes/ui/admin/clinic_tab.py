"""The Clinic tab: the details printed on every note and aftercare sheet, the logo, and the clinic's policies."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.clinic import (
    ACTIVITY_HOURS_RANGE,
    FUNCTIONAL_SCALE_CHOICES,
    LOCK_MINUTES_RANGE,
    PAPER_SIZE_LABELS,
    STEROID_LIMIT_RANGE,
    ClinicSettingsData,
    logo_problem,
)
from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.services import clinic_settings
from tpi_notes.services.context import AppContext
from tpi_notes.ui import file_dialogs
from tpi_notes.ui.admin.forms import form_layout, intro, line, section, show_refusal
from tpi_notes.ui.editor.fields import FieldErrors
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.style import BORDER, set_role

LOGO_PREVIEW = (280, 90)


class ClinicTab(QWidget):
    """Clinic settings (Permission.MANAGE_CLINIC): one Save stores every field, or shows why not at the field."""

    settings_saved = Signal(object)
    """The settings were saved: the stored :class:`ClinicSettingsData`."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.setObjectName("clinic_tab")
        self.errors = FieldErrors()
        self._logo: bytes | None = None
        body = QWidget(self)
        form = form_layout()

        section(form, "Printed on every note and aftercare sheet", body)
        self.name = line("e.g. Lakeside Pain Clinic", body)
        self.address = QPlainTextEdit(body)
        self.address.setPlaceholderText("Street, town, postcode — one line each")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(78)
        self.phone = line("e.g. (555) 010-2000", body)
        self.after_hours = line("optional, e.g. (555) 010-2999", body)
        form.addRow("Clinic name:", self.errors.cell("name", self.name, body))
        form.addRow("Address:", self.errors.cell("address", self.address, body))
        form.addRow("Phone:", self.errors.cell("phone", self.phone, body))
        form.addRow("After-hours phone:", self.errors.cell("after_hours_phone", self.after_hours, body))
        form.addRow("Logo:", self.errors.cell("logo_png", self._logo_row(body), body, highlight=self.logo_preview))

        section(form, "Policies", body)
        self.activity_hours = self._spin(body, ACTIVITY_HOURS_RANGE, " hours")
        self.lock_minutes = self._spin(body, LOCK_MINUTES_RANGE, " minutes")
        self.steroid_limit = QDoubleSpinBox(body)
        self.steroid_limit.setRange(*STEROID_LIMIT_RANGE)
        self.steroid_limit.setDecimals(0)
        self.steroid_limit.setSingleStep(10)
        self.steroid_limit.setSuffix(" mg")
        self.steroid_limit.setMaximumWidth(160)
        self.payer = QComboBox(body)
        self.payer.setMaximumWidth(260)
        for key, label in clinic_settings.payer_profiles(ctx).items():
            self.payer.addItem(label, key)
        self.paper = QComboBox(body)
        self.paper.setObjectName("paper_size")
        self.paper.setMaximumWidth(260)
        for key, label in PAPER_SIZE_LABELS.items():
            self.paper.addItem(label, key)
        self.scales = QComboBox(body)
        self.scales.setObjectName("functional_scales")
        self.scales.setMaximumWidth(260)
        for key, (label, _codes) in FUNCTIONAL_SCALE_CHOICES.items():
            self.scales.addItem(label, key)
        form.addRow("No strenuous activity for:",
                    self._with_hint("strenuous_activity_hours", self.activity_hours, body,
                                    "after a procedure, on the aftercare sheet (default 24)"))
        form.addRow("Lock the screen after:",
                    self._with_hint("inactivity_lock_minutes", self.lock_minutes, body,
                                    "without keyboard or mouse (default 10)"))
        form.addRow("Corticosteroid limit:",
                    self._with_hint("steroid_12_month_limit_mg", self.steroid_limit, body,
                                    "methylprednisolone equivalent per patient in 12 months, before a warning"))
        form.addRow("Payer billing profile:",
                    self._with_hint("estim_payer_profile", self.payer, body,
                                    "the codes e-stim and acupuncture suggest, and the payer's checks "
                                    "(Medicare 2024 TPI LCDs: covered diagnoses, regions, imaging, repeats)"))
        form.addRow("Paper size:",
                    self._with_hint("paper_size", self.paper, body,
                                    "notes and aftercare sheets are laid out for it and printers are sent it"))
        form.addRow("Functional scales:",
                    self._with_hint("functional_scales", self.scales, body,
                                    "recorded on the Outcomes tab besides the PEG-3, one click per section; the "
                                    "clinic supplies the paper form (NDI, ODI wording is copyrighted)"))

        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName("save_settings_button")
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save)
        self.status = QLabel(self)
        self.status.setObjectName("settings_status")
        set_role(self.status, "hint")

        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 8, 0)
        inner.addWidget(intro("What heads every procedure note and what patients read on their aftercare sheet, "
                              "and the clinic's policies.", body))
        inner.addLayout(form)
        inner.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.viewport().setAutoFillBackground(False)
        body.setAutoFillBackground(False)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.addWidget(scroll, 1)
        layout.addLayout(bar)
        body.setMaximumWidth(900)
        self.reload()

    # -- building --------------------------------------------------------------------------------------------
    def _spin(self, parent: QWidget, bounds: tuple[int, int], suffix: str) -> QSpinBox:
        spin = QSpinBox(parent)
        spin.setRange(*bounds)
        spin.setSuffix(suffix)
        spin.setMaximumWidth(160)
        return spin

    def _with_hint(self, name: str, field: QWidget, parent: QWidget, hint: str) -> QWidget:
        row = QWidget(parent)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(field)
        label = QLabel(hint, row)
        label.setWordWrap(True)
        set_role(label, "hint")
        layout.addWidget(label, 1)
        return self.errors.cell(name, row, parent, highlight=field)

    def _logo_row(self, parent: QWidget) -> QWidget:
        row = QWidget(parent)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.logo_preview = QLabel(row)
        self.logo_preview.setObjectName("logo_preview")
        self.logo_preview.setFixedSize(*LOGO_PREVIEW)
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setStyleSheet(f"background: #ffffff; border: 1px dashed {BORDER}; border-radius: 4px;")
        self.choose_logo_button = QPushButton("Choose PNG…", row)
        self.choose_logo_button.setObjectName("choose_logo_button")
        self.choose_logo_button.clicked.connect(self.choose_logo)
        self.remove_logo_button = QPushButton("Remove", row)
        self.remove_logo_button.setObjectName("remove_logo_button")
        self.remove_logo_button.clicked.connect(self.remove_logo)
        buttons = QVBoxLayout()
        buttons.addWidget(self.choose_logo_button)
        buttons.addWidget(self.remove_logo_button)
        hint = QLabel("PNG, at most 512 kB", row)
        set_role(hint, "hint")
        buttons.addWidget(hint)
        buttons.addStretch(1)
        layout.addWidget(self.logo_preview)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return row

    # -- data ------------------------------------------------------------------------------------------------
    @Slot()
    def reload(self) -> None:
        try:
            data = clinic_settings.get_settings(self._ctx)
        except TpiError as exc:
            show_error(self, exc)
            return
        self.load(data)

    def load(self, data: ClinicSettingsData) -> None:
        self.errors.clear()
        self.name.setText(data.name)
        self.address.setPlainText(data.address)
        self.phone.setText(data.phone)
        self.after_hours.setText(data.after_hours_phone)
        self.activity_hours.setValue(data.strenuous_activity_hours)
        self.lock_minutes.setValue(data.inactivity_lock_minutes)
        self.steroid_limit.setValue(data.steroid_12_month_limit_mg)
        index = self.payer.findData(data.estim_payer_profile)
        if index < 0:  # a profile the rules no longer have: shown, so saving names the problem
            self.payer.addItem(data.estim_payer_profile, data.estim_payer_profile)
            index = self.payer.count() - 1
        self.payer.setCurrentIndex(index)
        self.paper.setCurrentIndex(max(0, self.paper.findData(data.paper_size)))
        self.scales.setCurrentIndex(max(0, self.scales.findData(data.functional_scales)))
        self.set_logo(data.logo_png)

    def read(self) -> ClinicSettingsData:
        return ClinicSettingsData(
            name=self.name.text(), address=self.address.toPlainText(), phone=self.phone.text(),
            after_hours_phone=self.after_hours.text(), logo_png=self._logo,
            strenuous_activity_hours=self.activity_hours.value(), inactivity_lock_minutes=self.lock_minutes.value(),
            steroid_12_month_limit_mg=self.steroid_limit.value(), estim_payer_profile=str(self.payer.currentData()),
            paper_size=str(self.paper.currentData()), functional_scales=str(self.scales.currentData()),
        )

    def set_logo(self, data: bytes | None) -> None:
        self._logo = data
        self.remove_logo_button.setEnabled(data is not None)
        if data is None:
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("No logo")
            return
        pixmap = QPixmap()
        pixmap.loadFromData(data, "PNG")
        width, height = LOGO_PREVIEW
        self.logo_preview.setPixmap(pixmap.scaled(width - 12, height - 12, Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.SmoothTransformation))

    def load_logo_file(self, path: Path) -> bool:
        """Read a PNG chosen by the person; a file that is not a usable PNG is refused at the field."""
        self.errors.clear()
        try:
            data = path.read_bytes() if path.stat().st_size <= 64 * 1024 * 1024 else b""
        except OSError as exc:
            self.errors.show({"logo_png": f"Cannot read {path.name}: {exc.strerror or exc}."})
            return False
        problem = logo_problem(data) if data else "The file is far larger than 512 kB."
        if problem is None and QPixmap().loadFromData(data, "PNG") is False:
            problem = "The PNG image cannot be read; choose another file."
        if problem:
            self.errors.show({"logo_png": problem})
            return False
        self.set_logo(data)
        self.status.setText("Logo chosen — Save to keep it.")
        return True

    @Slot()
    def choose_logo(self) -> None:
        path = file_dialogs.ask_open_path(self, "Choose the clinic's logo", "PNG images (*.png)")
        if path is not None:
            self.load_logo_file(path)

    @Slot()
    def remove_logo(self) -> None:
        self.set_logo(None)
        self.status.setText("Logo removed — Save to keep the change.")

    @Slot()
    def save(self) -> bool:
        self.errors.clear()
        try:
            saved = clinic_settings.update_settings(self._ctx, self.read())
        except ValidationError as exc:
            show_refusal(self, self.errors, exc)
            self.status.setText("Not saved: see the fields marked in red.")
            return False
        except TpiError as exc:
            show_error(self, exc)
            return False
        self.load(saved)
        self.status.setText("Saved. New notes and aftercare sheets use these details.")
        self.settings_saved.emit(saved)
        return True
