"""The Formulary & lots tab: the items (retired ones too) and the lots of the selected item."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.formulary_input import ItemUse, LotUse
from tpi_notes.domain.permissions import Permission
from tpi_notes.services import formulary_admin
from tpi_notes.services.context import AppContext
from tpi_notes.ui.admin.forms import intro
from tpi_notes.ui.admin.formulary_cells import ITEM_HEADERS, LOT_HEADERS, item_cells, lot_cells
from tpi_notes.ui.admin.formulary_dialogs import ItemDialog, LotDialog
from tpi_notes.ui.admin.open_vials_dialog import OpenVialsDialog
from tpi_notes.ui.admin.tables import RowsModel, make_table, select_row, selected_row
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.style import set_role


def _button(text: str, name: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setObjectName(name)
    return button


class FormularyTab(QWidget):
    """Formulary and lots (Permission.MANAGE_FORMULARY). Retired items and lots stay for the signed notes that
    used them but are no longer offered in the editor."""

    recall_requested = Signal(str)
    """"Sessions with this lot…": the lot number whose sessions the history browser should list (a recall)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.setObjectName("formulary_tab")
        self.active_dialog: QDialog | None = None

        self.item_model = RowsModel(ITEM_HEADERS, self)
        self.items_view = make_table(self.item_model, "items_view", self, stretch=0)
        self.items_view.doubleClicked.connect(self._item_double_clicked)
        self.add_item_button = _button("Add item…", "add_item_button", self)
        self.add_item_button.setProperty("primary", True)
        self.edit_item_button = _button("Edit item…", "edit_item_button", self)
        self.retire_item_button = _button("Retire", "retire_item_button", self)
        self.show_retired = QCheckBox("Show retired", self)
        self.show_retired.setObjectName("show_retired")
        self.show_retired.setChecked(True)
        self.add_item_button.clicked.connect(self.add_item)
        self.edit_item_button.clicked.connect(self.edit_item)
        self.retire_item_button.clicked.connect(self.toggle_item)
        self.show_retired.toggled.connect(lambda _on: self.reload())

        self.lot_model = RowsModel(LOT_HEADERS, self)
        self.lots_view = make_table(self.lot_model, "lots_view", self, stretch=len(LOT_HEADERS) - 1)
        self.lots_view.doubleClicked.connect(self._lot_double_clicked)
        self.lots_title = QLabel(self)
        self.lots_title.setObjectName("lots_title")
        set_role(self.lots_title, "section")
        self.add_lot_button = _button("Add lot…", "add_lot_button", self)
        self.edit_lot_button = _button("Edit lot…", "edit_lot_button", self)
        self.retire_lot_button = _button("Retire lot", "retire_lot_button", self)
        self.recall_button = _button("Sessions with this lot…", "recall_button", self)
        self.recall_button.setToolTip("A recall: open the session history filtered to this lot (its patients, dates "
                                      "and physicians; export it from there)")
        self.recall_button.clicked.connect(self.recall_lot)
        self.open_vials_button = _button("Open vials…", "open_vials_button", self)
        self.open_vials_button.setToolTip("The vials of this lot recorded as opened and not discarded; discard one")
        self.open_vials_button.clicked.connect(self.show_open_vials)
        self.add_lot_button.clicked.connect(self.add_lot)
        self.edit_lot_button.clicked.connect(self.edit_lot)
        self.retire_lot_button.clicked.connect(self.toggle_lot)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(8)
        top_layout.addLayout(self._bar((self.add_item_button, self.edit_item_button, self.retire_item_button),
                                       self.show_retired))
        top_layout.addWidget(self.items_view, 1)
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 6, 0, 0)
        bottom_layout.setSpacing(8)
        bottom_layout.addLayout(self._bar((self.add_lot_button, self.edit_lot_button, self.retire_lot_button,
                                           self.recall_button, self.open_vials_button), None, self.lots_title))
        bottom_layout.addWidget(self.lots_view, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(10)
        layout.addWidget(intro("Items and lots offered while charting. Retire what the clinic no longer stocks: "
                               "signed notes that used it keep showing it. An item or lot a signed note used "
                               "cannot be edited.", self))
        layout.addWidget(splitter, 1)
        self.items_view.selectionModel().selectionChanged.connect(self._item_selected)
        self.lots_view.selectionModel().selectionChanged.connect(self._update_lot_buttons)
        self.reload()

    def _bar(self, buttons: tuple[QPushButton, ...], trailing: QWidget | None, title: QLabel | None = None
             ) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setSpacing(8)
        if title is not None:
            bar.addWidget(title)
            bar.addSpacing(8)
        for button in buttons:
            bar.addWidget(button)
        bar.addStretch(1)
        if trailing is not None:
            bar.addWidget(trailing)
        return bar

    # -- selection -------------------------------------------------------------------------------------------
    def selected_item(self) -> ItemUse | None:
        return self.item_model.record_at(selected_row(self.items_view))

    def selected_lot(self) -> LotUse | None:
        return self.lot_model.record_at(selected_row(self.lots_view))

    def select_item(self, code: str) -> bool:
        rows = [i for i, use in enumerate(self.item_model.records()) if use.item.code == code]
        if rows:
            select_row(self.items_view, rows[0])
        return bool(rows)

    def select_lot(self, lot_id: int) -> bool:
        rows = [i for i, use in enumerate(self.lot_model.records()) if use.lot.id == lot_id]
        if rows:
            select_row(self.lots_view, rows[0])
        return bool(rows)

    # -- loading ---------------------------------------------------------------------------------------------
    @Slot()
    def reload(self, code: str | None = None) -> None:
        current = self.selected_item()
        keep = code or (current.item.code if current else None)
        try:
            uses = formulary_admin.list_items(self._ctx)
        except TpiError as exc:
            show_error(self, exc)
            uses = []
        if not self.show_retired.isChecked():
            uses = [use for use in uses if not use.item.retired or use.item.code == code]
        self.item_model.set_rows([(use, item_cells(use)) for use in uses])
        if keep is None or not self.select_item(keep):
            select_row(self.items_view, 0)
        self._item_selected()

    @Slot()
    def _item_selected(self) -> None:
        use = self.selected_item()
        self.edit_item_button.setEnabled(use is not None and use.signed_notes == 0)
        self.edit_item_button.setToolTip("Used by signed notes: retire it and add a new item instead."
                                         if use is not None and use.signed_notes else "")
        self.retire_item_button.setEnabled(use is not None)
        self.retire_item_button.setText("Restore" if use is not None and use.item.retired else "Retire")
        self.reload_lots()

    def reload_lots(self, lot_id: int | None = None) -> None:
        use = self.selected_item()
        lots: list[LotUse] = []
        if use is not None:
            try:
                lots = formulary_admin.list_lots(self._ctx, use.item.code)
            except TpiError as exc:
                show_error(self, exc)
        today = self._ctx.today()
        self.lot_model.set_rows([(lot, lot_cells(lot, today)) for lot in lots])
        self.lots_title.setText(f"LOTS OF {use.item.name.upper()}" if use else "LOTS")
        self.add_lot_button.setEnabled(use is not None and not use.item.retired)
        if lot_id is None or not self.select_lot(lot_id):
            select_row(self.lots_view, 0)
        self._update_lot_buttons()

    @Slot()
    def _update_lot_buttons(self) -> None:
        use = self.selected_lot()
        self.edit_lot_button.setEnabled(use is not None and use.signed_notes == 0)
        self.retire_lot_button.setEnabled(use is not None)
        self.retire_lot_button.setText("Restore lot" if use is not None and use.lot.retired else "Retire lot")
        self.recall_button.setEnabled(use is not None and self._ctx.can(Permission.VIEW_RECORDS))
        self.open_vials_button.setEnabled(use is not None and self._ctx.can(Permission.VIEW_RECORDS))

    # -- actions ---------------------------------------------------------------------------------------------
    @Slot()
    def recall_lot(self) -> str | None:
        use = self.selected_lot()
        if use is None:
            return None
        self.recall_requested.emit(use.lot.lot_number)
        return use.lot.lot_number

    @Slot()
    def show_open_vials(self) -> None:
        item, lot = self.selected_item(), self.selected_lot()
        if item is None or lot is None:
            return
        self._run(OpenVialsDialog(self._ctx, item.item.code, item.item.name, lot.lot.lot_number, lot.lot.expiry,
                                  self))

    def _run(self, dialog: QDialog) -> bool:
        self.active_dialog = dialog
        try:
            return dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            self.active_dialog = None

    @Slot(QModelIndex)
    def _item_double_clicked(self, _index: QModelIndex) -> None:
        if self.edit_item_button.isEnabled():
            self.edit_item()

    @Slot(QModelIndex)
    def _lot_double_clicked(self, _index: QModelIndex) -> None:
        if self.edit_lot_button.isEnabled():
            self.edit_lot()

    @Slot()
    def add_item(self) -> None:
        dialog = ItemDialog(self._ctx, None, self)
        if self._run(dialog) and dialog.saved is not None:
            self.reload(dialog.saved.code)

    @Slot()
    def edit_item(self) -> None:
        use = self.selected_item()
        if use is None:
            return
        dialog = ItemDialog(self._ctx, use.item, self)
        if self._run(dialog) and dialog.saved is not None:
            self.reload(dialog.saved.code)

    @Slot()
    def toggle_item(self) -> None:
        use = self.selected_item()
        if use is None:
            return
        try:
            if use.item.retired:
                formulary_admin.restore_item(self._ctx, use.item.code)
            else:
                formulary_admin.retire_item(self._ctx, use.item.code)
        except TpiError as exc:
            show_error(self, exc)
        self.reload(use.item.code)

    @Slot()
    def add_lot(self) -> None:
        use = self.selected_item()
        if use is None:
            return
        dialog = LotDialog(self._ctx, use.item, None, self)
        if self._run(dialog) and dialog.saved is not None:
            self.reload(use.item.code)
            self.select_lot(dialog.saved.id)

    @Slot()
    def edit_lot(self) -> None:
        item, lot = self.selected_item(), self.selected_lot()
        if item is None or lot is None:
            return
        dialog = LotDialog(self._ctx, item.item, lot.lot, self)
        if self._run(dialog) and dialog.saved is not None:
            self.reload(item.item.code)
            self.select_lot(dialog.saved.id)

    @Slot()
    def toggle_lot(self) -> None:
        item, lot = self.selected_item(), self.selected_lot()
        if item is None or lot is None:
            return
        try:
            if lot.lot.retired:
                formulary_admin.restore_lot(self._ctx, lot.lot.id)
            else:
                formulary_admin.retire_lot(self._ctx, lot.lot.id)
        except TpiError as exc:
            show_error(self, exc)
        self.reload(item.item.code)
        self.select_lot(lot.lot.id)
