"""The editor's outcomes panel (issue 17): PEG-3 in one click per item, and for a returning patient the response to
the last signed session per muscle and side, with one action for "all the same".

The routine repeat visit takes four clicks: pain, enjoyment and activity (one button each), and one relief button
under "All the same", which sets every muscle's relief and, with the duration beside it ("still lasting" unless
changed first), how long it lasted. Rows can then be adjusted one by one. Neither is a sign blocker: the PEG is
recommended (under the Medicare TPI LCD payer profile a missing PEG is a warning, domain/payer_rules.py).

Stable object names for tests and the routine-note walk test: ``outcomes_panel``; ``peg_pain``, ``peg_enjoyment``,
``peg_activity`` (rows of buttons ``peg_pain_0`` … ``peg_pain_10``); ``response_all`` (buttons ``response_all_0`` …
``response_all_100``); ``response_all_duration``; ``response_table`` (column 1 relief %, column 2 duration).

The clinic may also record the NDI and/or the ODI (Clinic tab, ``functional_scales``): each is a compact grid of its
ten sections (labels and scoring from resources/scales/functional-scales.json; the clinic supplies the paper form,
whose wording is copyrighted), one click per section, beside the PEG: ``ndi_score``, rows ``ndi_<section>`` with
buttons ``ndi_<section>_0`` … ``_5`` (``odi_`` alike). Not a sign blocker either.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.clinic import enabled_scales
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.outcomes import (
    PEG,
    PEG_ITEMS,
    PriorResponse,
    PriorSession,
    ScaleScore,
    peg_of,
    scale_definitions,
    weeks_between,
)
from tpi_notes.services import clinic_settings, outcomes
from tpi_notes.services.context import AppContext
from tpi_notes.ui.diagram.scene import BodyDiagramScene
from tpi_notes.ui.editor.fields import OptionalSpin
from tpi_notes.ui.response_map import FAINT_ALPHA, tint_regions

LASTING = "lasting"
STYLE = """
ScoreRow QToolButton { min-height: 19px; padding: 0 1px; border: 1px solid #b8c2cc;
                       border-radius: 3px; background: white; }
