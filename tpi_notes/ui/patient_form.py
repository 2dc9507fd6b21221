"""The patient dialog's fields: filled from a record, read back into a PatientInput, errors at each field.

Every input is named ``field_<name>`` and its message label ``error_<name>``, ``<name>`` being the
:class:`~tpi_notes.domain.patient.PatientInput` attribute, so tests and the error display agree.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.allergies import entries_of
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.history_answers import Answer, History, anticoagulant_choices, state_of
from tpi_notes.domain.none_answers import means_none
from tpi_notes.domain.patient import LANGUAGES, SEXES, PatientInput
from tpi_notes.domain.text_input import (
    ParseError,
    describe_birth_date,
    format_weight,
    parse_date,
    parse_weight,
    short_date,
)
from tpi_notes.ui.allergy_editor import AllergyEditor
from tpi_notes.ui.style import DANGER, MUTED, set_invalid, set_role

# The pick-list (resources/rules/anticoagulants.json), then "None" and a line to type any other drug.
ANTICOAGULANTS = tuple(name for name, _kind in anticoagulant_choices())
NONE_CHOICE = "None"
OTHER_CHOICE = "Other (type the name)"
# Each history question answered Not asked / No / Yes: "not asked" is never printed as "no".
ANSWERS = (
    ("bleeding_disorder", "Bleeding disorder"),
    ("diabetes", "Diabetes"),
    ("pregnant", "Pregnant"),
    ("breastfeeding", "Breastfeeding"),
    ("immunosuppressed", "Immunosuppressed"),
    ("implanted_device", "Implanted device (pacemaker, stimulator, pump)"),
)
ANSWER_CHOICES = (("Not asked", "unknown"), ("No", "no"), ("Yes", "yes"))
ALLERGY_CHOICES = (("Not asked", "unknown"), ("No known allergies", "no"), ("Allergies (list them)", "yes"))
CHECKBOXES = (("insulin", "Uses insulin"),)
# Fields in the order they appear: the first one with an error gets the focus.
FIELD_ORDER = (
    "mrn", "family_name", "given_name", "birth_date", "sex", "phone", "language",
    "weight_kg", "allergy_status", "allergies", "anticoagulant", "bleeding_disorder", "diabetes", "insulin",
    "pregnant", "breastfeeding", "immunosuppressed", "implanted_device",
)
_ALIASES = {"weight_date": "weight_kg"}


def recorded_text(answer: Answer) -> str:
    """"Recorded by dr.hart on 3 Dec 2026 09:12" for an answer's tooltip ("" when never recorded)."""
    if answer.recorded_at is None:
        return ""
    who = "before answers were recorded (migrated)" if answer.recorded_by == "migrated" else f"by {answer.recorded_by}"
    return f"Recorded {who} on {short_date(answer.recorded_at.date())} {answer.recorded_at:%H:%M}"


