"""Pre-procedure: encounter, indication and diagnoses, exam findings, consent and time-out, set-up, pain.

Every input is named ``field_<SessionDraft field>`` and its message label ``error_<field>``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QDateTime, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from tpi_notes.domain.consent_risks import risk_finding, untick_reasons
from tpi_notes.domain.draft import (
    ANTISEPSIS,
    CONSENT_TYPES,
    DEFAULT_RISKS,
    GUIDANCE,
    NEAR_LUNG_RISK,
    POSITIONS,
    STEROID_RISKS,
    SessionDraft,
)
from tpi_notes.domain.note_defaults import note_defaults
from tpi_notes.domain.session import Site
from tpi_notes.ui.editor.diagnoses import DiagnosisPicker
from tpi_notes.ui.editor.exam_findings import AllMusclesBar, ExamFindingsTable
from tpi_notes.ui.editor.fields import (
    FieldErrors,
    OptionalDateTime,
    data_combo,
    datetime_edit,
    editable_combo,
    select_data,
    text_box,
)
from tpi_notes.ui.editor.findings_panel import ReasonDialog
from tpi_notes.ui.editor.pain_scale import PainScale
from tpi_notes.ui.editor.reference import EditorReference
from tpi_notes.ui.editor.staff_combo import StaffCombo
from tpi_notes.ui.style import set_role

ALL_RISKS = (*DEFAULT_RISKS, NEAR_LUNG_RISK, *STEROID_RISKS)
EXAM_HINT = ("One row per muscle and side treated (a deep muscle chosen at a site has its own row). At least two "
             "of the three core criteria (taut band, hypersensitive spot, referred pain) confirm a trigger point; "
             "a twitch or jump sign is recorded but does not count.")
BOTH_VIEWS = "Sites front and back: choose the position"
END_AT_SIGNING = "At signing"


def section(form: QFormLayout, title: str, parent: QWidget) -> None:
    label = QLabel(title.upper(), parent)
    set_role(label, "section")
    form.addRow(label)


def form_layout() -> QFormLayout:
    form = QFormLayout()
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setHorizontalSpacing(10)
    form.setVerticalSpacing(4)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def top_aligned(cell: QWidget) -> QWidget:
    """A multi-line field's cell: the box at the top of its row, level with its label (a taller row's spare
    height went above and below the fixed-height box, leaving the label beside empty space)."""
    layout = cell.layout()
    if layout is not None:
        layout.addStretch(1)
    return cell


def two_columns(panel: QWidget) -> tuple[QFormLayout, QFormLayout]:
    """Two forms side by side: the routine note fits one screen (1600 × 1000) without scrolling (issue 16);
    in a window too narrow for both they stack into one flowing form (:func:`fit_columns`)."""
    row = QBoxLayout(QBoxLayout.Direction.LeftToRight, panel)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(18)
    forms = form_layout(), form_layout()
    for form in forms:
        row.addLayout(form, 1)
    return forms


def fit_columns(panel: QWidget, width: int) -> None:
    """Side by side when ``width`` holds both columns, else one under the other (never a sideways scroll)."""
    row = panel.layout()
    if not isinstance(row, QBoxLayout) or row.count() != 2:
        return
    needed = sum(row.itemAt(i).minimumSize().width() for i in range(2)) + row.spacing()
    wanted = QBoxLayout.Direction.LeftToRight if needed <= width else QBoxLayout.Direction.TopToBottom
    if row.direction() != wanted:
        row.setDirection(wanted)


class PreProcedurePanel(QWidget):
    changed = Signal()
    """The user changed a pre-procedure field."""

    add_physician_requested = Signal()
    """"Add physician…" was chosen in the physician list."""

    risk_reason_given = Signal(str, str)
    """An applicable risk was unticked with this reason: (risk, reason), saved as the draft's override."""

    def __init__(self, reference: EditorReference, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.errors = FieldErrors()
        self._loading = False
        self._risk_order: tuple[str, ...] = ()
        self._applicable: set[str] = set()  # risks the sites and agents carry (ticked when they appear)
        self._reasons: dict[str, str] = {}  # risk -> why it was not discussed
        self.active_dialog: QWidget | None = None
        self._auto_position = ""  # the position last filled in from the views (replaced while untouched)
        self._views: frozenset[str] | None = None  # the views of the sites when last seen (None: just loaded)
        form, second = two_columns(self)

        # no "Encounter" title: the first rows say what they are, and its line is the findings panel's (H30 audit)
        self.performed_start = datetime_edit(self)
        # empty, the end is the moment of signing (signing_dialog.sign): the visible default says so
        self.performed_end = OptionalDateTime(self._default_end, self, empty_text=END_AT_SIGNING)
        self.performed_end.edit.setToolTip("Left empty, the end time is the moment the note is signed")
        form.addRow("Started:", self.errors.cell("performed_start", self.performed_start, self))
        form.addRow("Ended:", self.errors.cell("performed_end", self.performed_end, self,
                                               highlight=self.performed_end.edit))
        self.location = QLineEdit(self)
        self.location.setPlaceholderText("e.g. Exam room 2")
        form.addRow("Location:", self.errors.cell("location", self.location, self))
        self.physician = StaffCombo("Choose the physician…", "Add physician…", self)
        self.physician.add_requested.connect(self.add_physician_requested)
        form.addRow("Physician:", self.errors.cell("physician_id", self.physician, self))
        self.assistant = StaffCombo("No assistant", None, self)
        form.addRow("Assistant:", self.errors.cell("assistant_id", self.assistant, self))

        section(form, "Indication and diagnoses", self)
        self.indication = text_box("Regional myofascial pain: where, how long, what it limits", 2, self)
        form.addRow("Indication:", top_aligned(self.errors.cell("indication", self.indication, self)))
        self.diagnoses = DiagnosisPicker(self)
        self.diagnoses.code_sets = reference.code_sets or None
        self.errors.register("diagnoses", self.diagnoses.search_edit, self.diagnoses.error_label)
        form.addRow(self.diagnoses)  # the whole column's width: its code chips are long (the section names it)
        self.diagnoses.search_edit.setAccessibleName("Diagnoses: search ICD-10-CM")
        self.conservative_care = text_box("NSAIDs, PT, home exercise … and for how long", 2, self)
        form.addRow("Conservative care:",
                    top_aligned(self.errors.cell("conservative_care", self.conservative_care, self)))
        # The pain before closes the left column (the picture before the procedure): in the set-up section it
        # made the right column the taller by a row, and that row is the findings panel's at 1600 × 1000.
        self.pain_before = PainScale("Pain before", self)
        self.pain_before.setToolTip("Numeric rating scale 0–10 before the procedure")
        form.addRow("Pain before:", self.errors.cell("pain_before", self.pain_before, self))

        form = second
        title = QLabel("EXAM PER MUSCLE", self)  # its one-click shortcut beside it: a row less
        set_role(title, "section")
        title.setToolTip(EXAM_HINT)
        self.exam_findings = ExamFindingsTable(self)
        self.exam_findings.setToolTip(EXAM_HINT)  # the rule, kept off the screen's height
        self.all_found = AllMusclesBar(self)
        self.no_findings = QLabel("Mark sites on the diagram: each treated muscle gets a row here. Two of the "
                                  "three core criteria confirm a trigger point.", self)
        self.no_findings.setWordWrap(True)
        set_role(self.no_findings, "hint")
        form.addRow(title, self.all_found)
        form.addRow(self.errors.cell("exam_findings", self.exam_findings, self))
        form.addRow(self.no_findings)

        # consent, time-out and set-up follow the exam untitled: each row says what it is, and the title's line
        # went to the findings panel below (a copied-forward visit's blockers, H30 audit)
        self.consent_type = data_combo([("Not recorded", None)] + [(v, k) for k, v in CONSENT_TYPES.items()], self)
        self.consent_form_id = QLineEdit(self)
        self.consent_form_id.setPlaceholderText("Form ID (optional)")
        consent = QWidget(self)
        row = QHBoxLayout(consent)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.errors.cell("consent_type", self.consent_type, consent), 1)
        row.addWidget(self.errors.cell("consent_form_id", self.consent_form_id, consent), 1)
        form.addRow("Consent:", consent)
        self.risk_boxes: dict[str, QCheckBox] = {}
        risks = QWidget(self)
        grid = QGridLayout(risks)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        for i, risk in enumerate(ALL_RISKS):
            box = QCheckBox(risk[0].upper() + risk[1:], risks)
            box.setObjectName(f"risk_{i}")
            self.risk_boxes[risk] = box
            grid.addWidget(box, i // 2, i % 2)
            box.setAccessibleName(f"Risk discussed: {risk}")
        form.addRow(QLabel("Risks discussed:", self))  # above the boxes: two columns of them need the width
        form.addRow(self.errors.cell("consent_risks", risks, self))
        self.timeout_done = QCheckBox("Done", self)
        self.timeout_at = OptionalDateTime(parent=self)
        timeout = QWidget(self)
        row = QHBoxLayout(timeout)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.errors.cell("timeout_done", self.timeout_done, timeout))
        row.addWidget(self.errors.cell("timeout_at", self.timeout_at, timeout, highlight=self.timeout_at.edit))
        row.addStretch(1)
        form.addRow("Time-out:", timeout)

        self.position = editable_combo(POSITIONS, "Patient position", self)
        form.addRow("Position:", self.errors.cell("position", self.position, self))
        self.antisepsis = editable_combo(ANTISEPSIS, "Skin antisepsis", self)
        form.addRow("Antisepsis:", self.errors.cell("antisepsis", self.antisepsis, self))
        self.guidance = data_combo([("Not recorded", None)] + [(v, k) for k, v in GUIDANCE.items()], self)
        form.addRow("Guidance:", self.errors.cell("guidance", self.guidance, self))

        # Tab reads the form as it is laid out: down the left column, then the right one from its top (the
        # "All muscles" answers sit above the exam table, so they come before it)
        chain = [self.pain_before, self.all_found.buttons[False], self.all_found.buttons[True], self.exam_findings,
                 self.consent_type]
        for first, then in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, then)
        self.set_staff(reference)
        self._connect()

    def _connect(self) -> None:
        self.performed_start.dateTimeChanged.connect(self._emit)
        self.performed_start.dateTimeChanged.connect(self._date_changed)
        self.performed_end.changed.connect(self._emit)
        self.timeout_at.changed.connect(self._emit)
        for edit in (self.location, self.consent_form_id):
            edit.textChanged.connect(self._emit)
        for box in (self.indication, self.conservative_care):
            box.textChanged.connect(self._emit)
        for combo in (self.physician, self.assistant, self.consent_type, self.guidance):
            combo.currentIndexChanged.connect(self._emit)
        for combo in (self.position, self.antisepsis):
            combo.editTextChanged.connect(self._emit)
        for risk, box in self.risk_boxes.items():
            box.toggled.connect(lambda checked, r=risk: self._on_risk_toggled(r, checked))
        self.timeout_done.toggled.connect(self._on_timeout_toggled)
        self.timeout_at.now_button.clicked.connect(lambda: self.timeout_done.setChecked(True))
        self.position.editTextChanged.connect(self._position_typed)
        self.all_found.triggered.connect(self._all_found)
        self.diagnoses.changed.connect(self._emit)
        self.exam_findings.changed.connect(self._emit)
        self.pain_before.valueChanged.connect(self._emit)

    def set_staff(self, reference: EditorReference, select_physician: int | None = None) -> None:
        self.physician.set_members(reference.physicians, select_physician)
        self.assistant.set_members(reference.assistants)

    @Slot()
    def _emit(self) -> None:
        if not self._loading:
            self.changed.emit()

    @Slot(bool)
    def _on_timeout_toggled(self, done: bool) -> None:
        if done and self.timeout_at.value() is None and not self._loading:
            self.timeout_at.set_now()  # emits changed
            return
        self._emit()

    # -- risks the sites and agents carry -------------------------------------------------------------
    def set_applicable_risks(self, risks: tuple[str, ...]) -> None:
        """Tick the risks that have just become applicable (a muscle over the lung, a corticosteroid), unless
        a reason says why they were not discussed; no signal (the editor reads the boxes right after)."""
        for risk in risks:
            box = self.risk_boxes.get(risk)
            if box is not None and risk not in self._applicable and risk not in self._reasons \
                    and not box.isChecked():
                self._set_silently(box, True)
        self._applicable = set(risks)

    def note_reason(self, risk: str, reason: str) -> None:
        """A reason given elsewhere (the findings panel's "Proceed with reason…") for an unticked risk."""
        self._reasons[risk] = reason
        self._show_reasons()

    def _show_reasons(self) -> None:
        """An unticked risk's reason as its box's tooltip (the findings panel and the note show it too)."""
        for risk, box in self.risk_boxes.items():
            reason = self._reasons.get(risk, "")
            box.setToolTip(f"Not discussed: {reason}" if reason and not box.isChecked() else "")

    def _set_silently(self, box: QCheckBox, checked: bool) -> None:
        box.blockSignals(True)
        box.setChecked(checked)
        box.blockSignals(False)

    def _on_risk_toggled(self, risk: str, checked: bool) -> None:
        if self._loading:
            return
        if not checked and risk in self._applicable and risk not in self._reasons:
            self._set_silently(self.risk_boxes[risk], True)  # stays ticked unless a reason is given
            self.ask_untick_reason(risk)
            return
        self._show_reasons()
        self._emit()

    def ask_untick_reason(self, risk: str) -> ReasonDialog:
        dialog = ReasonDialog(risk_finding(risk), self)
        dialog.setWindowTitle("Risk not discussed: reason")
        dialog.ok_button.setText("Untick with this reason")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.reason_given.connect(lambda reason: self._untick_with_reason(risk, reason))
        dialog.finished.connect(lambda _r: setattr(self, "active_dialog", None))
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def _untick_with_reason(self, risk: str, reason: str) -> None:
        self._reasons[risk] = reason
        self._set_silently(self.risk_boxes[risk], False)
        self._show_reasons()
        self.risk_reason_given.emit(risk, reason)  # the editor stores it as the draft's override, then refreshes

    @Slot()
    def _date_changed(self) -> None:
        """Diagnoses are searched in the ICD-10-CM set valid on the session's date."""
        self.diagnoses.day = self.performed_start.dateTime().toPython().date()

    def _default_end(self) -> datetime:
        return self.performed_start.dateTime().toPython()

    # -- data in and out ------------------------------------------------------------------------------
    def load(self, draft: SessionDraft) -> None:
        self._loading = True
        try:
            self.performed_start.setDateTime(QDateTime(draft.performed_start))
            self.diagnoses.day = draft.performed_start.date()
            self.performed_end.set_value(draft.performed_end)
            self.location.setText(draft.location)
            self.physician.select(draft.physician_id)
            self.assistant.select(draft.assistant_id)
            self.indication.setPlainText(draft.indication)
            self.diagnoses.set_diagnoses(draft.diagnoses)
            self.conservative_care.setPlainText(draft.conservative_care)
            self.exam_findings.load(draft.exam_findings, draft.sites)
            select_data(self.consent_type, draft.consent_type)
            self.consent_form_id.setText(draft.consent_form_id)
            self._risk_order = draft.consent_risks
            self._reasons = untick_reasons(draft.overrides)
            self._applicable = set()  # the editor's next refresh ticks what the loaded sites and agents carry
            for risk, box in self.risk_boxes.items():
                box.setChecked(risk in draft.consent_risks)
            self._show_reasons()
            self.timeout_done.setChecked(draft.timeout_done)
            self.timeout_at.set_value(draft.timeout_at)
            self.position.setEditText(draft.position)
            self._auto_position, self._views = "", None
            self.antisepsis.setEditText(draft.antisepsis)
            select_data(self.guidance, draft.guidance)
            self.pain_before.set_optional_value(draft.pain_before)
        finally:
            self._loading = False

    def apply(self, draft: SessionDraft) -> SessionDraft:
        ticked = [risk for risk, box in self.risk_boxes.items() if box.isChecked()]
        kept = [r for r in self._risk_order if r in ticked or r not in self.risk_boxes]  # keeps the stored order
        risks = tuple(kept + [r for r in ticked if r not in kept])
        return replace(
            draft,
            performed_start=self.performed_start.dateTime().toPython(),
            performed_end=self.performed_end.value(),
            location=self.location.text(),
            physician_id=self.physician.member_id(),
            assistant_id=self.assistant.member_id(),
            indication=self.indication.toPlainText(),
            diagnoses=self.diagnoses.diagnoses(),
            conservative_care=self.conservative_care.toPlainText(),
            exam_findings=self.exam_findings.findings(),
            consent_type=self.consent_type.currentData(),
            consent_risks=risks,
            consent_form_id=self.consent_form_id.text(),
            timeout_done=self.timeout_done.isChecked(),
            timeout_at=self.timeout_at.value(),
            position=self.position.currentText(),
            antisepsis=self.antisepsis.currentText(),
            guidance=self.guidance.currentData(),
            pain_before=self.pain_before.optional_value(),
        )

    def set_sites(self, sites: list[Site]) -> None:
        self._position_from_views(frozenset(s.view for s in sites))
        self.exam_findings.set_sites(sites)
        self.exam_findings.setVisible(bool(sites))
        self.all_found.setVisible(bool(sites))
        self.no_findings.setVisible(not sites)

    # -- the position the views imply ---------------------------------------------------------------------
    def _position_from_views(self, views: frozenset[str]) -> None:
        """Front-only sites: supine; back-only: prone; both: left for the physician (note-defaults.json).

        Only while the position is empty or still the one filled in here, and never on opening a draft."""
        if self._views is None or views == self._views:
            self._views = views
            return
        self._views = views
        current = self.position.currentText()
        if current and current != self._auto_position:
            return  # the user's own choice stays
        chosen = note_defaults().position_for(views) or ""
        self.position.lineEdit().setPlaceholderText(BOTH_VIEWS if len(views) > 1 else "Patient position")
        if chosen != current:
            self._loading = True  # the editor reads the form right after; no second round of signals
            try:
                self.position.setEditText(chosen)
            finally:
                self._loading = False
        self._auto_position = chosen

    @Slot(str)
    def _position_typed(self, text: str) -> None:
        if not self._loading and text != self._auto_position:
            self._auto_position = ""

    # -- exam shortcut --------------------------------------------------------------------------------------
    @Slot(bool)
    def _all_found(self, referred: bool) -> None:
        """Every treated muscle: taut band and hypersensitive spot (and referred pain); rows stay editable."""
        self.exam_findings.mark_all(referred)
