"""The patient form's allergy list: type or pick a substance, allergy or intolerance, the reaction; each entry
shows what the app resolved it to, or that it is not coded (and will warn), so nobody learns that a brand name
went unrecognised only when the needle is in.

Text typed but not yet added is not lost: :meth:`AllergyEditor.entries` includes it (commas separate several).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.allergies import AllergyEntry, allergens, resolve
from tpi_notes.ui.style import set_role

KIND_CHOICES = (("Allergy", "allergy"), ("Intolerance", "intolerance"))
NOT_CODED = "not coded — will warn"


def resolution_text(substance: str) -> str:
    """"→ triamcinolone acetonide (corticosteroid)", or that the text is not coded ("" for no text)."""
    if not substance.strip():
        return ""
    described = resolve(substance).describe()
    return f"→ {described}" if described else NOT_CODED


def entry_text(entry: AllergyEntry) -> str:
    return f"{entry.label()}  {resolution_text(entry.substance)}"


class AllergyEditor(QWidget):
    """Substance (type-ahead from allergens.json, free text allowed), kind, reaction, Add; the list below."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        row = QHBoxLayout()
        row.setSpacing(6)
        self.substance = QLineEdit(self)
        self.substance.setPlaceholderText("Substance, e.g. Kenalog, lidocaine, chlorhexidine, latex")
        completer = QCompleter(list(allergens().picks), self.substance)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.substance.setCompleter(completer)
        self.kind = QComboBox(self)
        self.kind.setObjectName("allergy_kind")
        self.kind.setAccessibleName("Allergy or intolerance")
        for text, value in KIND_CHOICES:
            self.kind.addItem(text, value)
        self.reaction = QComboBox(self)
        self.reaction.setObjectName("allergy_reaction")
        self.reaction.setAccessibleName("Reaction")
        self.reaction.setEditable(True)
        self.reaction.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.reaction.addItems(["", *allergens().reactions])
        line = self.reaction.lineEdit()
        if line is not None:
            line.setPlaceholderText("Reaction")
        self.add_button = QPushButton("Add", self)
        self.add_button.setObjectName("allergy_add")
        self.add_button.setAutoDefault(False)
        column.addWidget(self.substance)  # the whole width: brand names are long
        row.addWidget(self.kind, 1)
        row.addWidget(self.reaction, 2)
        row.addWidget(self.add_button)
        column.addLayout(row)
        self.hint = QLabel(self)
        self.hint.setObjectName("allergy_resolution")
        set_role(self.hint, "hint")
        column.addWidget(self.hint)
        listed = QHBoxLayout()
        listed.setSpacing(6)
        self.list = QListWidget(self)
        self.list.setObjectName("allergy_list")
        self.list.setMaximumHeight(110)
        self.list.setWordWrap(True)  # a long resolution wraps instead of scrolling sideways
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setObjectName("allergy_remove")
        self.remove_button.setAutoDefault(False)
        listed.addWidget(self.list, 1)
        listed.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        column.addLayout(listed)
        self._entries: list[AllergyEntry] = []
        self.substance.textChanged.connect(self._show_resolution)
        self.add_button.clicked.connect(self.add_typed)
        self.remove_button.clicked.connect(self._remove_selected)
        self._refresh()

    # -- behaviour ---------------------------------------------------------------------------------------
    @Slot(str)
    def _show_resolution(self, text: str) -> None:
        self.hint.setText(resolution_text(text.split(",")[-1] if "," in text else text))

    def _typed(self) -> list[AllergyEntry]:
        kind = str(self.kind.currentData())
        reaction = self.reaction.currentText().strip()
        return [AllergyEntry(t.strip(), kind, reaction) for t in self.substance.text().split(",") if t.strip()]

    @Slot()
    def add_typed(self) -> None:
        """The typed substance(s) into the list, with the kind and reaction chosen; the line empties."""
        typed = self._typed()
        if not typed:
            return
        self._entries.extend(typed)
        self.substance.clear()
        self.reaction.setCurrentIndex(0)
        self.kind.setCurrentIndex(0)
        self._refresh()
        self.changed.emit()

    @Slot()
    def _remove_selected(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._entries):
            del self._entries[row]
            self._refresh()
            self.changed.emit()

    def _refresh(self) -> None:
        self.list.clear()
        for entry in self._entries:
            item = QListWidgetItem(entry_text(entry))
            if entry.recorded_at is not None:
                item.setToolTip(f"Recorded by {entry.recorded_by} on {entry.recorded_at:%Y-%m-%d %H:%M}")
            self.list.addItem(item)
        self.list.setVisible(bool(self._entries))
        self.remove_button.setVisible(bool(self._entries))

    # -- data ---------------------------------------------------------------------------------------------
    def set_entries(self, entries: tuple[AllergyEntry, ...]) -> None:
        self._entries = list(entries)
        self.substance.clear()
        self._refresh()

    def entries(self) -> tuple[AllergyEntry, ...]:
        """The listed entries, then whatever is typed and not yet added (never silently dropped)."""
        return (*self._entries, *self._typed())

    def clear(self) -> None:
        self.set_entries(())
