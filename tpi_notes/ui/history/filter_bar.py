"""The history browser's filter bar: dates, physician, status, technique, agent, muscle, lot and patient text."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from tpi_notes.domain.history import LOT_NUMBER_MAX, TECHNIQUE_LABELS, FilterChoices, HistoryFilter
from tpi_notes.ui.flow_layout import FlowLayout
from tpi_notes.ui.style import ACCENT, BORDER, DANGER, set_invalid

PATIENT_DELAY_MS = 250
ANY_DATE = QDate(1900, 1, 1)
PAIR_HEIGHT = 32
# The app's stylesheet rounds line edits and combo boxes; date edits get the same look here.
DATE_STYLE = f"""
QDateEdit {{ padding: 4px 6px; border: 1px solid {BORDER}; border-radius: 4px; background: #ffffff;
             min-height: 20px; }}
QDateEdit:focus {{ border: 1px solid {ACCENT}; }}
QDateEdit[invalid="true"] {{ border: 2px solid {DANGER}; }}
QDateEdit::drop-down {{ subcontrol-origin: padding; subcontrol-position: center right; width: 22px; border: none; }}
QDateEdit::down-arrow {{ image: url(tpi-ui:chevron-down.png); width: 10px; height: 6px; }}
"""
CLASS_ENTRIES = {"local_anesthetic": "Any local anesthetic", "corticosteroid": "Any corticosteroid",
                 "saline": "Any saline"}


class OptionalDateEdit(QDateEdit):
    """A date or "any" (its minimum); the calendar opens on today's month while it shows "any"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(ANY_DATE)
        self.setSpecialValueText("any")
        self.setDate(ANY_DATE)
        self.setMinimumWidth(118)

    def value(self) -> date | None:
        current = self.date()
        return None if current == ANY_DATE else date(current.year(), current.month(), current.day())

    def set_value(self, value: date | None) -> None:
        self.setDate(ANY_DATE if value is None else QDate(value.year, value.month, value.day))

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt API
        if self.date() == ANY_DATE:  # the arrow keys start from today, not from 1900
            self.setDate(QDate.currentDate())
            return
        super().stepBy(steps)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        super().mousePressEvent(event)
        if self.date() == ANY_DATE:
            today = QDate.currentDate()
            self.calendarWidget().setCurrentPage(today.year(), today.month())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if ctrl and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):  # back to "any"
            self.setDate(ANY_DATE)
            return
        super().keyPressEvent(event)


