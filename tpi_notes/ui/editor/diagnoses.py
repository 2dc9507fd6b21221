"""ICD-10-CM diagnoses: type a code or words, pick from the list under the box, remove with ✕."""

from __future__ import annotations

from datetime import date
from html import escape

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain import icd10
from tpi_notes.domain.icd10 import CodeSet
from tpi_notes.domain.session import Diagnosis
from tpi_notes.ui.style import set_invalid, set_role

RESULT_ROWS = 6
Role = Qt.ItemDataRole.UserRole


class DiagnosisRow(QFrame):
    """One chosen diagnosis: code, description and a remove button."""

    remove_clicked = Signal(str)
    """The ✕ was clicked: the code to remove."""
    favourite_clicked = Signal(object)
    """The ☆ was clicked: keep this Diagnosis among the user's favourites."""

    def __init__(self, diagnosis: Diagnosis, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diagnosis_row")
        self.setStyleSheet("QFrame#diagnosis_row { background: #eef4f8; border: 1px solid #cfdde6;"
                           " border-radius: 4px; }")
        text = QLabel(f"<b>{escape(diagnosis.code)}</b>&nbsp;&nbsp;{escape(diagnosis.display)}", self)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.remove_button = QToolButton(self)
        self.remove_button.setText("✕")
        self.remove_button.setObjectName(f"remove_{diagnosis.code}")
        self.remove_button.setToolTip(f"Remove {diagnosis.code}")
        self.remove_button.setAccessibleName(f"Remove {diagnosis.code}")
        self.remove_button.setAutoRaise(True)
        self.remove_button.clicked.connect(lambda: self.remove_clicked.emit(diagnosis.code))
        self.favourite_button = QToolButton(self)
        self.favourite_button.setObjectName(f"favourite_{diagnosis.code}")
        self.favourite_button.setAutoRaise(True)
        self.favourite_button.clicked.connect(lambda: self.favourite_clicked.emit(diagnosis))
        self.code = diagnosis.code
        self.set_favourite(False)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 3, 3, 3)
        row.addWidget(text, 1)
        row.addWidget(self.favourite_button, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignVCenter)

    def set_favourite(self, favourite: bool) -> None:
        """★ (one of my favourites: a click takes it off the list) or ☆ (a click keeps it there)."""
        button, code = self.favourite_button, self.code
        button.setText("★" if favourite else "☆")
        button.setToolTip(f"Remove {code} from my favourites" if favourite
                          else f"Add {code} to my favourites (offered in every session)")
        button.setAccessibleName(button.toolTip().split(" (")[0])
        button.setProperty("favourite", favourite)


