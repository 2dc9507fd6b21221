"""Exam findings per treated muscle and side (a site's deep alternative included): one row each, five checkboxes.

After the muscle and its side, the first three columns are the core criteria (domain/exam.py); twitch and jump sign are recorded beside them.
"""

from __future__ import annotations

from dataclasses import fields, replace

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from tpi_notes.domain.exam import CORE_CRITERIA, MuscleKey, by_muscle, field_key, muscles_treated
from tpi_notes.domain.session import ExamFinding, Site

CRITERIA = (("taut_band", "Taut band"), ("hypersensitive_spot", "Hypersensitive spot"),
            ("referred_pain", "Referred pain"), ("twitch", "Twitch"), ("jump_sign", "Jump sign"))
FIRST = 2  # the columns before the criteria: muscle, side
# Two-line headers leave the muscle's name the room (the editor's pre-procedure column is narrow).
_HEADERS = {"taut_band": "Taut\nband", "hypersensitive_spot": "Tender\nspot", "referred_pain": "Referred\npain",
            "twitch": "Twitch", "jump_sign": "Jump\nsign"}
_KEYS = ("region_code", "muscle_id", "side")
muscle_rows = muscles_treated


class ExamFindingsTable(QTableWidget):
    """The findings kept per muscle, so removing a site and undoing it brings its ticks back."""

    changed = Signal()
    """A checkbox was ticked or cleared by the user."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, FIRST + len(CRITERIA), parent)
        self.setObjectName("field_exam_findings")
        self.setAccessibleName("Exam findings per treated muscle")
        self.setHorizontalHeaderLabels(["Muscle", "Side"] + [_HEADERS[attr] for attr, _ in CRITERIA])
        for column, (attr, label) in enumerate(CRITERIA, start=FIRST):
            tip = "core criterion" if attr in CORE_CRITERIA else "recorded, not a core criterion"
            self.horizontalHeaderItem(column).setToolTip(f"{label} ({tip})")
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)  # six rows in little height
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for column, (attr, _label) in enumerate(CRITERIA, start=FIRST):  # tick columns as narrow as their
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)  # headers: the muscle keeps its name
            words = max(header.fontMetrics().horizontalAdvance(line) for line in _HEADERS[attr].split("\n"))
            header.resizeSection(column, max(36, words + 22))
        self._findings: dict[MuscleKey, ExamFinding] = {}
        self._rows: list[tuple[MuscleKey, str, str]] = []
        self._filling = False
        self.itemChanged.connect(self._on_item_changed)
        self._fit_height()

    def load(self, findings: tuple[ExamFinding, ...], sites: tuple[Site, ...]) -> None:
        self._findings = {(f.muscle_id, f.side): f for f in by_muscle(findings, sites)}
        self._rows = []
        self.set_sites(sites)

    def set_sites(self, sites: tuple[Site, ...] | list[Site]) -> None:
        rows = muscle_rows(sites)
        if rows == self._rows:
            return
        self._rows = rows
        self._filling = True
        try:
            self.setRowCount(len(rows))
            for row, (key, label, _region) in enumerate(rows):
                name = QTableWidgetItem(label.removesuffix(f" ({key[1]})"))
                name.setFlags(Qt.ItemFlag.ItemIsEnabled)
                name.setToolTip(label)
                self.setItem(row, 0, name)
                side = QTableWidgetItem(key[1])
                side.setFlags(Qt.ItemFlag.ItemIsEnabled)
                side.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.setItem(row, 1, side)
                finding = self._findings.get(key)
                for column, (attr, text) in enumerate(CRITERIA, start=FIRST):
                    item = QTableWidgetItem()
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
                                  | Qt.ItemFlag.ItemIsSelectable)
                    checked = bool(finding and getattr(finding, attr))
                    item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                    item.setToolTip(f"{text} found in {label}")
                    item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{label}: {text}")
                    self.setItem(row, column, item)
        finally:
            self._filling = False
        self._fit_height()

    def findings(self) -> tuple[ExamFinding, ...]:
        """The findings of the muscles treated now, keyed by muscle and side (and the region of its first site)."""
        out = []
        for (muscle_id, side), _label, region in self._rows:
            finding = self._findings.get((muscle_id, side))
            if finding is not None:
                out.append(replace(finding, region_code=region, muscle_id=muscle_id, side=side))
        return tuple(out)

    def select_muscle(self, field: str) -> None:
        """Choose the row of ``field`` ("exam_findings[scalenes.L]", a signing check's item) and focus it."""
        for row, (key, _label, _region) in enumerate(self._rows):
            if field_key(key) == field:
                self.setCurrentCell(row, 1)
                self.setFocus()
                return

    def mark_all(self, referred: bool) -> None:
        """Every treated muscle: taut band and hypersensitive spot (and referred pain when ``referred``), added
        to what is ticked already (nothing is cleared); one change signal."""
        wanted = ["taut_band", "hypersensitive_spot"] + (["referred_pain"] if referred else [])
        self._filling = True
        try:
            for row, (key, _label, region) in enumerate(self._rows):
                finding = self._findings.get(key) or ExamFinding(region, muscle_id=key[0], side=key[1])
                self._findings[key] = replace(finding, **dict.fromkeys(wanted, True))
                for attr in wanted:
                    self.item(row, FIRST + [a for a, _ in CRITERIA].index(attr)).setCheckState(Qt.CheckState.Checked)
        finally:
            self._filling = False
        if self._rows:
            self.changed.emit()

    def set_checked(self, row: int, attr: str, checked: bool) -> None:
        """Tick or clear one criterion (what a click on the checkbox does)."""
        column = FIRST + [a for a, _ in CRITERIA].index(attr)
        self.item(row, column).setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    @Slot(QTableWidgetItem)
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() < FIRST:
            return
        key, _label, region = self._rows[item.row()]
        attr = CRITERIA[item.column() - FIRST][0]
        finding = self._findings.get(key) or ExamFinding(region, muscle_id=key[0], side=key[1])
        self._findings[key] = replace(finding, **{attr: item.checkState() == Qt.CheckState.Checked})
        if not any(getattr(self._findings[key], f.name) for f in fields(ExamFinding) if f.name not in _KEYS):
            del self._findings[key]  # nothing found is the same as nothing recorded
        self.changed.emit()

    def _fit_height(self) -> None:
        rows = max(1, min(self.rowCount(), 6))
        height = self.horizontalHeader().sizeHint().height() + rows * self.verticalHeader().defaultSectionSize()
        self.setFixedHeight(height + 2 * self.frameWidth() + 2)


class AllMusclesBar(QWidget):
    """One click for the usual exam: every treated muscle with a taut band and a tender spot (and referred pain);
    the rows are adjusted afterwards (issue 16 item 3)."""

    triggered = Signal(bool)
    """A shortcut was clicked: True when it includes referred pain."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(QLabel("All muscles:", self))
        self.buttons: dict[bool, QPushButton] = {}
        for referred, text in ((False, "Taut band + tender spot"), (True, "+ referred")):
            button = QPushButton(text, self)
            button.setObjectName("exam_all_referred" if referred else "exam_all")
            button.setAutoDefault(False)
            button.setToolTip("Tick taut band and hypersensitive spot" + (" and referred pain" if referred else "")
                              + " for every muscle treated; then adjust any row")
            button.clicked.connect(lambda _c=False, r=referred: self.triggered.emit(r))
            self.buttons[referred] = button
            row.addWidget(button)
        row.addStretch(1)
