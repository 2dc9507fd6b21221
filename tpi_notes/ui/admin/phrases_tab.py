"""The clinic's phrases (administrators): per editor field, add, edit in place (F2 or double-click), delete.

Everyone charting sees them after their own and before the shipped library (domain/phrases.py); every change
is an audit event (services/phrases.py).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain import phrases as rules
from tpi_notes.domain.errors import TpiError
from tpi_notes.services import phrases
from tpi_notes.services.context import AppContext
from tpi_notes.ui.errors import done_or_shown, show_error
from tpi_notes.ui.style import set_role

Role = Qt.ItemDataRole.UserRole


class PhrasesTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("phrases_tab")
        self.field = QComboBox(self)
        self.field.setObjectName("phrase_field")
        self.field.setAccessibleName("Field")
        for name, label in rules.PHRASE_FIELDS.items():
            self.field.addItem(label, name)
        self.list = QListWidget(self)
        self.list.setObjectName("clinic_phrases")
        self.list.setAccessibleName("The clinic's phrases for this field")
        self.list.setWordWrap(True)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.DoubleClicked)
        self.library_hint = QLabel(self)
        set_role(self.library_hint, "hint")
        self.library_hint.setWordWrap(True)
        self.new_text = QPlainTextEdit(self)
        self.new_text.setObjectName("new_phrase")
        self.new_text.setAccessibleName("New phrase")
        self.new_text.setPlaceholderText("A new phrase for this field, as it should be inserted")
        self.new_text.setTabChangesFocus(True)
        self.new_text.setFixedHeight(self.new_text.fontMetrics().lineSpacing() * 3 + 16)
        self.add_button = QPushButton("&Add phrase", self)
        self.add_button.setObjectName("add_phrase")
        self.delete_button = QPushButton("&Delete", self)
        self.delete_button.setObjectName("delete_phrase")
        self.message = QLabel(self)
        self.message.setObjectName("phrases_message")
        set_role(self.message, "hint")
        top = QHBoxLayout()
        top.addWidget(QLabel("Field:", self))
        top.addWidget(self.field, 1)
        top.addStretch(2)
        add = QHBoxLayout()
        add.addWidget(self.new_text, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        add.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.library_hint)
        layout.addLayout(add)
        layout.addWidget(self.message)
        self.field.currentIndexChanged.connect(self.reload)
        self.add_button.clicked.connect(self.add)
        self.delete_button.clicked.connect(self.delete)
        self.list.itemChanged.connect(self._edited)
        self.reload()

    def current_field(self) -> str:
        return str(self.field.currentData())

    @Slot()
    def reload(self) -> None:
        field = self.current_field()
        try:
            stored = phrases.clinic_phrases(self.ctx, field)
        except TpiError as exc:
            show_error(self, exc)
            return
        self.list.blockSignals(True)
        self.list.clear()
        for phrase in stored:
            item = QListWidgetItem(phrase.text)
            item.setData(Role, phrase)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.list.addItem(item)
        self.list.blockSignals(False)
        shipped = len(rules.library().phrases.get(field, ()))
        self.library_hint.setText(f"{len(stored)} clinic phrase{'s' if len(stored) != 1 else ''}; the shipped "
                                  f"library (version {rules.library().version}) offers {shipped} more. F2 or a "
                                  "double-click edits a phrase.")
        self.delete_button.setEnabled(bool(stored))

    @Slot()
    def add(self) -> None:
        if not done_or_shown(self, self.message, lambda: phrases.save_phrase(
                self.ctx, self.current_field(), self.new_text.toPlainText(), clinic=True)):
            return
        self.new_text.clear()
        self.message.setText("Added: everyone charting sees it now.")
        self.reload()

    @Slot()
    def delete(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        try:
            phrases.delete_phrase(self.ctx, item.data(Role).id)
        except TpiError as exc:
            show_error(self, exc)
            return
        self.message.setText("Deleted.")
        self.reload()

    @Slot(QListWidgetItem)
    def _edited(self, item: QListWidgetItem) -> None:
        phrase: rules.Phrase = item.data(Role)
        if item.text() == phrase.text:
            return
        if done_or_shown(self, self.message, lambda: phrases.change_phrase(self.ctx, phrase.id or 0, item.text())):
            self.message.setText("Changed.")
        self.reload()
