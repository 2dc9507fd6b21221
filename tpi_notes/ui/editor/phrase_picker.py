"""Phrases for the editor's free-text fields: F2 in a field (or Edit ▸ Insert phrase…) opens a picker.

Type to filter, arrows to move, Enter inserts the phrase: at the field's cursor in a free text (replacing the
selected text), or as the whole answer of a one-answer field (complications, tolerance …: "None" is replaced,
not followed). The list holds the user's own phrases, the clinic's and the shipped library's
(domain/phrases.py); F2 in the list edits one's own (an administrator also the clinic's), Delete removes it, and
"Save the field's text" keeps what the field holds now. Dialogs outside the editor with a free text (the reason to
proceed despite a stop, the addendum) take F2 the same way (:class:`PhraseKey`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain import phrases as rules
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.permissions import Permission
from tpi_notes.services import phrases
from tpi_notes.services.context import AppContext
from tpi_notes.ui.errors import done_or_shown, show_error
from tpi_notes.ui.style import set_role

if TYPE_CHECKING:
    from tpi_notes.ui.editor.window import SessionEditor

Role = Qt.ItemDataRole.UserRole


def field_text(target: QWidget) -> str:
    if isinstance(target, QPlainTextEdit):
        return target.toPlainText()
    if isinstance(target, QComboBox):
        return target.currentText()
    return target.text() if isinstance(target, QLineEdit) else ""


def insert_at_cursor(target: QWidget, text: str) -> None:
    """Insert ``text`` where the field's cursor is, in place of the selected text (a space first when it would
    run into the word before; the selection itself never counts as that word)."""
    if isinstance(target, QPlainTextEdit):
        cursor = target.textCursor()
        before = target.toPlainText()[:cursor.selectionStart()]
        target.insertPlainText((" " if before and not before[-1].isspace() else "") + text)
        return
    line = target.lineEdit() if isinstance(target, QComboBox) else target
    if isinstance(line, QLineEdit):
        start = line.selectionStart() if line.hasSelectedText() else line.cursorPosition()
        before = line.text()[:start]
        line.insert((" " if before and not before[-1].isspace() else "") + text)


def replace_answer(target: QWidget, text: str) -> None:
    """Make ``text`` the field's whole answer (as one edit: Ctrl+Z in the field brings the old one back)."""
    if isinstance(target, QPlainTextEdit):
        target.selectAll()
        target.insertPlainText(text)
        return
    line = target.lineEdit() if isinstance(target, QComboBox) else target
    if isinstance(line, QLineEdit):
        line.selectAll()
        line.insert(text)


