"""Administration → Formulary & lots → "Open vials…": the vials of one lot recorded as opened and not discarded,
and discarding one (issue 16 item 6).

Whoever keeps the stock finds here a vial nobody discarded (past its 28 days, its lot expired or recalled, a
single-dose vial left from a procedure) and records it discarded; from that moment no syringe row takes it, on any
workstation: an offer made before is refused when taken (services/open_vials.py re-reads the vial then).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.open_vials import BEYOND_USE_DAYS, SINGLE_DOSE_HOURS, OpenVial
from tpi_notes.services import open_vials
from tpi_notes.services.context import AppContext
from tpi_notes.ui.admin.forms import intro
from tpi_notes.ui.style import DANGER, set_role


def vial_state(vial: OpenVial, now: datetime) -> str:
    """"in use until 2026-12-31 09:10", or why it should be on no shelf any more."""
    if now.date() > vial.expiry:
        return f"lot expired on {vial.expiry.isoformat()}: discard it"
    if vial.single_dose:
        if now > vial.opened_at + timedelta(hours=SINGLE_DOSE_HOURS):
            return "single-dose vial, its procedure is over: discard it"
        return "single-dose vial, for the procedure it was opened for"
    if now > vial.beyond_use_at:
        return f"past its {BEYOND_USE_DAYS} days ({vial.beyond_use_at:%Y-%m-%d %H:%M}): discard it"
    until = min(vial.beyond_use_at, datetime.combine(vial.expiry, time(23, 59)))
    return f"in use until {until:%Y-%m-%d %H:%M}"


def vial_line(vial: OpenVial, now: datetime) -> str:
    """The state first (what the reader acts on), then where and when it was opened."""
    room = vial.room or "no room named"
    serial = f" · serial {vial.serial}" if vial.serial else ""
    state = vial_state(vial, now)
    return (f"{state[:1].upper()}{state[1:]} — {room} · opened {vial.opened_at:%Y-%m-%d %H:%M} by "
            f"{vial.opened_by}{serial}")


class OpenVialsDialog(QDialog):
    """The open vials of one lot, each one a line; "Discard vial…" records the selected one discarded."""

    def __init__(self, ctx: AppContext, item_code: str, item_name: str, lot_number: str, expiry: date,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._code, self._lot = item_code, lot_number
        self.discarded: list[OpenVial] = []
        self.setObjectName("open_vials_dialog")
        self.setWindowTitle(f"Open vials — {item_name} lot {lot_number}")
        self.vials_view = QListWidget(self)
        self.vials_view.setObjectName("open_vials_list")
        self.vials_view.setAccessibleName(f"Open vials of lot {lot_number}")
        self.vials_view.setWordWrap(True)
        self.empty = QLabel("No vial of this lot is recorded as open.", self)
        set_role(self.empty, "hint")
        self.message = QLabel(self)
        self.message.setObjectName("open_vials_message")
        self.message.setWordWrap(True)
        set_role(self.message, "field-error")
        self.message.hide()
        self.discard_button = QPushButton("Discard vial…", self)
        self.discard_button.setObjectName("discard_vial_button")
        self.discard_button.setAutoDefault(False)
        self.discard_button.setToolTip("Record the selected vial as discarded: no syringe takes it after this, "
                                       "on any workstation")
        self.discard_button.clicked.connect(self.discard_selected)
        self.vials_view.currentRowChanged.connect(lambda _row: self._update_button())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        bar = QHBoxLayout()
        bar.addWidget(self.discard_button)
        bar.addStretch(1)
        bar.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(intro(f"Vials of {item_name} lot {lot_number} (expires {expiry.isoformat()}) recorded as "
                               f"opened and not discarded. A multi-dose vial is used within {BEYOND_USE_DAYS} days "
                               "of opening, a single-dose vial for one procedure.", self))
        layout.addWidget(self.vials_view, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.message)
        layout.addLayout(bar)
        self.resize(760, 340)
        self.reload()

    def reload(self) -> None:
        try:
            vials = open_vials.open_of_lot(self._ctx, self._code, self._lot)
        except TpiError as exc:
            self._say(str(exc))
            vials = []
        now = datetime.now()
        self.vials_view.clear()
        for vial in vials:
            entry = QListWidgetItem(vial_line(vial, now), self.vials_view)
            entry.setData(Qt.ItemDataRole.UserRole, vial)
            if vial_state(vial, now).endswith("discard it"):
                entry.setForeground(QBrush(QColor(DANGER)))
        if vials:
            self.vials_view.setCurrentRow(0)
        self.empty.setVisible(not vials)
        self._update_button()

    def selected(self) -> OpenVial | None:
        entry = self.vials_view.currentItem()
        return entry.data(Qt.ItemDataRole.UserRole) if entry is not None else None

    def _update_button(self) -> None:
        self.discard_button.setEnabled(self.selected() is not None)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    @Slot()
    def discard_selected(self) -> None:
        vial = self.selected()
        if vial is None:
            return
        answer = QMessageBox.question(
            self, "Discard the open vial",
            f"Record the vial of {vial.item_name} lot {vial.lot_number} opened in {vial.room or 'no named room'} "
            f"on {vial.opened_at:%Y-%m-%d %H:%M} as discarded? No syringe will take it after this.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._say("")
        try:
            self.discarded.append(open_vials.discard_open_vial(self._ctx, vial.id))
        except TpiError as exc:  # discarded on another workstation meanwhile: the list is read again
            self._say(str(exc))
        self.reload()
