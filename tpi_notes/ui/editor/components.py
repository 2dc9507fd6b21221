"""One syringe's drugs as rows: formulary item, volume, lot (filtered to the item, expired lots in red), the
single-dose vials opened for it ("Auto": as many as the volume needs; JW/JZ are billed from it, domain/coding.py),
and a field a USB scanner types a vial's GS1 DataMatrix into.

No lot is ever chosen for the user (issue 16 item 6): a new drug row starts without one. When the session's room
has an open vial of the drug, the row offers it ("Use open vial: lot …"), one click or Enter to take it; a scan
fills drug, lot and expiry and records the vial as opened in the room. A scan never changes the drug a row already
holds (its volume was measured for that drug): the vial goes to the syringe's row of its drug, or is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from tpi_notes.domain.drug_waste import MAX_VIALS
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.formulary import AGENT_CLASSES
from tpi_notes.domain.gs1 import GS
from tpi_notes.domain.open_vials import OpenVial
from tpi_notes.domain.session import Component
from tpi_notes.services.vial_scan import unknown_lot_message
from tpi_notes.ui.editor.fields import FIELD_HEIGHT, mark_invalid
from tpi_notes.ui.editor.reference import EditorReference
from tpi_notes.ui.editor.vial_desk import VialDesk
from tpi_notes.ui.style import DANGER, set_role

NO_LOT = "Choose the lot…"  # never picked for the user: the open vial is offered, or scan it
AUTO_VIALS = -1  # the spin box's "Auto": as many single-dose vials as the volume drawn needs
VIALS_HINT = ("Single-dose vials opened for this drug. Auto: as many as the volume needs. 0: drawn from a vial "
              "already counted in another syringe. The discarded rest is billed with JW.")
MAX_COMPONENT_ML = 60.0
SCAN_HINT = ("Scan the vial's 2D barcode here (a USB scanner types it and Enter): it fills the drug, lot and expiry "
             "and records the vial as opened in this room.")
VISIBLE_GS = "\u241d"  # ␝: the group separator kept visible (a line edit drops control characters)


class ScanField(QLineEdit):
    """A line edit that keeps the GS1 group separator a scanner types (ASCII 29, or Ctrl+]) as ␝."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if event.text() == GS or (ctrl and event.key() == Qt.Key.Key_BracketRight):
            self.insert(VISIBLE_GS)
            return
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()  # the scan's Enter reads the scan; in a dialog it must not press the default button

    def scanned(self) -> str:
        """The text as the scanner sent it (GS back in place of ␝)."""
        return self.text().replace(VISIBLE_GS, GS)


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
        self.scan = ScanField(parent)
        self.scan.setObjectName("vial_scan")
        self.scan.setPlaceholderText("Scan vial")
        self.scan.setToolTip(SCAN_HINT)
        self.scan.setAccessibleName("Scan vial barcode")
        self.scan.setMinimumWidth(90)
        self.scan.setMinimumHeight(FIELD_HEIGHT)
        self.remove_button = QToolButton(parent)
        self.remove_button.setText("✕")
        self.remove_button.setToolTip("Remove this drug from the syringe")
        self.remove_button.setAutoRaise(True)
        # The vial line under the row: today's open vial to take, or why the open one may not be used.
        self.vial_line = QWidget(parent)
        self.open_vial_button = QPushButton(self.vial_line)
        self.open_vial_button.setObjectName("use_open_vial")
        self.open_vial_button.setAutoDefault(True)  # Enter takes it, as a click does
        self.open_vial_button.setToolTip("Draw from this vial, opened in this room (the lot and expiry fill in)")
        self.record_button = QPushButton("Record a new vial of this lot opened now", self.vial_line)
        self.record_button.setObjectName("record_vial_opened")
        self.record_button.setAutoDefault(True)
        self.record_button.setToolTip("The vial you are opening is offered for the next syringes in this room "
                                      "(a multi-dose vial for 28 days; a single-dose vial for this patient only)")
        self.discard_button = QPushButton("Discard vial…", self.vial_line)
        self.discard_button.setObjectName("discard_vial")
        self.discard_button.setAutoDefault(False)
        self.discard_button.setToolTip("Record this open vial as discarded (empty, dropped, past its limit): no "
                                       "syringe is offered it after this, in any room")
        self.vial_note = QLabel(self.vial_line)
        self.vial_note.setObjectName("vial_note")
        self.vial_note.setWordWrap(True)
        set_role(self.vial_note, "hint")
        line = QHBoxLayout(self.vial_line)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.open_vial_button)
        line.addWidget(self.record_button)
        line.addWidget(self.vial_note, 1)
        line.addWidget(self.discard_button)
        self.vial_line.hide()
        self._desk: VialDesk | None = None
        # the syringe's other row of a drug with no lot or this lot (set by the syringe): where a scan of another
        # drug's vial goes
        self.row_for: Callable[[str, str], ComponentRow | None] = lambda _code, _lot: None
        self._offered: OpenVial | None = None
        # the open vial the line names (offered, drawn from, or refused past its limit): Discard ends it
        self._vial: OpenVial | None = None
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
        self.open_vial_button.clicked.connect(self.take_open_vial)
        self.record_button.clicked.connect(self.record_vial_opened)
        self.discard_button.clicked.connect(self.discard_vial)
        self.scan.returnPressed.connect(self._on_scan)

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.item, self.volume, self.lot, self.vials, self.scan, self.remove_button)

    def set_desk(self, desk: VialDesk | None) -> None:
        self._desk = desk
        self.refresh_offer()

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
        self.refresh_offer()

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

    def _show(self, code: str, lot_number: str) -> None:
        """Drug and lot as scanned or taken (the lot list re-read: a lot just registered is on it)."""
        self.blockSignals(True)
        self.item.blockSignals(True)
        try:
            self.item.setCurrentIndex(max(0, self.item.findData(code)))
            self._fill_lots(code, lot_number)
        finally:
            self.item.blockSignals(False)
            self.blockSignals(False)
        self.refresh_expiry()
        self._refresh_vials()
        self.refresh_offer()
        self.changed.emit()

    # -- open vials and scans ---------------------------------------------------------------------------
    def refresh_offer(self) -> None:
        """Offer the room's open vial of this drug unless its lot is the one chosen; or say why it is refused."""
        code = str(self.item.currentData() or "")
        usable, refused = self._desk.offers(code, self._day()) if self._desk and code else ([], [])
        chosen = str(self.lot.currentData() or "")
        drawn_from = next((v for v in usable if v.lot_number == chosen), None)
        self._offered = usable[0] if usable and drawn_from is None else None
        note = ""
        if self._offered is not None:
            self.open_vial_button.setText(f"Use open vial: {self._offered.label()}")
            self.open_vial_button.setToolTip(f"Draw from this vial, opened in this room ({self._offered.use_until()}); "
                                             "the lot and expiry fill in")
            note = f"({self._offered.use_until()})"
        elif drawn_from is not None:
            note = f"Drawn from the open vial: {drawn_from.label()} ({drawn_from.use_until()})."
        elif refused:
            note = refused[0]
        record = self._offered is None and drawn_from is None and bool(chosen) and self._desk is not None
        past = self._desk.past_use(code, self._day()) if self._desk and code and refused else []
        self._vial = self._offered or drawn_from or (past[0] if past and note == refused[0] else None)
        self.open_vial_button.setVisible(self._offered is not None)
        self.record_button.setVisible(record)
        self.discard_button.setVisible(self._vial is not None and self._desk is not None and self._desk.can_discard)
        self.vial_note.setText(note)
        self.vial_line.setVisible(self._offered is not None or record or bool(note))

    @Slot()
    def take_open_vial(self) -> None:
        if self._offered is None or self._desk is None:
            return
        self.clear_error()
        try:
            vial = self._desk.take(self._offered, self._day())
        except TpiError as exc:
            self.show_error("lot_number", str(exc))
            return
        self._show(vial.item_code, vial.lot_number)
        self.lot.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def discard_vial(self) -> None:
        """The vial the line names as discarded, once confirmed; the lot already drawn from it stays chosen. Every
        row and the findings panel stop offering it at once (the desk tells the editor)."""
        vial, desk = self._vial, self._desk
        if vial is None or desk is None:
            return
        answer = QMessageBox.question(
            self.discard_button, "Discard the open vial",
            f"Record the open vial of {vial.item_name} ({vial.label()}) as discarded? It will not be offered "
            "to any syringe after this.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.clear_error()
        try:
            desk.discard(vial)
        except TpiError as exc:
            self.show_error("lot_number", str(exc))
        self.refresh_offer()

    @Slot()
    def record_vial_opened(self) -> None:
        """The chosen lot's vial as opened now in this room, by the signed-in user (offered to the next syringes)."""
        code, number = str(self.item.currentData() or ""), str(self.lot.currentData() or "")
        if self._desk is None or not code or not number:
            return
        self.clear_error()
        try:
            self._desk.record_chosen(code, number, self._day())
        except TpiError as exc:
            self.show_error("lot_number", str(exc))
            return
        self.refresh_offer()

    @Slot()
    def _on_scan(self) -> None:
        text = self.scan.scanned()
        self.scan.clear()
        if self._desk is None or not text.strip():
            return
        self.clear_error()
        desk, day = self._desk, self._day()
        try:
            found = desk.resolve(text, day)
            target = self._scan_target(found.item_code, found.item_name, found.lot_number)
            if not found.known:
                if not desk.can_register:
                    raise TpiError(unknown_lot_message(found))
                expiry = found.expiry.isoformat() if found.expiry else "no expiry in the barcode"
                answer = QMessageBox.question(
                    self.scan, "Register the scanned lot",
                    f"Lot {found.lot_number} of {found.item_name} (expires {expiry}) is not on the lot list. "
                    "Register it now?")
                if answer != QMessageBox.StandardButton.Yes:
                    return
                desk.register(found)
            desk.record_opened(found, day)  # refused (discarded, another patient's …) before the row changes
        except TpiError as exc:
            self.show_error("lot_number", str(exc))
            return
        target._show(found.item_code, found.lot_number)
        target.refresh_offer()  # "Drawn from the open vial: lot …, opened today 09:12 by …"
        if target is not self:
            target.lot.setFocus(Qt.FocusReason.OtherFocusReason)

    def _scan_target(self, code: str, name: str, lot_number: str) -> ComponentRow:
        """The row a scanned vial of ``code`` fills: this one when it holds no drug or that drug, else the syringe's
        row of that drug without a lot (or with this one: a second lot of a drug is a row of its own); refused
        otherwise (the volume typed here was for the drug chosen here)."""
        held = str(self.item.currentData() or "")
        if not held or held == code:
            return self
        other = self.row_for(code, lot_number)
        if other is None:
            raise TpiError(f"This vial is {name}, but this row holds {self._reference.item_name(held)}: scan it into "
                           f"an empty row (+ Add drug), or choose {name} here first.")
        return other

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
            # A drug just chosen starts without a lot: none is picked that nobody confirmed (the open vial is
            # offered under the row instead).
            self.lot.setCurrentIndex(max(0, self.lot.findData(keep or "")))
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
        self.refresh_offer()
        self.changed.emit()

    @Slot(int)
    def _on_lot_changed(self, _index: int) -> None:
        self.refresh_expiry()
        self.refresh_offer()
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
        for widget in (self.item, self.volume, self.lot, self.vials, self.scan):
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