class FilterBar(QWidget):
    """Builds a :class:`HistoryFilter` from its controls; ``changed`` fires when the filter changes."""

    changed = Signal()
    """A control changed (patient text after a short pause): re-run the query."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history_filter_bar")
        self._quiet = False
        self.date_from = OptionalDateEdit(self)
        self.date_from.setObjectName("history_date_from")
        self.date_from.setToolTip("Performed on or after this day; Ctrl+Backspace: any")
        self.date_to = OptionalDateEdit(self)
        self.date_to.setObjectName("history_date_to")
        self.date_to.setToolTip("Performed on or before this day; Ctrl+Backspace: any")
        self.physician = QComboBox(self)
        self.physician.setObjectName("history_physician")
        self.physician.setMinimumContentsLength(18)
        self.physician.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.status = QComboBox(self)
        self.status.setObjectName("history_status")
        for label, value in (("Any status", None), ("Draft", "draft"), ("Signed", "signed")):
            self.status.addItem(label, value)
        self.technique = QComboBox(self)
        self.technique.setObjectName("history_technique")
        self.technique.addItem("Any technique", None)
        for code, label in TECHNIQUE_LABELS.items():
            self.technique.addItem(label, code)
        self.agent = QComboBox(self)
        self.agent.setObjectName("history_agent")
        self.agent.setMinimumContentsLength(22)
        self.agent.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.muscle = QComboBox(self)
        self.muscle.setObjectName("history_muscle")
        self.muscle.setEditable(True)
        self.muscle.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.muscle.setMinimumContentsLength(22)
        self.muscle.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.muscle.lineEdit().setPlaceholderText("Any muscle")
        self.muscle.setToolTip("Type part of a muscle's name, then pick it from the list")
        self.patient = QLineEdit(self)
        self.patient.setObjectName("history_patient")
        self.patient.setPlaceholderText("Patient name or MRN (Ctrl+F)")
        self.patient.setClearButtonEnabled(True)
        self.patient.setMinimumWidth(230)
        self.patient.setMaxLength(200)
        self.lot = QLineEdit(self)
        self.lot.setObjectName("history_lot")
        self.lot.setPlaceholderText("Any lot")
        self.lot.setToolTip("A lot recall: the sessions whose syringes drew from this lot number (exact)")
        self.lot.setClearButtonEnabled(True)
        self.lot.setMaxLength(LOT_NUMBER_MAX)
        self.lot.setMinimumWidth(130)
        self.clear_button = QPushButton("Clear filters", self)
        self.clear_button.setObjectName("history_clear")
        self.set_choices(FilterChoices((), (), (), ()))

        # Label and control stay together; the pairs wrap onto a new line when the window is narrow.
        flow = FlowLayout(self, spacing=10)
        flow.addWidget(self._pair("Patient", self.patient))
        flow.addWidget(self._pair("Performed", self.date_from, QLabel("to", self), self.date_to))
        flow.addWidget(self._pair("Physician", self.physician))
        flow.addWidget(self._pair("Status", self.status))
        flow.addWidget(self._pair("Technique", self.technique))
        flow.addWidget(self._pair("Agent", self.agent))
        flow.addWidget(self._pair("Muscle", self.muscle))
        flow.addWidget(self._pair("Lot", self.lot))
        flow.addWidget(self._pair("", self.clear_button))
        self.setStyleSheet(DATE_STYLE)

        self._patient_timer = QTimer(self)
        self._patient_timer.setSingleShot(True)
        self._patient_timer.setInterval(PATIENT_DELAY_MS)
        self._patient_timer.timeout.connect(self._emit_changed)
        self.patient.textChanged.connect(self._patient_timer.start)
        self.patient.returnPressed.connect(self.apply_patient_now)
        self.lot.textChanged.connect(self._patient_timer.start)  # typed text waits for a pause, like the patient
        self.lot.returnPressed.connect(self.apply_patient_now)
        self.patient.installEventFilter(self)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self._emit_changed)
        for combo in (self.physician, self.status, self.technique, self.agent, self.muscle):
            combo.currentIndexChanged.connect(self._emit_changed)
        self.muscle.lineEdit().editingFinished.connect(self._settle_muscle_text)
        self.clear_button.clicked.connect(self.clear)

    def _pair(self, label: str, *widgets: QWidget) -> QWidget:
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        box.setMinimumHeight(PAIR_HEIGHT)  # every pair as tall as a combo box, so the rows line up
        if label:
            caption = QLabel(label, box)
            caption.setBuddy(widgets[0])
            row.addWidget(caption)
        for widget in widgets:
            row.addWidget(widget)
        return box

    # -- choices -----------------------------------------------------------------------------------------
    def set_choices(self, choices: FilterChoices) -> None:
        """Fill the physician, agent and muscle lists (keeps the current picks where still offered)."""
        self._quiet = True
        try:
            keep = (self.physician.currentData(), self.agent.currentData(), self.muscle.currentData())
            self.physician.clear()
            self.physician.addItem("Any physician", None)
            for user_id, label in choices.physicians:
                self.physician.addItem(label, user_id)
            self.agent.clear()
            self.agent.addItem("Any agent", None)
            for agent_class, _label in choices.agent_classes:
                self.agent.addItem(CLASS_ENTRIES.get(agent_class, f"Any {agent_class}"), agent_class)
            if choices.agents:
                self.agent.insertSeparator(self.agent.count())
            for agent in choices.agents:
                self.agent.addItem(agent.name, agent.code)
            self.muscle.clear()
            self.muscle.addItem("Any muscle", None)
            for muscle_id, name in choices.muscles:
                self.muscle.addItem(name, muscle_id)
            completer = QCompleter([name for _id, name in choices.muscles], self.muscle)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
            completer.activated.connect(self._muscle_completed)
            self.muscle.setCompleter(completer)
            for combo, value in zip((self.physician, self.agent, self.muscle), keep, strict=True):
                found = combo.findData(value)
                combo.setCurrentIndex(found if found >= 0 else 0)
            self.muscle.setEditText("" if self.muscle.currentIndex() == 0 else self.muscle.currentText())
        finally:
            self._quiet = False

    # -- the filter --------------------------------------------------------------------------------------
    def current_filter(self) -> HistoryFilter:
        return HistoryFilter(
            date_from=self.date_from.value(),
            date_to=self.date_to.value(),
            physician_id=self.physician.currentData(),
            status=self.status.currentData(),
            technique=self.technique.currentData(),
            agent=self.agent.currentData(),
            muscle_id=self.muscle.currentData(),
            patient_text=self.patient.text().strip(),
            lot_number=self.lot.text().strip(),
        )

    def set_filter(self, flt: HistoryFilter) -> None:
        """Show ``flt`` in the controls (one ``changed`` at the end)."""
        self._quiet = True
        try:
            self.date_from.set_value(flt.date_from)
            self.date_to.set_value(flt.date_to)
            for combo, value in ((self.physician, flt.physician_id), (self.status, flt.status),
                                 (self.technique, flt.technique), (self.agent, flt.agent),
                                 (self.muscle, flt.muscle_id)):
                found = combo.findData(value)
                combo.setCurrentIndex(found if found >= 0 else 0)
            self.muscle.setEditText("" if self.muscle.currentIndex() == 0 else self.muscle.currentText())
            self.patient.setText(flt.patient_text)
            self.lot.setText(flt.lot_number)
            self._patient_timer.stop()
        finally:
            self._quiet = False
        self.changed.emit()

    @Slot()
    def clear(self) -> None:
        self.set_filter(HistoryFilter())

    def show_problems(self, problems: dict[str, str]) -> None:
        """Mark the fields a refused filter names (an empty dict clears the marks)."""
        set_invalid(self.date_to, "date_to" in problems)
        self.date_to.setToolTip(problems.get("date_to", "Performed on or before this day; Ctrl+Backspace: any"))

    @property
    def patient_pending(self) -> bool:
        """True between a keystroke in the patient field and the query it starts."""
        return self._patient_timer.isActive()

    @Slot()
    def apply_patient_now(self) -> None:
        if self._patient_timer.isActive():
            self._patient_timer.stop()
            self._emit_changed()

    @Slot()
    def _emit_changed(self) -> None:
        if not self._quiet:
            self._patient_timer.stop()
            self.changed.emit()

    @Slot(str)
    def _muscle_completed(self, name: str) -> None:
        found = self.muscle.findText(name, Qt.MatchFlag.MatchFixedString)
        if found >= 0:
            self.muscle.setCurrentIndex(found)

    @Slot()
    def _settle_muscle_text(self) -> None:
        """After typing: an empty box is "any", an exact name picks it, anything else goes back."""
        text = self.muscle.currentText().strip()
        if not text:
            self.muscle.setCurrentIndex(0)
            self.muscle.setEditText("")
            return
        found = self.muscle.findText(text, Qt.MatchFlag.MatchFixedString)
        if found >= 0:
            self.muscle.setCurrentIndex(found)
        index = self.muscle.currentIndex()
        self.muscle.setEditText("" if index == 0 else self.muscle.itemText(index))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.patient and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_Escape and self.patient.text():
            self.patient.clear()
            self.apply_patient_now()
            return True
        return super().eventFilter(watched, event)
