"""A staff member chooser: "none" first, the people, and optionally an "Add …" entry at the end."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QWidget

from tpi_notes.domain.staff import StaffMember

ADD = "add"


class StaffCombo(QComboBox):
    add_requested = Signal()
    """The "Add …" entry was chosen (the combo goes back to what it showed before)."""

    def __init__(self, none_text: str, add_text: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._none_text = none_text
        self._add_text = add_text
        self._previous = 0
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(18)
        self.set_members([])
        self.activated.connect(self._on_activated)
        self.currentIndexChanged.connect(self._remember)

    def set_members(self, members: list[StaffMember], select: int | None = None) -> None:
        keep = self.member_id() if select is None else select
        self.blockSignals(True)
        try:
            self.clear()
            self.addItem(self._none_text, None)
            for member in members:
                self.addItem(member.label, member.id)
            if self._add_text:
                self.insertSeparator(self.count())
                self.addItem(self._add_text, ADD)
        finally:
            self.blockSignals(False)
        self.select(keep)

    def member_id(self) -> int | None:
        value = self.currentData()
        return value if isinstance(value, int) else None

    def select(self, member_id: int | None) -> None:
        index = self.findData(member_id) if member_id is not None else 0
        if index < 0:  # someone no longer active: still shown, so the draft is not changed behind the user's back
            self.insertItem(1, f"Staff member #{member_id}", member_id)
            index = 1
        self.setCurrentIndex(index)
        self._previous = index

    @Slot(int)
    def _remember(self, index: int) -> None:
        if self.itemData(index) != ADD:
            self._previous = index

    @Slot(int)
    def _on_activated(self, index: int) -> None:
        if self.itemData(index) == ADD:
            self.setCurrentIndex(self._previous)
            self.add_requested.emit()
