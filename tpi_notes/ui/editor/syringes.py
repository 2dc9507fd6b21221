"""Syringes A, B, …: each a small table of drugs with lots, and the concentrations the mix works out to.

Under each syringe, what its sites take from it; when they take more than it holds, a warning there (and a stop
in the findings panel) with one click to draw up what the sites need. The syringe never follows the sites by
itself: its volume is what was drawn up, and a larger volume means more drug, which someone must confirm.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from tpi_notes.domain.dosing import concentrations
from tpi_notes.domain.session import Component, Preparation, Site
from tpi_notes.domain.syringe_use import drawn_by_sites, scaled_volumes
from tpi_notes.ui.editor.components import ComponentRow
from tpi_notes.ui.editor.reference import DEFAULT_SYRINGE, EditorReference
from tpi_notes.ui.editor.site_commands import DEFAULT_SITE_ML
from tpi_notes.ui.editor.vial_desk import VialDesk
from tpi_notes.ui.style import DANGER, set_role

HEADERS = ("Drug", "Volume", "Lot and expiry", "Vials", "Scan", "")
NEARLY_OUT = "#9a3412"  # amber, as the site's "over the lung" caution: not yet a stop
LINES = 3  # grid lines a drug row takes: its fields, its vial line, its error
_KEY = re.compile(r"^preparations\[(?P<label>[^\]]*)\](?:\.(?P<index>\d+)\.(?P<field>\w+))?$")


def mix_text(prep: Preparation, reference: EditorReference) -> str:
    """ "5 mL: lidocaine 8 mg/mL + triamcinolone acetonide 8 mg/mL" (saline named without a strength)."""
    if prep.total_ml <= 0:
        return "Empty: add a drug and its volume."
    parts = []
    for code, mg_per_ml in concentrations(prep, reference.formulary).items():
        item = reference.formulary[code]
        parts.append("saline" if item.agent_class == "saline" else f"{reference.drug_name(code)} {mg_per_ml:.3g} mg/mL")
    return f"{prep.total_ml:g} mL: " + " + ".join(parts)


class SyringeBox(QFrame):
    """One syringe: a header, its component rows, "Add drug", and the derived concentrations."""

    changed = Signal()
    """A component was added, removed or edited."""
    remove_requested = Signal(str)
    """"Remove syringe" was clicked: the label."""

    def __init__(self, label: str, reference: EditorReference, day: Callable[[], date],
                 parent: QWidget | None = None, desk: VialDesk | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self._reference = reference
        self._day = day
        self._desk = desk
        self._needed_ml = 0.0
        self.rows: list[ComponentRow] = []
        self.setObjectName("card")
        title = QLabel(f"Syringe {label}", self)
        title.setStyleSheet("font-weight: 600; font-size: 11pt;")
        self.remove_button = QPushButton("Remove syringe", self)
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self.label))
        self.error = QLabel(self)
        self.error.setObjectName(f"error_preparations[{label}]")
        self.error.setWordWrap(True)
        set_role(self.error, "field-error")
        self.error.hide()
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(8)
        self.grid.setVerticalSpacing(4)
        self.grid.setColumnStretch(0, 4)
        self.grid.setColumnStretch(2, 3)
        for column, text in enumerate(HEADERS):
            header = QLabel(text, self)
            set_role(header, "hint")
            self.grid.addWidget(header, 0, column)
        self.add_button = QPushButton("+ Add drug", self)
        self.add_button.setAutoDefault(False)
        self.add_button.setToolTip("Add another drug to this syringe (or press Enter in a row)")
        self.add_button.clicked.connect(lambda: self.add_row(focus=True))
        self.mix_label = QLabel(self)
        self.mix_label.setObjectName(f"mix_{label}")
        self.mix_label.setWordWrap(True)
        self.usage_label = QLabel(self)
        self.usage_label.setObjectName(f"usage_{label}")
        self.usage_label.setWordWrap(True)
        set_role(self.usage_label, "hint")
        self.draw_up_button = QPushButton(self)
        self.draw_up_button.setObjectName(f"draw_up_{label}")
        self.draw_up_button.setAutoDefault(False)
        self.draw_up_button.setToolTip("Raise the syringe's volume to what its sites take, keeping the mix")
        self.draw_up_button.clicked.connect(self.draw_up_for_sites)
        self.draw_up_button.hide()
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.remove_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.add_button)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addLayout(self.grid)
        layout.addLayout(bottom)
        layout.addWidget(self.mix_label)
        usage = QHBoxLayout()
        usage.addWidget(self.usage_label, 1)
        usage.addWidget(self.draw_up_button)
        layout.addLayout(usage)

    def preparation(self) -> Preparation:
        return Preparation(self.label, tuple(row.component() for row in self.rows))

    def load(self, prep: Preparation) -> None:
        for component in prep.components:
            self.add_row(component, emit=False)
        self.update_mix()

    def add_row(self, component: Component | None = None, *, focus: bool = False, emit: bool = True,
                after: ComponentRow | None = None) -> ComponentRow:
        """A new drug row: ``component``, or 1 mL of a drug the user still has to choose."""
        row = ComponentRow(self._reference, self._day, self)
        row.set_desk(self._desk)
        row.row_for = lambda code, lot, asking=row: next(
            (r for r in self.rows if r is not asking and r.component().item_code == code
             and r.component().lot_number in ("", lot)), None)
        position = self.rows.index(after) + 1 if after in self.rows else len(self.rows)
        self.rows.insert(position, row)
        if component is not None:
            row.load(component)
        else:
            row.volume.setValue(1.0)
        row.changed.connect(self._on_row_changed)
        row.enter_pressed.connect(lambda r=row: self.add_row(focus=True, after=r))
        row.remove_clicked.connect(lambda r=row: self.remove_row(r))
        self._lay_out_rows()
        if focus:
            row.item.setFocus(Qt.FocusReason.OtherFocusReason)
        if emit:
            self._on_row_changed()
        return row

    def remove_row(self, row: ComponentRow) -> None:
        self.rows.remove(row)
        for widget in (*row.widgets(), row.vial_line, row.error):
            widget.deleteLater()
        row.deleteLater()
        self._lay_out_rows()
        self._on_row_changed()

    def _lay_out_rows(self) -> None:
        for row in self.rows:
            for widget in (*row.widgets(), row.vial_line, row.error):
                self.grid.removeWidget(widget)
        previous: QWidget | None = None
        for i, row in enumerate(self.rows):
            for column, widget in enumerate(row.widgets()):
                self.grid.addWidget(widget, 1 + LINES * i, column)
                if previous is not None:
                    QWidget.setTabOrder(previous, widget)
                previous = widget
                if widget is row.lot:  # the open vial to take comes right after the lot
                    QWidget.setTabOrder(previous, row.open_vial_button)
                    previous = row.open_vial_button
            self.grid.addWidget(row.vial_line, 2 + LINES * i, 0, 1, len(HEADERS))
            self.grid.addWidget(row.error, 3 + LINES * i, 0, 1, len(HEADERS))
        if previous is not None:
            QWidget.setTabOrder(previous, self.add_button)

    @Slot()
    def _on_row_changed(self) -> None:
        self.update_mix()
        self.changed.emit()

    def update_mix(self) -> None:
        self.mix_label.setText(mix_text(self.preparation(), self._reference))

    def set_usage(self, sites: list[Site]) -> None:
        used = [s for s in sites if s.technique == "injection" and s.preparation_label == self.label]
        total = drawn_by_sites(sites).get(self.label, 0.0)
        held = self.preparation().total_ml
        numbers = ", ".join(str(s.number) for s in used)
        text = (f"Used at site{'s' if len(used) != 1 else ''} {numbers}: {total:g} mL of {held:g} mL" if used
                else "Not used at any site yet.")
        # an empty syringe (its volume typed down to 0) is overdrawn too: Save refuses it as the findings say
        over = total > held + 1e-9
        mix_known = held > 0 or len(self.rows) == 1
        self._needed_ml = total if over and mix_known else 0.0
        if over:
            text += f" — the sites take {total - held:g} mL more than the syringe holds."
            if not mix_known:
                text += " Enter each drug's volume."
        elif used and held - total < DEFAULT_SITE_ML - 1e-9:  # said before the next site overdraws it
            text += (f" — {max(held - total, 0):g} mL left: another {DEFAULT_SITE_ML:g} mL site needs more drawn up "
                     "first.")
        self.usage_label.setText(text)
        self.usage_label.setStyleSheet(f"color: {DANGER}; font-weight: 600;" if over else
                                       f"color: {NEARLY_OUT};" if "left: another" in text else "")
        self.draw_up_button.setText(f"Draw up {total:g} mL")
        self.draw_up_button.setVisible(over and mix_known)

    @Slot()
    def draw_up_for_sites(self) -> None:
        """The one-click fix of an overdrawn syringe: its volumes scaled to what the sites take (same mix)."""
        if self._needed_ml <= 0:
            return
        held = [row.volume.value() for row in self.rows]
        volumes = scaled_volumes(held, self._needed_ml) if sum(held) > 0 else [self._needed_ml]  # one drug at 0
        for row, volume in zip(self.rows, volumes, strict=True):
            row.volume.blockSignals(True)
            row.volume.setValue(volume)
            row.volume.blockSignals(False)
        self._on_row_changed()

    def refresh_expiry(self) -> None:
        for row in self.rows:
            row.refresh_expiry()
            row.refresh_offer()

    def set_desk(self, desk: VialDesk | None) -> None:
        self._desk = desk
        for row in self.rows:
            row.set_desk(desk)

    def refresh_offers(self) -> None:
        for row in self.rows:
            row.refresh_offer()

    def clear_errors(self) -> None:
        self.error.hide()
        self.error.clear()
        for row in self.rows:
            row.clear_error()

    def show_error(self, index: int | None, field: str | None, message: str) -> QWidget:
        if index is None or index >= len(self.rows):
            self.error.setText(message)
            self.error.show()
            return self.rows[0].item if self.rows else self.add_button
        return self.rows[index].show_error(field or "item_code", message)


def next_label(used: list[str]) -> str:
    return next((ch for ch in string.ascii_uppercase if ch not in used), f"S{len(used) + 1}")


def parse_key(key: str) -> tuple[str, int | None, str | None] | None:
    """``preparations[A].0.lot_number`` -> ("A", 0, "lot_number"); ``preparations[A]`` -> ("A", None, None)."""
    match = _KEY.match(key)
    if match is None:
        return None
    index = match.group("index")
    return match.group("label"), int(index) if index is not None else None, match.group("field")


def default_component(reference: EditorReference) -> Component:
    """The clinic's usual first drug, without a lot: the lot is the vial drawn from, which the user confirms."""
    code, volume = DEFAULT_SYRINGE
    if code not in reference.formulary:
        code = next((i.code for i in reference.active_items() if i.agent_class == "local_anesthetic"), "")
    return Component(code, volume, "")