class PhrasePicker(QDialog):
    """The phrases of one field, filtered as typed; Enter inserts the highlighted one into ``target``."""

    def __init__(self, ctx: AppContext, field: str, target: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.field = field
        self.target = target
        self.setObjectName("phrase_picker")
        self.setWindowTitle(f"Phrases: {rules.PHRASE_FIELDS[field]}")
        self.filter = QLineEdit(self)
        self.filter.setObjectName("phrase_filter")
        self.filter.setPlaceholderText("Type words to filter; ↑↓ to choose; Enter inserts")
        self.filter.setAccessibleName(f"Filter the phrases for {rules.PHRASE_FIELDS[field].lower()}")
        self.list = QListWidget(self)
        self.list.setObjectName("phrase_list")
        self.list.setAccessibleName("Phrases")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)  # a phrase of two lines reads as one entry
        self.list.setSpacing(1)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.DoubleClicked)
        self.message = QLabel(self)
        self.message.setObjectName("phrase_message")
        self.message.setWordWrap(True)
        set_role(self.message, "hint")
        self.insert_button = QPushButton("&Insert", self)
        self.insert_button.setDefault(True)
        self.save_mine = QPushButton("Save the field's text as &my phrase", self)
        self.save_mine.setObjectName("save_my_phrase")
        self.save_clinic = QPushButton("Save as &clinic phrase", self)
        self.save_clinic.setObjectName("save_clinic_phrase")
        self.save_clinic.setVisible(ctx.can(Permission.MANAGE_CLINIC))
        self.delete_button = QPushButton("&Delete", self)
        close = QPushButton("Close", self)
        buttons = QHBoxLayout()
        for button in (self.insert_button, self.save_mine, self.save_clinic, self.delete_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.insert_button.setDefault(True)
        self.filter.textChanged.connect(self._fill)
        self.filter.installEventFilter(self)
        self.list.installEventFilter(self)
        self.list.itemActivated.connect(lambda _item: self.insert())
        self.list.itemChanged.connect(self._edited)
        self.list.currentItemChanged.connect(lambda *_a: self._update_buttons())
        self.insert_button.clicked.connect(self.insert)
        self.save_mine.clicked.connect(lambda: self.save_field_text(clinic=False))
        self.save_clinic.clicked.connect(lambda: self.save_field_text(clinic=True))
        self.delete_button.clicked.connect(self.delete)
        close.clicked.connect(self.reject)
        self.resize(620, 420)
        self._all: list[rules.Phrase] = []
        self.reload()
        self.filter.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- the list -------------------------------------------------------------------------------------
    def reload(self) -> None:
        try:
            self._all = phrases.offered(self.ctx, self.field)
        except TpiError as exc:
            show_error(self, exc)
            self._all = []
        self._fill()

    def _editable(self, phrase: rules.Phrase) -> bool:
        return phrase.scope == rules.PERSONAL or (phrase.scope == rules.CLINIC and
                                                  self.ctx.can(Permission.MANAGE_CLINIC))

    @Slot()
    def _fill(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for phrase in rules.matching(self._all, self.filter.text()):
            item = QListWidgetItem(phrase.text)
            item.setData(Role, phrase)
            item.setToolTip(f"{rules.SCOPE_LABELS[phrase.scope]} phrase")
            flags = item.flags() | Qt.ItemFlag.ItemIsEditable if self._editable(phrase) else \
                item.flags() & ~Qt.ItemFlag.ItemIsEditable
            item.setFlags(flags)
            item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, f"{rules.SCOPE_LABELS[phrase.scope]} phrase")
            self.list.addItem(item)
        self.list.blockSignals(False)
        if self.list.count():
            self.list.setCurrentRow(0)
        shown = self.list.count()
        self.message.setText(f"{shown} of {len(self._all)} phrases" if shown else
                             "No phrase has all those words; clear the filter or save the field's text.")
        self._update_buttons()

    def _target_writable(self) -> bool:
        if isinstance(self.target, QPlainTextEdit):
            return not self.target.isReadOnly() and self.target.isEnabled()
        return self.target.isEnabled()

    def _update_buttons(self) -> None:
        phrase = self.current()
        self.insert_button.setEnabled(phrase is not None and self._target_writable())
        self.delete_button.setEnabled(phrase is not None and self._editable(phrase))

    def current(self) -> rules.Phrase | None:
        item = self.list.currentItem()
        return item.data(Role) if item is not None else None

    # -- actions --------------------------------------------------------------------------------------
    @Slot()
    def insert(self) -> None:
        phrase = self.current()
        if phrase is None or not self._target_writable():
            return
        if self.field in rules.WHOLE_ANSWER_FIELDS:
            replace_answer(self.target, phrase.text)
        else:
            insert_at_cursor(self.target, phrase.text)
        self.accept()
        self.target.setFocus(Qt.FocusReason.OtherFocusReason)

    def save_field_text(self, *, clinic: bool) -> None:
        if not done_or_shown(self, self.message, lambda: phrases.save_phrase(
                self.ctx, self.field, field_text(self.target), clinic=clinic)):
            return
        self.filter.clear()
        self.reload()
        self.message.setText("Saved as the clinic's phrase." if clinic else "Saved as your phrase.")

    @Slot()
    def delete(self) -> None:
        phrase = self.current()
        if phrase is None or phrase.id is None or not self._editable(phrase):
            return
        try:
            phrases.delete_phrase(self.ctx, phrase.id)
        except TpiError as exc:
            show_error(self, exc)
            return
        self.reload()

    @Slot(QListWidgetItem)
    def _edited(self, item: QListWidgetItem) -> None:
        phrase: rules.Phrase = item.data(Role)
        if phrase.id is None or item.text() == phrase.text:
            return
        done_or_shown(self, self.message, lambda: phrases.change_phrase(self.ctx, phrase.id, item.text()))
        self.reload()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if watched is self.filter and key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.list.count():
                step = 1 if key == Qt.Key.Key_Down else -1
                self.list.setCurrentRow(max(0, min(self.list.count() - 1, self.list.currentRow() + step)))
                return True
            if watched is self.filter and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.insert()
                return True
            if watched is self.list and key == Qt.Key.Key_Delete and self.list.state() != \
                    QAbstractItemView.State.EditingState:
                self.delete()
                return True
        return super().eventFilter(watched, event)


class EditorPhrases(QObject):
    """F2 in each free-text field of one editor opens its picker; Edit ▸ Insert phrase… does the same."""

    def __init__(self, editor: SessionEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.active: PhrasePicker | None = None
        self._keys: dict[QObject, str] = {}  # the widget that takes the keys -> its field
        for field, widget in self.fields().items():
            keys = widget.lineEdit() if isinstance(widget, QComboBox) else widget
            if keys is not None:
                keys.installEventFilter(self)
                self._keys[keys] = field
            tip = widget.toolTip()
            widget.setToolTip(f"{tip}\nF2: phrases" if tip else "F2: phrases")
            if isinstance(keys, QLineEdit | QPlainTextEdit) and keys.placeholderText():
                keys.setPlaceholderText(f"{keys.placeholderText()}   (F2: phrases)")  # seen where it is needed
        self.action = QAction("Insert &phrase… (F2 in a text field)", editor)
        self.action.setObjectName("insert_phrase")
        self.action.triggered.connect(lambda _c=False: self.open(self.focused_field() or "indication"))
        menu = next((a.menu() for a in editor.menuBar().actions() if a.text() == "&Edit" and a.menu()), None)
        if menu is not None:
            menu.addSeparator()
            menu.addAction(self.action)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """F2 in a phrase field opens its picker (a key of the field itself: no window-wide shortcut to steal
        F2 from the site table)."""
        if event.type() == QEvent.Type.KeyPress and watched in self._keys:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_F2 and event.modifiers() == Qt.KeyboardModifier.NoModifier:
                self.open(self._keys[watched])
                return True
        return super().eventFilter(watched, event)

    def fields(self) -> dict[str, QWidget]:
        pre, post = self.editor.pre, self.editor.post
        return {"location": pre.location, "indication": pre.indication, "conservative_care": pre.conservative_care, "position": pre.position,
                "antisepsis": pre.antisepsis, "complications": post.complications, "tolerance": post.tolerance,
                "blood_loss": post.blood_loss, "respiratory_check": post.respiratory_check,
                "disposition": post.disposition, "follow_up": post.follow_up, "comments": post.comments,
                "site_note": self.editor.site_details.note}

    def focused_field(self) -> str | None:
        focus = self.editor.focusWidget()
        for field, widget in self.fields().items():
            if focus is not None and (focus is widget or widget.isAncestorOf(focus)):
                return field
        return None

    def open(self, field: str) -> PhrasePicker:
        target = self.fields()[field]
        picker = PhrasePicker(self.editor.ctx, field, target, self.editor)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.finished.connect(lambda _r: setattr(self, "active", None))
        self.active = picker
        picker.open()
        return picker


class PhraseKey(QObject):
    """F2 in one free-text box of a dialog (the reason to proceed despite a stop, the addendum text) opens its
    phrase picker over that dialog, as in the editor's fields."""

    def __init__(self, ctx: AppContext, target: QPlainTextEdit | QLineEdit, field: str) -> None:
        super().__init__(target)
        self.ctx = ctx
        self.target = target
        self.field = field
        self.active: PhrasePicker | None = None
        target.installEventFilter(self)
        tip = target.toolTip()
        target.setToolTip(f"{tip}\nF2: phrases" if tip else "F2: phrases")
        if target.placeholderText():
            target.setPlaceholderText(f"{target.placeholderText()}   (F2: phrases)")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.target and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_F2 and event.modifiers() == Qt.KeyboardModifier.NoModifier:
                self.open()
                return True
        return super().eventFilter(watched, event)

    def open(self) -> PhrasePicker:
        picker = PhrasePicker(self.ctx, self.field, self.target, self.target.window())
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.finished.connect(lambda _r: setattr(self, "active", None))
        self.active = picker
        picker.open()
        return picker
