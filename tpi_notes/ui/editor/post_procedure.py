"""Post-procedure: complications, tolerance, blood loss, pain after and relief, observation, respiratory
check (required when a near-lung muscle was treated), disposition, follow-up and comments.

Two follow-ups: the clinician's free text (for the note) and the patient's, a pick or a date, which the
aftercare sheet prints in the patient's language (domain/patient_follow_up.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from PySide6.QtCore import QDate, Signal, Slot
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QPushButton, QWidget

from tpi_notes.domain.completeness import respiratory_check_declined
from tpi_notes.domain.draft import BLOOD_LOSS, COMPLICATIONS, TOLERANCE, SessionDraft
from tpi_notes.domain.inline_answers import Choice, inline_answers
from tpi_notes.domain.patient_follow_up import FOLLOW_UP_CHOICES, follow_up_date
from tpi_notes.ui.editor.fields import (
    FieldErrors,
    OptionalSpin,
    compact,
    editable_combo,
    fit_calendar,
    select_data,
    text_box,
)
from tpi_notes.ui.editor.pain_scale import PainScale
from tpi_notes.ui.editor.pre_procedure import section, top_aligned, two_columns
from tpi_notes.ui.style import set_invalid, set_role

NOT_INDICATED = "Not indicated: no muscle over the lung treated"


def respiratory_choices() -> tuple[Choice, ...]:
    """The usual respiratory findings (the clinic's data, resources/rules/inline-answers.json): one click each here
    and in the findings panel, and the first entries of the check's list."""
    answer = inline_answers().for_field("respiratory_check")
    return answer.choices if answer is not None else ()
DISPOSITION = ("Home, ambulatory, stable", "Home with an escort", "Observed longer, then home, stable")
FOLLOW_UP = ("Reassess in 2 weeks", "Reassess in 4 weeks", "Reassess in 6 weeks; continue home exercise",
             "As needed")
ON_A_DATE = "date"  # the patient follow-up combo's entry that shows the date box
DEFAULT_FOLLOW_UP_DAYS = 14  # where the date box starts when "On a date…" is chosen


def suggested_relief(before: int | None, after: int | None) -> int | None:
    """Immediate relief as a percentage of the pain before (0 when the pain did not fall)."""
    if before is None or after is None or before <= 0:
        return None
    return max(0, min(100, round(100 * (before - after) / before)))


class PostProcedurePanel(QWidget):
    changed = Signal()
    """The user changed a post-procedure field."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.errors = FieldErrors()
        self._loading = False
        self._relief_touched = False
        self._pain_before: int | None = None
        self._near_lung: list[int] = []
        form, second = two_columns(self)

        section(form, "Outcome", self)
        self.complications = editable_combo(COMPLICATIONS, "None", self)
        form.addRow("Complications:", self.errors.cell("complications", self.complications, self))
        self.tolerance = editable_combo(TOLERANCE, "How the patient tolerated it", self)
        form.addRow("Tolerance:", self.errors.cell("tolerance", self.tolerance, self))
        self.blood_loss = editable_combo(BLOOD_LOSS, "Estimated blood loss", self)
        form.addRow("Blood loss:", self.errors.cell("blood_loss", self.blood_loss, self))
        self.pain_after = PainScale("Pain after", self)
        self.pain_after.setToolTip("Numeric rating scale 0–10 right after the procedure (same scale as before)")
        form.addRow("Pain after:", self.errors.cell("pain_after", self.pain_after, self))
        self.relief_pct = OptionalSpin(100, " %", self)
        self.relief_hint = QLabel(self)
        set_role(self.relief_hint, "hint")
        relief = self.errors.cell("relief_pct", self.relief_pct, self)
        relief.layout().addWidget(self.relief_hint)
        form.addRow("Immediate relief:", relief)

        section(form, "Observation", self)
        self.observation_minutes = OptionalSpin(240, " min", self)
        form.addRow("Observed for:", self.errors.cell("observation_minutes", self.observation_minutes, self))
        self.respiratory_check = editable_combo((*(c.text for c in respiratory_choices()), NOT_INDICATED),
                                                "Breath sounds, SpO2, dyspnea", self)
        self.respiratory_hint = QLabel(self)
        self.respiratory_hint.setObjectName("respiratory_required")
        self.respiratory_hint.setWordWrap(True)
        self.respiratory_hint.setStyleSheet("color: #9a3412; font-weight: 600;")
        self.respiratory_hint.hide()
        check = self.errors.cell("respiratory_check", self.respiratory_check, self)
        self.errors.covered_by("respiratory_check", lambda: not self.respiratory_hint.isHidden())
        check.layout().addWidget(self.respiratory_hint)
        check.layout().addWidget(self._respiratory_answers())
        self.respiratory_label = QLabel("Respiratory check:", self)
        form.addRow(self.respiratory_label, check)

        form = second
        section(form, "Discharge", self)
        self.disposition = editable_combo(DISPOSITION, "Home, ambulatory, condition", self)
        form.addRow("Disposition:", self.errors.cell("disposition", self.disposition, self))
        self.follow_up = editable_combo(FOLLOW_UP, "When and what next", self)
        self.follow_up.setToolTip("For the note only: the aftercare sheet never prints this text")
        form.addRow("Follow-up (note):", self.errors.cell("follow_up", self.follow_up, self))
        patient_follow_up = self.errors.cell("follow_up_in", self._patient_follow_up(), self,
                                             highlight=self.follow_up_in)
        hint = QLabel("Printed on the aftercare sheet in the patient's language; the note text above is not.", self)
        set_role(hint, "hint")
        hint.setWordWrap(True)
        patient_follow_up.layout().addWidget(hint)
        form.addRow("Patient follow-up:", patient_follow_up)
        self.comments = text_box("Anything else for the note", 3, self)
        form.addRow("Comments:", top_aligned(self.errors.cell("comments", self.comments, self)))

        for combo in (self.complications, self.tolerance, self.blood_loss, self.disposition, self.follow_up):
            combo.editTextChanged.connect(self._emit)
        self.follow_up_in.currentIndexChanged.connect(self._on_follow_up_in)
        self.follow_up_date.dateChanged.connect(self._emit)
        self.respiratory_check.editTextChanged.connect(self._on_respiratory)
        self.comments.textChanged.connect(self._emit)
        self.observation_minutes.valueChanged.connect(self._emit)
        self.pain_after.valueChanged.connect(self._on_pain_after)
        self.relief_pct.valueChanged.connect(self._on_relief)

    def _patient_follow_up(self) -> QWidget:
        """A pick ("In 2 weeks" …, "On a date…") and the date box it opens; the sheet words it for the patient."""
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.follow_up_in = compact(QComboBox(box))
        self.follow_up_in.setObjectName("follow_up_in")
        self.follow_up_in.addItem("Not set", "")
        for code, label in FOLLOW_UP_CHOICES.items():
            self.follow_up_in.addItem(label, code)
        self.follow_up_in.addItem("On a date…", ON_A_DATE)
        self.follow_up_in.setToolTip("When the patient should come back: printed on the aftercare sheet in the "
                                     "patient's language")
        self.follow_up_date = QDateEdit(box)
        self.follow_up_date.setObjectName("follow_up_date")
        self.follow_up_date.setCalendarPopup(True)
        fit_calendar(self.follow_up_date)
        self.follow_up_date.setDisplayFormat("yyyy-MM-dd")
        self.follow_up_date.setHidden(True)
        row.addWidget(self.follow_up_in, 1)
        row.addWidget(self.follow_up_date, 1)
        self._session_day = date.today()
        return box

    @Slot()
    def _on_follow_up_in(self) -> None:
        dated = self.follow_up_in.currentData() == ON_A_DATE
        if dated and self.follow_up_date.isHidden() and not self._loading:
            start = self._session_day + timedelta(days=DEFAULT_FOLLOW_UP_DAYS)
            self.follow_up_date.setDate(QDate(start.year, start.month, start.day))
        self.follow_up_date.setHidden(not dated)
        self._emit()

    def _follow_up_in_value(self) -> str:
        code = self.follow_up_in.currentData()
        if code == ON_A_DATE:
            return self.follow_up_date.date().toPython().isoformat()
        return str(code or "")

    @Slot()
    def _emit(self) -> None:
        if not self._loading:
            self.changed.emit()

    # -- relief suggested from the pain scores ----------------------------------------------------------
    def set_pain_before(self, value: int | None) -> None:
        self._pain_before = value
        self._suggest()

    @Slot()
    def _on_pain_after(self) -> None:
        self._suggest()
        self._emit()

    @Slot()
    def _on_relief(self) -> None:
        if not self._loading:
            self._relief_touched = True
        self._update_relief_hint()
        self._emit()

    def _suggest(self) -> None:
        suggestion = suggested_relief(self._pain_before, self.pain_after.optional_value())
        if not self._relief_touched and not self._loading and suggestion != self.relief_pct.optional_value():
            self._loading = True  # a suggestion is not the user's own entry
            try:
                self.relief_pct.set_optional_value(suggestion)
            finally:
                self._loading = False
            self.changed.emit()
        self._update_relief_hint()

    def _update_relief_hint(self) -> None:
        suggestion = suggested_relief(self._pain_before, self.pain_after.optional_value())
        if suggestion is None:
            self.relief_hint.setText("Suggested from pain before and after once both are recorded.")
        elif suggestion == self.relief_pct.optional_value():
            self.relief_hint.setText(f"From pain {self._pain_before} → {self.pain_after.value()}; edit if the "
                                     "patient reports otherwise.")
        else:
            self.relief_hint.setText(f"Pain {self._pain_before} → {self.pain_after.value()} suggests {suggestion} %.")

    # -- the respiratory check ------------------------------------------------------------------------
    def _respiratory_answers(self) -> QWidget:
        """The usual findings as one click each, shown while a check is required and not recorded (issue 16)."""
        self.respiratory_answers = box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.respiratory_buttons: list[QPushButton] = []
        for choice in respiratory_choices():
            short, text = choice.label, choice.text
            button = QPushButton(short, box)  # the findings, never "not indicated"
            button.setAutoDefault(False)
            button.setToolTip(f"Record “{text}” (edit it above if it differs)")
            button.setAccessibleName(f"Record the respiratory check: {text}")
            button.clicked.connect(lambda _c=False, t=text: self.respiratory_check.setEditText(t))
            self.respiratory_buttons.append(button)
            row.addWidget(button)
        row.addStretch(1)
        box.hide()
        return box


    def set_near_lung(self, site_numbers: list[int]) -> None:
        self._near_lung = site_numbers
        self._update_respiratory()

    @Slot()
    def _on_respiratory(self) -> None:
        self._update_respiratory()
        self._emit()

    def _update_respiratory(self) -> None:
        required = bool(self._near_lung)
        text = self.respiratory_check.currentText()
        declined = required and respiratory_check_declined(text)  # "Not indicated" contradicts the sites
        missing = required and (not text.strip() or declined)
        numbers = ", ".join(map(str, self._near_lung))
        self.respiratory_hint.setText(f"⚠ Required: site{'s' if len(self._near_lung) > 1 else ''} {numbers} "
                                      f"lie over the lung{', so it is indicated' if declined else ''}. Record "
                                      "breath sounds or SpO2 before discharge.")
        self.respiratory_hint.setVisible(missing)
        self.respiratory_answers.setVisible(missing)
        self.respiratory_label.setText("Respiratory check (required):" if required else "Respiratory check:")
        set_invalid(self.respiratory_check, missing)

    # -- data in and out ------------------------------------------------------------------------------
    def load(self, draft: SessionDraft) -> None:
        self._loading = True
        try:
            self._pain_before = draft.pain_before
            self.complications.setEditText(draft.complications)
            self.tolerance.setEditText(draft.tolerance)
            self.blood_loss.setEditText(draft.blood_loss)
            self.pain_after.set_optional_value(draft.pain_after)
            self.relief_pct.set_optional_value(draft.relief_pct)
            self.observation_minutes.set_optional_value(draft.observation_minutes)
            self.respiratory_check.setEditText(draft.respiratory_check)
            self.disposition.setEditText(draft.disposition)
            self.follow_up.setEditText(draft.follow_up)
            self._session_day = draft.performed_start.date()
            day = follow_up_date(draft.follow_up_in)
            select_data(self.follow_up_in, ON_A_DATE if day else draft.follow_up_in)
            if day:
                self.follow_up_date.setDate(QDate(day.year, day.month, day.day))
            self.follow_up_date.setHidden(day is None)
            self.comments.setPlainText(draft.comments)
        finally:
            self._loading = False
        suggestion = suggested_relief(draft.pain_before, draft.pain_after)
        self._relief_touched = draft.relief_pct is not None and draft.relief_pct != suggestion
        self._update_relief_hint()
        self._update_respiratory()

    def apply(self, draft: SessionDraft) -> SessionDraft:
        return replace(
            draft,
            complications=self.complications.currentText(),
            tolerance=self.tolerance.currentText(),
            blood_loss=self.blood_loss.currentText(),
            pain_after=self.pain_after.optional_value(),
            relief_pct=self.relief_pct.optional_value(),
            observation_minutes=self.observation_minutes.optional_value(),
            respiratory_check=self.respiratory_check.currentText(),
            disposition=self.disposition.currentText(),
            follow_up=self.follow_up.currentText(),
            follow_up_in=self._follow_up_in_value(),
            comments=self.comments.toPlainText(),
        )