ScoreRow QToolButton:checked { background: #1d6a8a; color: white; border-color: #1d6a8a; font-weight: 600; }
"""
PEG_SHORT = {"pain": "Pain", "enjoyment": "Enjoyment", "activity": "Activity"}  # the full wording in tooltips
MUSCLE_MIN = 150  # the response table's muscle column at its narrowest ("R upper trapezius")


class ScoreRow(QWidget):
    """A score in one click: a row of buttons (0…maximum by ``step``); a second click on the chosen one clears it."""

    valueChanged = Signal(int)  # noqa: N815 - as a spin box; -1 is "not recorded"

    def __init__(self, name: str, label: str, maximum: int, step: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setStyleSheet(STYLE)
        self._value = -1
        self.group = QButtonGroup(self)
        self.group.setExclusive(False)
        self.buttons: dict[int, QToolButton] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        for value in range(0, maximum + 1, step):
            button = QToolButton(self)
            button.setObjectName(f"{name}_{value}")
            button.setText(str(value))
            button.setCheckable(True)
            # never narrower than its number: a narrow window scrolls the page rather than show "…" (H33; the
            # style sheet's min-width, 16 px, replaced this minimum and "10" and "100" lost their digits)
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance(str(value)) + 10)
            button.setAccessibleName(f"{label} {value} of {maximum}")
            self.group.addButton(button, value)
            self.buttons[value] = button
            row.addWidget(button)
        row.addStretch(1)
        self.setAccessibleName(label)
        self.group.idClicked.connect(lambda v: self.setValue(-1 if v == self._value else v))

    def value(self) -> int:
        return self._value

    def optional_value(self) -> int | None:
        return None if self._value < 0 else self._value

    def setValue(self, value: int) -> None:  # noqa: N802 - as a spin box
        for v, button in self.buttons.items():
            button.setChecked(v == value)
        if value != self._value:
            self._value = value
            self.valueChanged.emit(value)

    def set_quietly(self, value: int | None) -> None:
        self.blockSignals(True)
        self.setValue(-1 if value is None else value)
        self.blockSignals(False)


def duration_combo(parent: QWidget | None = None, *, blank: bool = True) -> QComboBox:
    combo = QComboBox(parent)
    if blank:
        combo.addItem("—", None)
    combo.addItem("still lasting", LASTING)
    combo.addItem("< 1 week", 0)
    for weeks in range(1, 53):
        combo.addItem(f"{weeks} week{'s' if weeks > 1 else ''}", weeks)
    return combo


class OutcomesPanel(QFrame):
    changed = Signal()
    """The user recorded or changed a PEG item or a response."""

    def __init__(self, ctx: AppContext, patient_id: int, parent: QWidget | None = None, *,
                 scene: BodyDiagramScene | None = None) -> None:
        super().__init__(parent)
        self.scene = scene  # the editor's diagram: the response map as a faint layer on it
        self.tinted: dict[str, str] = {}  # region code → response class painted there
        self.setObjectName("outcomes_panel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Outcomes: PEG-3 and the response to the last session")
        self.ctx = ctx
        self.patient_id = patient_id
        self.prior: PriorSession | None = None
        self._measured: tuple[datetime | None, int | None] | None = None
        self._kept: tuple[PriorResponse, ...] = ()  # responses to another session (kept as loaded)
        self._loading = False
        column = QVBoxLayout(self)  # PEG and responses side by side; the NDI / ODI grids under them when enabled
        column.setContentsMargins(8, 3, 8, 3)
        column.setSpacing(8)
        outer = QHBoxLayout()
        outer.setSpacing(12)
        column.addLayout(outer)
        peg = QGridLayout()
        peg.setVerticalSpacing(1)
        peg.setContentsMargins(0, 0, 0, 0)
        self.peg_score = QLabel(self)
        self.peg_score.setObjectName("peg_score")
        self.peg_score.setWordWrap(True)  # wider than the score buttons: it set the column's width (H33)
        peg.addWidget(self.peg_score, 0, 0, 1, 2)
        self.peg: dict[str, ScoreRow] = {}
        labels = dict(zip(scale_definitions()[PEG].item_ids, scale_definitions()[PEG].item_labels, strict=True))
        for row, item in enumerate(PEG_ITEMS):
            score = ScoreRow(f"peg_{item}", labels[item], 10, parent=self)
            score.setToolTip(labels[item])
            score.valueChanged.connect(self._on_peg)
            self.peg[item] = score
            label = QLabel(PEG_SHORT[item] + ":", self)
            label.setToolTip(labels[item])
            peg.addWidget(label, row + 1, 0)
            peg.addWidget(score, row + 1, 1)
        outer.addLayout(peg, 0)
        try:
            codes = enabled_scales(clinic_settings.get_settings(ctx).functional_scales)
        except TpiError:
            codes = ()
        # NDI / ODI as the clinic chose: code → section → row; under the PEG, one column each
        self.extra: dict[str, dict[str, ScoreRow]] = {}
        self.extra_score: dict[str, QLabel] = {}
        self._extra_measured: dict[str, tuple[datetime | None, int | None] | None] = {}
        if codes:
            grids = QHBoxLayout()
            grids.setSpacing(24)
            for code in codes:
                grids.addLayout(self._scale_grid(code), 0)
            grids.addStretch(1)
            column.addLayout(grids)
        right = QVBoxLayout()
        right.setSpacing(1)
        self.prior_label = QLabel(self)
        self.prior_label.setObjectName("prior_session_label")
        self.prior_label.setWordWrap(True)  # the whole line, wrapped: on one line it pushed the tab sideways (H33)
        right.addWidget(self.prior_label)
        same = QHBoxLayout()
        same.setSpacing(4)
        self.same_label = QLabel("All the same, relief %:", self)
        self.same_label.setToolTip("One click sets every muscle's relief, with the duration on the right")
        same.addWidget(self.same_label)
        self.all_relief = ScoreRow("response_all", "Relief for every muscle", 100, 10, self)
        self.all_relief.valueChanged.connect(self._on_all)
        same.addWidget(self.all_relief)
        self.all_duration = duration_combo(self, blank=False)
        self.all_duration.setObjectName("response_all_duration")
        self.all_duration.setToolTip("How long the relief lasted (for every muscle)")
        self.all_duration.setMinimumContentsLength(9)
        self.all_duration.currentIndexChanged.connect(self._on_all_duration)
        same.addWidget(self.all_duration)
        right.addLayout(same)
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("response_table")
        self.table.setHorizontalHeaderLabels(["Muscle", "Relief", "Lasted"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        # the cells as wide as their boxes: a 76 px Relief column cut "Not recorded" to "Not recorde" and
        # pushed the duration box under the next column (H33); the table never narrower than its columns, so a
        # small window scrolls the page instead of clipping them
        relief, duration = OptionalSpin(100, " %", self), duration_combo(self)  # measured, never shown
        relief.hide()
        duration.hide()
        widths = (MUSCLE_MIN, *(max(box.sizeHint().width(), box.minimumWidth()) + 4 for box in (relief, duration)))
        relief.deleteLater()
        duration.deleteLater()
        self.table.setColumnWidth(1, widths[1])
        self.table.setColumnWidth(2, widths[2])
        self.table.setMinimumWidth(sum(widths) + 2 * self.table.frameWidth()
                                   + self.table.verticalScrollBar().sizeHint().width())
        self.table.verticalHeader().setDefaultSectionSize(25)
        right.addWidget(self.table)
        outer.addLayout(right, 1)

    def _scale_grid(self, code: str) -> QGridLayout:
        definition = scale_definitions()[code]
        grid = QGridLayout()
        grid.setVerticalSpacing(1)
        grid.setContentsMargins(0, 0, 0, 0)
        score = QLabel(self)
        score.setObjectName(f"{code}_score")
        score.setAccessibleName(definition.name)
        score.setToolTip(f"{definition.name}: enter the section answers (0–{definition.item_max}) from the clinic's "
                         "paper form; the score is the percent of the answered sections' maximum (8 of 10 needed)")
        self.extra_score[code] = score
        grid.addWidget(score, 0, 0, 1, 2)
        rows: dict[str, ScoreRow] = {}
        for row, (item, label) in enumerate(zip(definition.item_ids, definition.item_labels, strict=True)):
            section = ScoreRow(f"{code}_{item}", f"{code.upper()} {label}", definition.item_max, parent=self)
            section.valueChanged.connect(lambda _v, c=code: self._on_extra(c))
            rows[item] = section
            grid.addWidget(QLabel(label + ":", self), row + 1, 0)
            grid.addWidget(section, row + 1, 1)
        self.extra[code] = rows
        self._extra_measured[code] = None
        return grid

    # -- loading and applying ----------------------------------------------------------------------------------
    def load(self, draft: SessionDraft) -> None:
        """Show the draft's PEG and responses, with the muscles of the patient's last signed session before it."""
        self._loading = True
        try:
            found = peg_of(draft.scales)
            for i, item in enumerate(PEG_ITEMS):
                self.peg[item].set_quietly(found.items[i] if found and i < len(found.items) else None)
            self._measured = (found.measured_at, found.measured_by_id) if found else None
            for code, rows in self.extra.items():
                scale = next((s for s in draft.scales if s.scale == code), None)
                for i, section in enumerate(rows.values()):
                    section.set_quietly(scale.items[i] if scale and i < len(scale.items) else None)
                self._extra_measured[code] = (scale.measured_at, scale.measured_by_id) if scale else None
            try:
                self.prior = outcomes.prior_session(self.ctx, self.patient_id, draft.performed_start, draft.id)
            except TpiError:
                self.prior = None
            self._fill(draft.prior_responses)
            self._tint()
        finally:
            self._loading = False
        self._show_score()

    def asks_first(self) -> bool:
        """True while the patient was treated before and neither the PEG nor any response is recorded here."""
        has_prior = self.prior is not None and bool(self.prior.muscles)
        no_peg = all(self.peg[item].optional_value() is None for item in PEG_ITEMS)
        no_response = not any(self.table.cellWidget(row, 1).optional_value() is not None  # type: ignore[union-attr]
                              for row in range(self.table.rowCount()))
        return has_prior and no_peg and no_response

    def _tint(self) -> None:
        if self.scene is None:
            return
        try:
            found = outcomes.patient_outcomes(self.ctx, self.patient_id)
        except TpiError:
            return
        self.tinted = tint_regions(self.scene, found.muscles, FAINT_ALPHA)

    def _fill(self, responses: tuple[PriorResponse, ...]) -> None:
        prior = self.prior
        muscles = prior.muscles if prior else ()
        known = {r.key: r for r in responses}
        self._kept = tuple(r for r in responses if prior is None or r.prior_session_id != prior.id)
        self.table.setRowCount(len(muscles))
        self.table.setFixedHeight(34 + 25 * min(max(len(muscles), 1), 10))  # every muscle in view, up to ten
        for row, m in enumerate(muscles):
            item = QTableWidgetItem(m.label)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(row, 0, item)
            relief = OptionalSpin(100, " %", self.table)
            relief.setSingleStep(10)
            relief.setAccessibleName(f"Relief, {m.label}")
            duration = duration_combo(self.table)
            duration.setAccessibleName(f"Relief lasted, {m.label}")
            r = known.get((prior.id, m.muscle_id, m.side)) if prior else None
            if r is not None:
                relief.set_optional_value(r.relief_pct)
                duration.setCurrentIndex(duration.findData(LASTING if r.lasting else r.duration_weeks)
                                         if r.lasting or r.duration_weeks is not None else 0)
            relief.valueChanged.connect(self._emit)
            duration.currentIndexChanged.connect(self._emit)
            self.table.setCellWidget(row, 1, relief)
            self.table.setCellWidget(row, 2, duration)
        has_prior = prior is not None and bool(muscles)
        for widget in (self.same_label, self.all_relief, self.all_duration, self.table):
            widget.setVisible(has_prior)
        self.all_relief.set_quietly(None)
        if prior is None:
            self.prior_label.setText("First visit: no earlier signed session to record a response to.")
        else:
            text = f"Response to the last session, {prior.summary}"
            self.prior_label.setToolTip(text)
            self.prior_label.setText(text)

    def apply(self, draft: SessionDraft) -> SessionDraft:
        """``draft`` with the PEG and the responses shown here."""
        shown = {PEG: (tuple(self.peg[item].optional_value() for item in PEG_ITEMS), self._measured)}
        for code, rows in self.extra.items():
            shown[code] = (tuple(section.optional_value() for section in rows.values()), self._extra_measured[code])
        scales = [s for s in draft.scales if s.scale not in shown]  # a scale the clinic no longer shows: kept
        for code, (items, measured) in shown.items():
            if any(v is not None for v in items):
                at, by = measured or (None, None)
                if at is not None and at.date() != draft.performed_start.date():
                    at = draft.performed_start  # charted on another day (a back-dated session): as of the visit
                scales.append(ScaleScore(code, items, at, by))
        scales.sort(key=lambda s: s.scale)  # as the session's rows are read back: an untouched draft is unchanged
        # the responses too, in the order their rows are read back (prior session, muscle, side), not the table's
        responses = sorted(self._kept + self._responses(draft), key=lambda r: (r.prior_session_id, r.muscle_id, r.side))
        return replace(draft, scales=tuple(scales), prior_responses=tuple(responses))

    def _responses(self, draft: SessionDraft) -> tuple[PriorResponse, ...]:
        prior = self.prior
        if prior is None:
            return ()
        out = []
        for row, m in enumerate(prior.muscles):
            relief = self.table.cellWidget(row, 1).optional_value()  # type: ignore[union-attr]
            duration = self.table.cellWidget(row, 2).currentData()  # type: ignore[union-attr]
            if relief is None and duration is None:
                continue
            lasting = duration == LASTING
            weeks = weeks_between(prior.performed_start, draft.performed_start) if lasting else duration
            out.append(PriorResponse(prior.id, m.muscle_id, m.side, relief, weeks, lasting))
        return tuple(out)

    # -- user actions ----------------------------------------------------------------------------------------
    def _on_peg(self, _value: int) -> None:
        if self._loading:
            return
        if self._measured is None or self._measured[0] is None:
            self._measured = (_now_minute(), self.ctx.user_id)
        self._show_score()
        self.changed.emit()

    def _on_extra(self, code: str) -> None:
        if self._loading:
            return
        measured = self._extra_measured.get(code)
        if measured is None or measured[0] is None:
            self._extra_measured[code] = (_now_minute(), self.ctx.user_id)
        self._show_score()
        self.changed.emit()

    def _on_all(self, value: int) -> None:
        """One relief for every muscle, with the duration beside it."""
        if self._loading or value < 0:
            return
        self._set_rows(value, self.all_duration.currentData())

    def _on_all_duration(self, _index: int) -> None:
        if self._loading or self.all_relief.optional_value() is None:
            return
        self._set_rows(None, self.all_duration.currentData())

    def _set_rows(self, relief: int | None, duration: object) -> None:
        self._loading = True
        try:
            for row in range(self.table.rowCount()):
                if relief is not None:
                    self.table.cellWidget(row, 1).set_optional_value(relief)  # type: ignore[union-attr]
                combo = self.table.cellWidget(row, 2)
                combo.setCurrentIndex(combo.findData(duration))  # type: ignore[union-attr]
        finally:
            self._loading = False
        self.changed.emit()

    def _emit(self, *_args: object) -> None:
        if not self._loading:
            self.changed.emit()

    def _show_score(self) -> None:
        items = tuple(self.peg[item].optional_value() for item in PEG_ITEMS)
        score = ScaleScore(PEG, items).score
        if score is None:
            self.peg_score.setText("PEG-3, past week (recommended, not a sign blocker): score —")
        else:
            self.peg_score.setText(f"PEG-3, past week: score {score:.1f} / 10")
        for code, rows in self.extra.items():
            value = ScaleScore(code, tuple(section.optional_value() for section in rows.values())).score
            shown = "—" if value is None else f"{value:g} %"  # 8 of 10 sections needed (the tooltip says)
            self.extra_score[code].setText(f"{code.upper()}, from the clinic's form: score {shown}")


def _now_minute() -> datetime:
    return datetime.now().replace(second=0, microsecond=0)
