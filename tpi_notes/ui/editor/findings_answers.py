"""The findings panel's inline answers applied to the editor (issue 16: the repeat visit in 15 actions).

A sign blocker with a usual answer (resources/rules/inline-answers.json) carries it beside its link; pressing it
sets the same field its tab shows, as one undo step (Ctrl+Z takes it back), and the draft is modified as by any
edit. The lots button takes each offered lot as the syringe row would: an open vial through the row's own "Use open
vial" (re-read, refused past its limit), any other lot chosen in the row's list (domain/lot_offers.py says which).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.lot_offers import LastUse, LotOffer, offer_lot
from tpi_notes.services import lot_offers
from tpi_notes.ui.editor.components import ComponentRow
from tpi_notes.ui.editor.pain_scale import PainScale
from tpi_notes.ui.editor.syringes import parse_key
from tpi_notes.ui.editor.vial_desk import VialDesk

if TYPE_CHECKING:
    from tpi_notes.ui.editor.window import SessionEditor

RELOAD_S = 30.0  # the lots last used are read again after this long (another room may have signed meanwhile)


@dataclass(frozen=True)
class RowOffer:
    """The lot offered for one syringe drug, and the row it goes into."""

    field: str  # preparations[A].0.lot_number
    row: ComponentRow
    offer: LotOffer
    drug: str

    @property
    def words(self) -> str:
        """"Lidocaine 1 % LID-A1 (open vial, Procedure room 1)"."""
        return f"{self.drug} {self.offer.lot_number} ({self.offer.why})"


class AnswerStep(QUndoCommand):
    """An inline answer as an undo step: already applied when pushed; undo puts back what was there."""

    def __init__(self, text: str, apply: Callable[[], None], revert: Callable[[], None]) -> None:
        super().__init__(text)
        self._apply, self._revert = apply, revert
        self._done = True

    def redo(self) -> None:
        if not self._done:  # the first redo is the push: the answer was given just before
            self._apply()
        self._done = True

    def undo(self) -> None:
        self._revert()
        self._done = False


def field_widget(editor: SessionEditor, field: str) -> QWidget | None:
    """The form field a blocker's key names (pain_after, respiratory_check, guidance …), on the pre- or
    post-procedure tab."""
    for panel in (editor.post, editor.pre):
        widget = getattr(panel, field, None)
        if isinstance(widget, (PainScale, QComboBox, QLineEdit)):
            return widget
    return None


def _value(widget: QWidget) -> object:
    if isinstance(widget, PainScale):
        return widget.value()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    return widget.text() if isinstance(widget, QLineEdit) else None


def _set(widget: QWidget, value: object) -> None:
    if isinstance(widget, PainScale):
        widget.setValue(int(value))  # type: ignore[call-overload]
    elif isinstance(widget, QComboBox) and not widget.isEditable():  # a list (guidance): the entry of that text
        index = widget.findText(str(value))
        if index >= 0:
            widget.setCurrentIndex(index)
    elif isinstance(widget, QComboBox):
        widget.setEditText(str(value))
    elif isinstance(widget, QLineEdit):
        widget.setText(str(value))


class EditorAnswers:
    """What the findings panel offers inline for this editor, and giving those answers."""

    def __init__(self, editor: SessionEditor, desk: VialDesk) -> None:
        self.editor = editor
        self.desk = desk
        self._last: tuple[str, float, list[LastUse]] | None = None  # room, read at, uses

    # -- form fields ----------------------------------------------------------------------------------
    def answer(self, field: str, value: object) -> None:
        """Set ``field`` to ``value`` as the user's entry (one undo step)."""
        widget = field_widget(self.editor, field)
        if widget is None:
            return
        before = _value(widget)
        if before == value:
            return
        _set(widget, value)

        def revert() -> None:
            if _value(widget) == value:  # changed again since: that later entry stays
                _set(widget, before)

        label = field.replace("_", " ").capitalize()
        self.editor.undo_stack.push(AnswerStep(f"{label}: {value}", lambda: _set(widget, value), revert))

    # -- lots -----------------------------------------------------------------------------------------
    def _last_uses(self, room: str) -> list[LastUse]:
        if self._last is None or self._last[0] != room or monotonic() - self._last[1] > RELOAD_S:
            try:
                uses = lot_offers.last_used_lots(self.editor.ctx, room, exclude_session=self.editor.draft_id)
            except TpiError:  # a reader without the permission still charts; nothing is offered from history
                uses = []
            self._last = (room, monotonic(), uses)
        return self._last[2]

    def _row(self, field: str) -> ComponentRow | None:
        parsed = parse_key(field)
        box = self.editor.syringes.box(parsed[0]) if parsed else None
        if parsed is None or box is None or parsed[1] is None or not 0 <= parsed[1] < len(box.rows):
            return None
        return box.rows[parsed[1]]

    def lot_offers(self, fields: list[str]) -> list[RowOffer]:
        """The lot offered for each syringe drug these blockers name; a drug with no candidate is left out."""
        day = self.editor.current_draft().performed_start.date()
        reference = self.editor.reference
        found: list[RowOffer] = []
        for field in fields:
            row = self._row(field)
            component = row.component() if row is not None else None
            if row is None or component is None or component.lot_number or not component.item_code:
                continue
            usable, _refused = self.desk.offers(component.item_code, day)
            offer = offer_lot(component.item_code, day, reference.lots, open_vial=usable[0] if usable else None,
                              last_uses=self._last_uses(self.desk.room()))
            if offer is not None:
                found.append(RowOffer(field, row, offer, reference.item_name(component.item_code)))
        return found

    def _alive(self, row: ComponentRow) -> bool:
        return any(row in box.rows for box in self.editor.syringes.boxes)

    def use_lots(self, offers: list[RowOffer]) -> list[str]:
        """Take every offered lot (one undo step); returns the refusals (an open vial past its limit …)."""
        taken: list[RowOffer] = []
        refused: list[str] = []
        for item in offers:
            row = item.row
            if not self._alive(row) or row.component().lot_number:
                continue
            if item.offer.vial is not None:
                row.refresh_offer()  # the row's own offer is the room's vial the panel named
                row.take_open_vial()  # the row re-reads the vial, as its own button does
            else:
                row.set_lot(item.offer.lot_number)
            if row.component().lot_number == item.offer.lot_number:
                taken.append(item)
            else:
                refused.append(row.error.text() or f"{item.drug}: lot {item.offer.lot_number} was not taken.")
        if taken:
            def apply() -> None:
                for item in taken:
                    if self._alive(item.row) and not item.row.component().lot_number:
                        item.row.set_lot(item.offer.lot_number)

            def revert() -> None:
                for item in taken:
                    if self._alive(item.row) and item.row.component().lot_number == item.offer.lot_number:
                        item.row.set_lot("")

            lots = ", ".join(item.offer.lot_number for item in taken)
            self.editor.undo_stack.push(AnswerStep(f"Lots {lots}", apply, revert))
        return refused
