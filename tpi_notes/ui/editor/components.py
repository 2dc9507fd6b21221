"""One syringe's drugs as rows: formulary item, volume, lot (filtered to the item, expired lots in red), and the
single-dose vials opened for it ("Auto": as many as the volume needs; JW/JZ are billed from it, domain/coding.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QSpinBox, QToolButton, QWidget

from tpi_notes.domain.drug_waste import MAX_VIALS
from tpi_notes.domain.formulary import AGENT_CLASSES
from tpi_notes.domain.session import Component
from tpi_notes.ui.editor.fields import FIELD_HEIGHT, mark_invalid
from tpi_notes.ui.editor.reference import EditorReference
from tpi_notes.ui.style import DANGER, set_role

NO_LOT = "No lot recorded"
AUTO_VIALS = -1  # the spin box's "Auto": as many single-dose vials as the volume drawn needs
VIALS_HINT = ("Single-dose vials opened for this drug. Auto: as many as the volume needs. 0: drawn from a vial "
              "already counted in another syringe. The discarded rest is billed with JW.")
MAX_COMPONENT_ML = 60.0


def lot_text(lot_number: str, expiry: date | None, day: date) -> str:
    if expiry is None:
        return lot_number
    word = "EXPIRED" if day > expiry else "exp"
    return f"{lot_number}  ·  {word} {expiry.isoformat()}"


class ComponentRow(QObject):
    """The widgets of one component; Enter in any of them asks for a new row."""

    changed = Signal()
    """The drug, volume or lot changed."""
    enter_pressed = Signal()
    """Enter was pressed in this row (the table adds a row after it)."""
    remove_clicked = Signal()
    """The row's ✕ was clicked."""

    def __init__(self, reference: EditorReference, day: Callable[[], date], parent: QWidget) -> None:
        super().__init__(parent)
        self._reference = reference
        self._day = day
        self._expiries: dict[str, date | None] = {}
        # Each listed lot's NDC: the draft carries the chosen lot's NDC as the service reads it back, so a
        # draft just loaded equals what the editor shows (not "modified" on opening).
        self._ndcs: dict[str, str] = {}
        self.item = QComboBox(parent)
        self.item.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.item.setMinimumContentsLength(14)
        self.item.addItem("Choose a drug…", "")
        for agent_class, title in AGENT_CLASSES.items():
            items = [i for i in reference.active_items() if i.agent_class == agent_class]
            if items:
                self.item.insertSeparator(self.item.count())
                for item in items:
                    self.item.addItem(item.name, item.code)
                    self.item.setItemData(self.item.count() - 1, title, Qt.ItemDataRole.ToolTipRole)
        self.volume = QDoubleSpinBox(parent)
        self.volume.setRange(0.0, MAX_COMPONENT_ML)
        self.volume.setDecimals(2)
        self.volume.setSingleStep(0.5)
        self.volume.setSuffix(" mL")
        self.volume.setMinimumWidth(96)
        self.volume.setMinimumHeight(FIELD_HEIGHT)
        self.vials = QSpinBox(parent)
        self.vials.setObjectName("vials_opened")
        self.vials.setRange(AUTO_VIALS, MAX_VIALS)
        self.vials.setSpecialValueText("Auto")
        self.vials.setValue(AUTO_VIALS)
        self.vials.setMinimumHeight(FIELD_HEIGHT)
        self.vials.setToolTip(VIALS_HINT)
        self.lot = QComboBox(parent)
        self.lot.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.lot.setMinimumContentsLength(14)
        self.remove_button = QToolButton(parent)
        self.remove_button.setText("✕")
        self.remove_button.setToolTip("Remove this drug from the syringe")
        self.remove_button.setAutoRaise(True)
        self.error = QLabel(parent)
        self.error.setWordWrap(True)
        set_role(self.error, "field-error")
        self.error.hide()
        for widget in (self.item, self.volume, self.lot, self.vials):
            widget.installEventFilter(self)
        self.item.currentIndexChanged.connect(self._on_item_changed)
        self.volume.valueChanged.connect(self.changed)
        self.vials.valueChanged.connect(self.changed)
        self.lot.currentIndexChanged.connect(self._on_lot_changed)
        self.remove_button.clicked.connect(self.remove_clicked)

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.item, self.volume, self.lot, self.vials, self.remove_button)

    # -- value ----------------------------------------------------------------------------------------
    def load(self, component: Component) -> None:
        self.blockSignals(True)
        try:
            index = self.item.findData(component.item_code)
            if index < 0 and component.item_code:  # a retired item keeps showing on an old draft
                self.item.addItem(self._reference.item_name(component.item_code), component.item_code)
                index = self.item.count() - 1
            self.item.setCurrentIndex(max(0, index))
            self.volume.setValue(component.volume_ml)
            self._fill_lots(component.item_code, component.lot_number, component.lot_expiry, component.ndc)
            self.vials.setValue(AUTO_VIALS if component.vials_opened is None else component.vials_opened)
        finally:
            self.blockSignals(False)
        self.refresh_expiry()
        self._refresh_vials()

    def component(self) -> Component:
        number = str(self.lot.currentData() or "")
        vials = self.vials.value() if self.vials.isEnabled() and self.vials.value() != AUTO_VIALS else None
        return Component(str(self.item.currentData() or ""), round(self.volume.value(), 2), number,
                         self._expiries.get(number) if number else None, vials,
                         self._ndcs.get(number, "") if number else "")

    def set_item(self, code: str) -> None:
        self.item.setCurrentIndex(max(0, self.item.findData(code)))

    def set_lot(self, lot_number: str) -> None:
        self.lot.setCurrentIndex(max(0, self.lot.findData(lot_number)))

    # -- lots -----------------------------------------------------------------------------------------
    def _fill_lots(self, code: str, keep: str | None, keep_expiry: date | None = None, keep_ndc: str = "") -> None:
        day = self._day()
        self.lot.blockSignals(True)
        try:
            self.lot.clear()
            self._expiries, self._ndcs = {}, {}
            self.lot.addItem(NO_LOT, "")
            for lot in self._reference.lots_for(code):
                self._add_lot(lot.lot_number, lot.expiry, day)
                self._ndcs[lot.lot_number] = lot.ndc
            if keep and self.lot.findData(keep) < 0:
                self._add_lot(keep, keep_expiry, day)
                self._ndcs[keep] = keep_ndc
            if keep is None:
                newest = self._reference.newest_lot(code, day) if code else None
                keep = newest.lot_number if newest else ""
            self.lot.setCurrentIndex(max(0, self.lot.findData(keep)))
        finally:
            self.lot.blockSignals(False)

    def _add_lot(self, number: str, expiry: date | None, day: date) -> None:
        self._expiries[number] = expiry
        self.lot.addItem(lot_text(number, expiry, day), number)
        if expiry is not None and day > expiry:
            self.lot.setItemData(self.lot.count() - 1, QBrush(QColor(DANGER)), Qt.ItemDataRole.ForegroundRole)
            self.lot.setItemData(self.lot.count() - 1, f"Expired on {expiry.isoformat()}: it will be refused",
                                 Qt.ItemDataRole.ToolTipRole)

    def refresh_expiry(self) -> None:
        """Re-mark expired lots for the session's day (called when the date changes)."""
        day = self._day()
        for index in range(1, self.lot.count()):
            number = self.lot.itemData(index)
            expiry = self._expiries.get(number)
            self.lot.setItemText(index, lot_text(number, expiry, day))
            expired = expiry is not None and day > expiry
            self.lot.setItemData(index, QBrush(QColor(DANGER)) if expired else None, Qt.ItemDataRole.ForegroundRole)
        expiry = self._expiries.get(str(self.lot.currentData() or ""))
        expired = expiry is not None and day > expiry
        self.lot.setStyleSheet(f"QComboBox {{ color: {DANGER}; font-weight: 600; }}" if expired else "")
        self.lot.setToolTip(f"This lot expired on {expiry.isoformat()}; choose an in-date lot."
                            if expired and expiry else "")

    def _refresh_vials(self) -> None:
        """Vials are counted for single-dose items only: a multi-dose vial has no waste to bill."""
        item = self._reference.formulary.get(str(self.item.currentData() or ""))
        single = bool(item and item.single_dose_vial and item.vial_volume_ml)
        self.vials.setEnabled(single)
        if single and item is not None:
            self.vials.setToolTip(f"{VIALS_HINT} One vial: {item.vial_volume_ml:g} mL.")
        else:
            self.vials.setToolTip("Multi-dose vial: no vials counted, no waste billed." if item else VIALS_HINT)

    @Slot(int)
    def _on_item_changed(self, _index: int) -> None:
        self._fill_lots(str(self.item.currentData() or ""), None)
        self.refresh_expiry()
        self._refresh_vials()
        self.changed.emit()

    @Slot(int)
    def _on_lot_changed(self, _index: int) -> None:
        self.refresh_expiry()
        self.changed.emit()

    # -- errors and keys ------------------------------------------------------------------------------
    def show_error(self, field: str, message: str) -> QWidget:
        widget = {"item_code": self.item, "volume_ml": self.volume, "lot_number": self.lot,
                  "vials_opened": self.vials}.get(field, self.item)
        mark_invalid(widget, True)
        text = self.error.text()
        self.error.setText(f"{text}\n{message}" if text else message)
        self.error.show()
        return widget

    def clear_error(self) -> None:
        for widget in (self.item, self.volume, self.lot, self.vials):
            mark_invalid(widget, False)
        self.error.clear()
        self.error.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.enter_pressed.emit()
                return True
        return super().eventFilter(watched, event)