class PatientForm(QWidget):
    """All patient fields in a QFormLayout, with a red message under each field that is refused."""

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._today = today
        self._weight_source: tuple[float | None, date | None] = (None, None)
        self._history = History()
        self.inputs: dict[str, QWidget] = {}
        self.echoes: dict[str, QLabel] = {}
        self.errors: dict[str, QLabel] = {}
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setHorizontalSpacing(14)
        self.form.setVerticalSpacing(8)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)

        self._section("Identity")
        self.mrn = self._line("mrn", "MRN", "Medical record number")
        self.family_name = self._line("family_name", "Family name", "")
        self.given_name = self._line("given_name", "Given name", "")
        self.birth_date = self._line("birth_date", "Date of birth", "YYYY-MM-DD", echo=True)
        self.sex = self._combo("sex", "Sex", [(s.capitalize(), s) for s in SEXES])
        self._section("Contact")
        self.phone = self._line("phone", "Phone", "")
        self.language = self._combo("language", "Preferred language", [(v, k) for k, v in LANGUAGES.items()])
        self._section("Clinical")
        self.weight_kg = self._line("weight_kg", "Weight (kg)", "e.g. 72.5", echo=True)
        self.allergy_status = self._combo("allergy_status", "Allergies reviewed", list(ALLERGY_CHOICES))
        self.allergy_editor = self._allergy_list()
        self.allergies = self.allergy_editor.substance  # the typed substance (field_allergies)
        self.anticoagulant = self._combo("anticoagulant", "Anticoagulant / antiplatelet",
                                         [(a, a) for a in (NONE_CHOICE, *ANTICOAGULANTS, OTHER_CHOICE)],
                                         editable=True)
        self.anticoagulant.setCurrentIndex(-1)
        self.anticoagulant.setEditText("")  # empty: not asked
        self.checks: dict[str, QCheckBox] = {}
        self.answers: dict[str, QComboBox] = {}
        self._answers_block()
        self.allergies.textEdited.connect(self._on_allergies_typed)
        self.allergy_editor.changed.connect(
            lambda: self._on_allergies_typed("listed" if self.allergy_editor.entries() else ""))
        self.allergy_status.currentIndexChanged.connect(self._on_allergy_status)
        self.anticoagulant.activated.connect(self._on_anticoagulant_picked)

        self.birth_date.textChanged.connect(self._update_birth_echo)
        self.weight_kg.textChanged.connect(self._update_weight_echo)
        self.answers["diabetes"].currentIndexChanged.connect(
            lambda _i: self._on_diabetes_toggled(self.answers["diabetes"].currentData() == "yes"))
        self.sex.setCurrentIndex(self.sex.findData("unknown"))  # never a silent guess
        self._update_birth_echo("")
        self._update_weight_echo("")
        self._on_diabetes_toggled(False)

    # -- building ----------------------------------------------------------------------------------------
    def _section(self, title: str) -> None:
        label = QLabel(title.upper(), self)
        set_role(label, "section")
        self.form.addRow(label)

    def _error_label(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(f"error_{name}")
        label.setWordWrap(True)
        set_role(label, "field-error")
        label.hide()
        self.errors[name] = label
        return label

    def _cell(self, name: str, field: QWidget, echo: QLabel | None = None) -> QWidget:
        cell = QWidget(self)
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if echo is None:
            column.addWidget(field)
        else:
            row = QHBoxLayout()
            row.setSpacing(10)
            row.addWidget(field, 1)
            row.addWidget(echo, 1)
            column.addLayout(row)
        column.addWidget(self._error_label(name))
        field.setObjectName(f"field_{name}")
        self.inputs[name] = field
        return cell

    def _line(self, name: str, label: str, placeholder: str, echo: bool = False) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setPlaceholderText(placeholder)
        echo_label = None
        if echo:
            echo_label = QLabel(self)
            echo_label.setObjectName(f"{name}_echo")
            set_role(echo_label, "hint")
            echo_label.setMinimumWidth(200)
            echo_label.setWordWrap(True)  # the date formats ran past the dialog's edge on one line
            self.echoes[name] = echo_label
        self.form.addRow(f"{label}:", self._cell(name, edit, echo_label))
        return edit

    def _combo(self, name: str, label: str, items: list[tuple[str, str]], editable: bool = False) -> QComboBox:
        combo = QComboBox(self)
        combo.setEditable(editable)
        for text, value in items:
            combo.addItem(text, value)
        if editable:
            combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            line = combo.lineEdit()
            if line is not None:
                line.setPlaceholderText("Not asked")
        self.form.addRow(f"{label}:", self._cell(name, combo))
        return combo

    def _allergy_list(self) -> AllergyEditor:
        """The coded allergy list (ui/allergy_editor.py); its substance line is ``field_allergies``."""
        editor = AllergyEditor(self)
        cell = QWidget(self)
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        column.addWidget(self._error_label("allergies"))
        editor.substance.setObjectName("field_allergies")
        self.inputs["allergies"] = editor.substance
        self.form.addRow("Allergies:", cell)
        return editor

    def _answers_block(self) -> None:
        """One Not asked / No / Yes combo per history question (Uses insulin beside Diabetes)."""
        block = QWidget(self)
        column = QVBoxLayout(block)
        column.setContentsMargins(0, 4, 0, 0)
        column.setSpacing(2)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        column.addLayout(grid)
        for row, (name, text) in enumerate(ANSWERS):
            combo = QComboBox(block)
            for label, value in ANSWER_CHOICES:
                combo.addItem(label, value)
            combo.setObjectName(f"field_{name}")
            combo.setAccessibleName(text)
            self.answers[name] = combo
            self.inputs[name] = combo
            label = QLabel(text, block)
            label.setWordWrap(True)  # fits the dialog's width at any font size
            label.setBuddy(combo)
            grid.addWidget(combo, row, 0)  # the answer first: the column of answers reads at a glance
            if name == "diabetes":  # "Uses insulin" right after the word Diabetes
                box = QCheckBox("Uses insulin", block)
                box.setObjectName("field_insulin")
                self.checks["insulin"] = box
                self.inputs["insulin"] = box
                cell = QHBoxLayout()
                cell.setSpacing(16)
                cell.addWidget(label)
                cell.addWidget(box)
                cell.addStretch(1)
                grid.addLayout(cell, row, 1)
            else:
                grid.addWidget(label, row, 1)
        grid.setColumnStretch(1, 1)
        for name in (*(n for n, _ in ANSWERS), "insulin"):
            column.addWidget(self._error_label(name))
        self.form.addRow("History:", block)
        self.general_error = self._error_label("form")

    # -- behaviour ---------------------------------------------------------------------------------------
    @Slot(str)
    def _update_birth_echo(self, text: str) -> None:
        echo = self.echoes["birth_date"]
        echo.setText(describe_birth_date(text, self._today))
        try:
            understood = parse_date(text)
        except ParseError:
            understood = None
        bad = bool(text.strip()) and (understood is None or understood > self._today)
        echo.setStyleSheet(f"color: {DANGER if bad else MUTED};")

    @Slot(str)
    def _on_allergies_typed(self, text: str) -> None:
        """Typing an allergy answers the question: the list is the answer."""
        if text.strip() and self.allergy_status.currentData() != "yes":
            self.allergy_status.setCurrentIndex(self.allergy_status.findData("yes"))

    @Slot(int)
    def _on_allergy_status(self, _index: int) -> None:
        if self.allergy_status.currentData() != "yes":  # "No known allergies" or not asked: no list
            self.allergy_editor.clear()  # (typing an allergy afterwards switches the answer back to the list)

    @Slot(int)
    def _on_anticoagulant_picked(self, index: int) -> None:
        if self.anticoagulant.itemText(index) == OTHER_CHOICE:  # type the drug's name in the line
            self.anticoagulant.setEditText("")
            line = self.anticoagulant.lineEdit()
            if line is not None:
                line.setPlaceholderText("Type the drug's name")
                line.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot(bool)
    def _on_diabetes_toggled(self, checked: bool) -> None:
        insulin = self.checks["insulin"]
        insulin.setEnabled(checked)
        if not checked:
            insulin.setChecked(False)

    @Slot(str)
    def _update_weight_echo(self, text: str) -> None:
        kg, when = self._weight_source
        try:
            typed = parse_weight(text)
        except ParseError:
            typed = None
        if typed is not None and typed == kg and when is not None:
            message = f"Weighed {short_date(when)}"
        elif typed is not None:
            message = "Dated today when saved"
        else:
            message = ""
        self.echoes["weight_kg"].setText(message)

    # -- data in and out ---------------------------------------------------------------------------------
    def load(self, data: PatientInput) -> None:
        self.mrn.setText(data.mrn)
        self.family_name.setText(data.family_name)
        self.given_name.setText(data.given_name)
        self.birth_date.setText(data.birth_date.isoformat() if data.birth_date else "")
        self.sex.setCurrentIndex(max(0, self.sex.findData(data.sex)))
        self.phone.setText(data.phone)
        self.language.setCurrentIndex(max(0, self.language.findData(data.language)))
        self._weight_source = (data.weight_kg, data.weight_date)
        self.weight_kg.setText(format_weight(data.weight_kg))
        self._update_weight_echo(self.weight_kg.text())
        self.allergy_status.setCurrentIndex(self.allergy_status.findData(state_of(data, "allergies")))
        self.allergy_editor.set_entries(entries_of(data))
        drug = state_of(data, "anticoagulant")
        self.anticoagulant.setEditText(data.anticoagulant if drug == "yes" else NONE_CHOICE if drug == "no" else "")
        for name, combo in self.answers.items():
            combo.setCurrentIndex(combo.findData(state_of(data, name)))
        for name, widget in (*self.answers.items(), ("allergies", self.allergy_status),
                             ("anticoagulant", self.anticoagulant)):
            widget.setToolTip(recorded_text(data.history.get(name)))
        self._history = data.history
        self.checks["insulin"].setChecked(bool(data.insulin))

    def read(self) -> PatientInput:
        """The typed values; unparseable date or weight raise ValidationError for those fields only."""
        problems: dict[str, str] = {}
        birth = weight = None
        try:
            birth = parse_date(self.birth_date.text())
        except ParseError as exc:
            problems["birth_date"] = str(exc)
        try:
            weight = parse_weight(self.weight_kg.text())
        except ParseError as exc:
            problems["weight_kg"] = str(exc)
        if problems:
            raise ValidationError(problems)
        old_kg, old_date = self._weight_source
        # Only a changed weight gets a new date (the service dates a new one today).
        weight_date = old_date if weight is not None and weight == old_kg else None
        entries = self.allergy_editor.entries()  # the list, and what is typed but not yet added
        allergies = tuple(e.substance for e in entries)
        allergy_state = str(self.allergy_status.currentData())
        if allergy_state == "yes" and not allergies:
            raise ValidationError({"allergies": "List the allergies, or choose “No known allergies”."})
        drug = self.anticoagulant.currentText().strip()
        if drug == OTHER_CHOICE:
            raise ValidationError({"anticoagulant": "Type the anticoagulant's name, or choose None."})
        states = {name: str(combo.currentData()) for name, combo in self.answers.items()}
        states["allergies"] = allergy_state
        states["anticoagulant"] = "unknown" if not drug else "no" if means_none(drug) else "yes"
        # Keep each stored answer (and its stamp); the service re-stamps only those that changed.
        history = self._history.with_answers({k: Answer(v) for k, v in states.items()
                                              if self._history.get(k).state != v})
        return PatientInput(
            mrn=self.mrn.text(),
            family_name=self.family_name.text(),
            given_name=self.given_name.text(),
            birth_date=birth,
            sex=str(self.sex.currentData()),
            weight_kg=weight,
            weight_date=weight_date,
            phone=self.phone.text(),
            language=str(self.language.currentData()),
            allergies=allergies,
            allergy_entries=entries,
            anticoagulant=drug,
            insulin=self.checks["insulin"].isChecked() and states["diabetes"] == "yes",
            history=history,
            **{name: states[name] == "yes" for name in self.answers},
        )

    def clear_errors(self) -> None:
        for label in self.errors.values():
            label.clear()
            label.hide()
        for widget in self.inputs.values():
            set_invalid(widget, False)

    def show_errors(self, errors: dict[str, str]) -> None:
        """A red message under each named field, red borders, and the focus on the first bad field."""
        self.clear_errors()
        unplaced: list[str] = []
        for key, message in errors.items():
            name = _ALIASES.get(key, key)
            label = self.errors.get(name)
            if label is None or name == "form":
                unplaced.append(message)
                continue
            label.setText(message)
            label.show()
            set_invalid(self.inputs[name], True)
        if unplaced:
            self.general_error.setText("\n".join(unplaced))
            self.general_error.show()
        first = next((n for n in FIELD_ORDER if n in self.inputs and self.errors[n].isVisible()), None)
        if first is not None:
            widget = self.inputs[first]
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(widget, QLineEdit):
                widget.selectAll()