class DiagnosisPicker(QWidget):
    """Search box, result list (shown while typing) and the chosen codes in order."""

    changed = Signal()
    """A diagnosis was added or removed."""
    chosen_changed = Signal()
    """The chosen codes are others now: added, removed, or a draft's loaded (``set_diagnoses``, which is no edit
    and so no ``changed``; the one-click suggestions still follow it: a carried code is not offered beside itself)."""
    favourite_requested = Signal(object)
    """A chosen diagnosis's ☆ or ★ was clicked (ui/editor/diagnosis_help.py adds it to the favourites or
    takes it off)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._chosen: list[Diagnosis] = []
        self._favourites: set[str] = set()  # the user's favourite codes (by icd10.code_key): their rows show ★
        # Searched in the ICD-10-CM set valid on the session's date (set by the panel; None: the shipped one).
        self.day: date | None = None
        self.code_sets: list[CodeSet] | None = None
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("field_diagnoses")
        self.search_edit.setPlaceholderText("Type a code or words (M79.12, myalgia neck) and press Enter")
        self.search_edit.setClearButtonEnabled(True)
        self.results = QListWidget(self)
        self.results.setObjectName("diagnosis_results")
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay in the box; arrows move here
        self.results.setUniformItemSizes(True)
        self.results.hide()
        self.error_label = QLabel(self)
        self.error_label.setObjectName("error_diagnoses")
        self.error_label.setWordWrap(True)
        set_role(self.error_label, "field-error")
        self.error_label.hide()
        self.chosen_box = QVBoxLayout()
        self.chosen_box.setSpacing(4)
        self.empty_label = QLabel("No diagnosis yet.", self)
        set_role(self.empty_label, "hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.results)
        self.suggestion_slot = QVBoxLayout()  # one-click suggestions (ui/editor/diagnosis_help.py)
        self.suggestion_slot.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.suggestion_slot)
        layout.addWidget(self.error_label)
        layout.addLayout(self.chosen_box)
        layout.addWidget(self.empty_label)
        self.setFocusProxy(self.search_edit)
        self.search_edit.textChanged.connect(self._on_text)
        self.search_edit.installEventFilter(self)
        self.results.itemClicked.connect(self._on_clicked)

    # -- value ----------------------------------------------------------------------------------------
    def diagnoses(self) -> tuple[Diagnosis, ...]:
        return tuple(self._chosen)

    def set_diagnoses(self, diagnoses: tuple[Diagnosis, ...]) -> None:
        self._chosen = list(diagnoses)
        self._rebuild()
        self.chosen_changed.emit()

    def is_chosen(self, code: str) -> bool:
        """Whether ``code`` is among the chosen, in whatever spelling either is written (M79.12, m7912)."""
        key = icd10.code_key(code)
        return any(icd10.code_key(d.code) == key for d in self._chosen)

    def add(self, diagnosis: Diagnosis) -> None:
        self.clear_error()
        if not self.is_chosen(diagnosis.code):
            self._chosen.append(diagnosis)
            self._rebuild()
            self.changed.emit()
            self.chosen_changed.emit()
        self.search_edit.clear()

    @Slot(str)
    def remove(self, code: str) -> None:
        self._chosen = [d for d in self._chosen if d.code != code]
        self._rebuild()
        self.changed.emit()
        self.chosen_changed.emit()
        self.search_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_favourites(self, codes: set[str]) -> None:
        self._favourites = {icd10.code_key(c) for c in codes}
        for row in self.rows():
            row.set_favourite(icd10.code_key(row.code) in self._favourites)

    def rows(self) -> list[DiagnosisRow]:
        widgets = (self.chosen_box.itemAt(i).widget() for i in range(self.chosen_box.count()))
        return [w for w in widgets if isinstance(w, DiagnosisRow)]

    def _rebuild(self) -> None:
        while self.chosen_box.count():
            item = self.chosen_box.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()
        previous: QWidget = self.search_edit
        for diagnosis in self._chosen:
            row = DiagnosisRow(diagnosis, self)
            row.remove_clicked.connect(self.remove)
            row.favourite_clicked.connect(self.favourite_requested)
            row.set_favourite(icd10.code_key(diagnosis.code) in self._favourites)
            self.chosen_box.addWidget(row)
            QWidget.setTabOrder(previous, row.remove_button)
            previous = row.remove_button
        self.empty_label.setVisible(not self._chosen)

    # -- errors ---------------------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        set_invalid(self.search_edit, True)

    def clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()
        set_invalid(self.search_edit, False)

    # -- searching ------------------------------------------------------------------------------------
    @Slot(str)
    def _on_text(self, text: str) -> None:
        self.results.clear()
        if not text.strip():
            self.results.hide()
            return
        for diagnosis in icd10.search(text, limit=30, day=self.day, sets=self.code_sets):
            if self.is_chosen(diagnosis.code):
                continue  # already below the box: never offered twice
            item = QListWidgetItem(f"{diagnosis.code}   {diagnosis.display}")
            item.setData(Role, diagnosis)
            item.setToolTip(diagnosis.display)
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)
            rows = min(RESULT_ROWS, self.results.count())
            self.results.setFixedHeight(self.results.sizeHintForRow(0) * rows + 2 * self.results.frameWidth() + 2)
        self.results.setVisible(self.results.count() > 0)

    @Slot(QListWidgetItem)
    def _on_clicked(self, item: QListWidgetItem) -> None:
        self.add(item.data(Role))
        self.search_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def commit(self) -> bool:
        """Enter: add the highlighted result, or the typed code when it is billable; else say why not."""
        text = self.search_edit.text().strip()
        if not text:
            return False
        current = self.results.currentItem() if not self.results.isHidden() else None
        diagnosis = current.data(Role) if current is not None else icd10.lookup(text, self.day, self.code_sets)
        if diagnosis is None:
            version = icd10.set_or_nearest(self.day, self.code_sets).version
            self.show_error(f"{text} is not a billable ICD-10-CM code in {version}. Type a few letters or words "
                            "and choose from the list.")
            return False
        self.add(diagnosis)
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.search_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.commit()
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and not self.results.isHidden():
                step = 1 if key == Qt.Key.Key_Down else -1
                row = max(0, min(self.results.count() - 1, self.results.currentRow() + step))
                self.results.setCurrentRow(row)
                return True
            if key == Qt.Key.Key_Escape and self.search_edit.text():
                self.search_edit.clear()
                return True
        return super().eventFilter(watched, event)
