"""Add or correct a formulary item, and add or correct a lot: dialogs whose refusals show at the field."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.formulary import AGENT_CLASSES, FormularyItem, Lot
from tpi_notes.domain.formulary_input import NDC_HINT, validate_item
from tpi_notes.domain.text_input import ParseError, long_date, parse_date
from tpi_notes.services import formulary_admin, vial_scan
from tpi_notes.services.context import AppContext
from tpi_notes.ui.admin.forms import (
    DISABLED_STYLE,
    form_layout,
    intro,
    line,
    number_text,
    read_number,
    section,
    show_refusal,
)
from tpi_notes.ui.dialog_layout import cancelable_buttons
from tpi_notes.ui.editor.components import SCAN_HINT, ScanField
from tpi_notes.ui.editor.fields import FieldErrors
from tpi_notes.ui.style import set_role

# (attribute, label, placeholder, what for the message) of the number fields, in form order.
_DOSE = (
    ("concentration_mg_per_ml", "Concentration (mg/mL):", "e.g. 10 for a 1 % solution", "mg/mL"),
    ("max_mg_per_kg", "Maximum (mg/kg):", "optional, e.g. 4.5", "mg per kg"),
    ("max_total_mg", "Absolute maximum (mg):", "e.g. 300", "mg"),
    ("mpe_factor", "Methylprednisolone factor:", "corticosteroids: 1 mg = … mg methylprednisolone", "the factor"),
)
_BILLING = (
    ("hcpcs_unit_mg", "mg per billing unit:", "e.g. 10 for J3301", "mg"),
    ("vial_volume_ml", "Vial volume (mL):", "optional, e.g. 20", "mL"),
)


def _date_field(name: str, edit: QLineEdit, errors: dict[str, str]) -> date | None:
    try:
        return parse_date(edit.text())
    except ParseError as exc:
        errors[name] = str(exc)
        return None


class ItemDialog(QDialog):
    """Add a formulary item (every §3 field), or correct one that no signed note has used."""

    def __init__(self, ctx: AppContext, item: FormularyItem | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._item = item
        self.saved: FormularyItem | None = None
        self.setObjectName("item_dialog")
        self.setWindowTitle("Add a formulary item" if item is None else f"Edit formulary item — {item.name}")
        start = item or formulary_admin.blank_item(ctx.today())
        self.setStyleSheet(DISABLED_STYLE)
        self.errors = FieldErrors()
        body = QWidget(self)
        form = form_layout()
        self.fields: dict[str, QWidget] = {}

        section(form, "Identity", body)
        self.code = self._line(form, body, "code", "Code:", "e.g. mepivacaine-1 (lower case)", start.code)
        self.name = self._line(form, body, "name", "Name:", "e.g. Mepivacaine 1 %", start.name)
        self.generic = self._line(form, body, "generic", "Generic name:", "e.g. mepivacaine", start.generic)
        self.agent_class = QComboBox(body)
        for key, label in AGENT_CLASSES.items():
            self.agent_class.addItem(label, key)
        self.agent_class.setCurrentIndex(max(self.agent_class.findData(start.agent_class), 0))
        form.addRow("Class:", self.errors.cell("agent_class", self.agent_class, body))
        self.strength = self._line(form, body, "strength_label", "Strength as printed:", "e.g. 1 %  or  40 mg/mL",
                                   start.strength_label)

        section(form, "Dose", body)
        for name, label, placeholder, _what in _DOSE:
            value = getattr(start, name)
            text = "" if item is None and name == "concentration_mg_per_ml" else number_text(value)
            self._line(form, body, name, label, placeholder, text)
        self.with_epinephrine = QCheckBox("With epinephrine", body)
        self.with_epinephrine.setChecked(start.with_epinephrine)
        form.addRow("", self.errors.cell("with_epinephrine", self.with_epinephrine, body))

        section(form, "Billing and vial", body)
        self.hcpcs = self._line(form, body, "hcpcs_code", "HCPCS code:", "optional, e.g. J3301",
                                start.hcpcs_code or "")
        for name, label, placeholder, _what in _BILLING:
            self._line(form, body, name, label, placeholder, number_text(getattr(start, name)))
        self.single_dose = QCheckBox("Single-dose vial (the unused rest is discarded)", body)
        self.single_dose.setChecked(start.single_dose_vial)
        form.addRow("", self.errors.cell("single_dose_vial", self.single_dose, body))

        section(form, "Source", body)
        self.source = QPlainTextEdit(start.source, body)
        self.source.setPlaceholderText("Where the dose limits come from: the label, a guideline, the clinic's review")
        self.source.setTabChangesFocus(True)
        self.source.setFixedHeight(64)
        form.addRow("Source:", self.errors.cell("source", self.source, body))
        effective = start.effective_date.isoformat() if start.effective_date else ""
        self.effective = self._line(form, body, "effective_date", "Effective from:", "YYYY-MM-DD", effective)

        self.agent_class.currentIndexChanged.connect(self._class_changed)
        self._class_changed()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 10, 0)
        inner.addWidget(intro("Dose limits drive the dose checks while charting; the HCPCS code and unit drive the "
                              "suggested drug codes. An item a signed note used can only be retired.", body))
        inner.addLayout(form)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        scroll.viewport().setAutoFillBackground(False)
        body.setAutoFillBackground(False)
        self.general = self.errors.label("general", self)
        buttons, self.save_button = cancelable_buttons(self, "Add item" if item is None else "Save")
        self.save_button.setObjectName("save_button")
        buttons.accepted.connect(self.save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.general)
        layout.addWidget(buttons)
        self.resize(640, 800)
        (self.code if item is None else self.name).setFocus(Qt.FocusReason.OtherFocusReason)

    def _line(self, form, parent: QWidget, name: str, label: str, placeholder: str, text: str) -> QLineEdit:  # noqa: ANN001
        edit = line(placeholder, parent, text)
        form.addRow(label, self.errors.cell(name, edit, parent))
        self.fields[name] = edit
        return edit

    def number(self, name: str) -> QLineEdit:
        field = self.fields[name]
        assert isinstance(field, QLineEdit)
        return field

    @Slot()
    def _class_changed(self) -> None:
        """Fields that only one class has are enabled for it alone (and cleared otherwise)."""
        cls = self.agent_class.currentData()
        steroid, anesthetic = cls == "corticosteroid", cls == "local_anesthetic"
        self.number("mpe_factor").setEnabled(steroid)
        self.with_epinephrine.setEnabled(anesthetic)
        if not steroid:
            self.number("mpe_factor").clear()
        if not anesthetic:
            self.with_epinephrine.setChecked(False)

    def read(self) -> FormularyItem:
        """The item as typed; a number or date that cannot be read raises ValidationError at its field."""
        problems: dict[str, str] = {}
        numbers = {name: read_number(self.number(name), name, problems, what)
                   for name, _label, _placeholder, what in (*_DOSE, *_BILLING)}
        effective = _date_field("effective_date", self.effective, problems)
        concentration = numbers.pop("concentration_mg_per_ml")
        if concentration is None and "concentration_mg_per_ml" not in problems:
            problems["concentration_mg_per_ml"] = "Enter the concentration in mg/mL (1 % is 10 mg/mL)."
        item = FormularyItem(
            code=self.code.text(), name=self.name.text(), generic=self.generic.text(),
            agent_class=str(self.agent_class.currentData()), strength_label=self.strength.text(),
            concentration_mg_per_ml=concentration if concentration is not None else 0.0,
            with_epinephrine=self.with_epinephrine.isChecked(), hcpcs_code=self.hcpcs.text() or None,
            single_dose_vial=self.single_dose.isChecked(), source=self.source.toPlainText(),
            effective_date=effective, **numbers,
        )
        if problems:  # every message at once: what could not be read, and what is wrong with the rest
            try:
                validate_item(item)
            except ValidationError as exc:
                problems = {**exc.errors, **problems}
            raise ValidationError(problems)
        return item

    @Slot()
    def save(self) -> None:
        self.errors.clear()
        self.general.hide()
        try:
            item = self.read()
            if self._item is None:
                saved = formulary_admin.add_item(self._ctx, item)
            else:
                saved = formulary_admin.update_item(self._ctx, self._item.code, replace(item, id=self._item.id))
        except TpiError as exc:
            show_refusal(self, self.errors, exc, self.general)
            return
        self.saved = saved
        self.accept()


class LotDialog(QDialog):
    """Add a lot of an item (lot number, NDC, expiry), or correct one that no signed note has used."""

    def __init__(self, ctx: AppContext, item: FormularyItem, lot: Lot | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._item = item
        self._lot = lot
        self.saved: Lot | None = None
        self.setObjectName("lot_dialog")
        self.setWindowTitle(f"Add a lot — {item.name}" if lot is None else f"Edit lot {lot.lot_number}")
        self.setStyleSheet(DISABLED_STYLE)
        self.errors = FieldErrors()
        form = form_layout()
        self.lot_number = line("as printed on the vial", self, lot.lot_number if lot else "")
        self.ndc = line("e.g. 12345-6789-01", self, lot.ndc if lot else "")
        self.ndc.setToolTip(NDC_HINT)
        self.expiry = line("YYYY-MM-DD", self, lot.expiry.isoformat() if lot else "")
        self.expiry_echo = QLabel(self)
        self.expiry_echo.setObjectName("expiry_echo")
        set_role(self.expiry_echo, "hint")
        self.expiry.textChanged.connect(self._echo_expiry)
        # A USB scanner reads the vial's GS1 DataMatrix here: lot, NDC and expiry fill in (issue 16 item 6).
        self.scan = ScanField(self)
        self.scan.setObjectName("lot_scan")
        self.scan.setPlaceholderText("scan the vial's 2D barcode, or type below")
        self.scan.setToolTip(SCAN_HINT.split(":")[0] + ": it fills the lot number, NDC and expiry.")
        self.scan.returnPressed.connect(self._on_scan)
        expiry_row = QWidget(self)
        row = QHBoxLayout(expiry_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        row.addWidget(self.expiry, 1)
        row.addWidget(self.expiry_echo, 1)
        if lot is None:
            form.addRow("Scan:", self.errors.cell("scan", self.scan, self))
        else:
            self.scan.hide()
        form.addRow("Lot number:", self.errors.cell("lot_number", self.lot_number, self))
        form.addRow("NDC:", self.errors.cell("ndc", self.ndc, self))
        form.addRow("Expiry:", self.errors.cell("expiry", expiry_row, self, highlight=self.expiry))
        self.general = self.errors.label("general", self)
        buttons, self.save_button = cancelable_buttons(self, "Add lot" if lot is None else "Save")
        self.save_button.setObjectName("save_button")
        buttons.accepted.connect(self.save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(intro(f"A lot of {item.name}. The editor offers lots in date; the note records the lot "
                               "and expiry of each syringe component.", self))
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.resize(560, 300)
        self._echo_expiry(self.expiry.text())
        (self.scan if lot is None else self.lot_number).setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def _on_scan(self) -> None:
        """Lot, NDC and expiry from the scanned vial; a vial of another drug, expired or listed already is refused."""
        text = self.scan.scanned()
        self.scan.clear()
        self.errors.clear()
        self.general.hide()
        try:
            found = vial_scan.resolve_scan(self._ctx, text, self._ctx.today(), item_code=self._item.code)
        except TpiError as exc:
            self.errors.show({"scan": str(exc)})
            return
        if found.known:
            self.errors.show({"scan": f"Lot {found.lot_number} of {self._item.name} is on the list already."})
            return
        self.lot_number.setText(found.lot_number)
        self.ndc.setText(found.ndc)
        self.expiry.setText(found.expiry.isoformat() if found.expiry else "")
        if found.ndc == found.scan.ndc10:  # the first lot with this NDC: its dashes are on the vial only
            self.errors.show({"ndc": "Add the dashes as printed on the vial (4-4-2, 5-3-2 or 5-4-1)."})
            self.ndc.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.save_button.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot(str)
    def _echo_expiry(self, text: str) -> None:
        try:
            day = parse_date(text)
        except ParseError as exc:
            self.expiry_echo.setText(str(exc))
            return
        if day is None:
            self.expiry_echo.setText("or 03/31/2027, 31.03.2027")
            return
        days = (day - self._ctx.today()).days
        when = "today" if days == 0 else (f"in {days} days" if days > 0 else f"{-days} days ago")
        self.expiry_echo.setText(f"{long_date(day)} ({when})")

    @Slot()
    def save(self) -> None:
        self.errors.clear()
        self.general.hide()
        try:
            problems: dict[str, str] = {}
            expiry = _date_field("expiry", self.expiry, problems)
            if problems:
                raise ValidationError(problems)
            if self._lot is None:
                saved = formulary_admin.add_lot(self._ctx, self._item.code, self.lot_number.text(), self.ndc.text(),
                                                expiry)
            else:
                saved = formulary_admin.update_lot(self._ctx, self._lot.id, self.lot_number.text(), self.ndc.text(),
                                                   expiry)
        except TpiError as exc:
            show_refusal(self, self.errors, exc, self.general)
            return
        self.saved = saved
        self.accept()
