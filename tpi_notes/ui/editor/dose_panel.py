"""The always-visible dose panel (totals per drug against the patient's maximum) and per-site mg tooltips."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QBrush, QColor, QHelpEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.dosing import DoseSummary, dose_summary, site_doses
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.session import Site
from tpi_notes.ui.editor.reference import EditorReference
from tpi_notes.ui.style import DANGER, MUTED, set_role

# The totals' columns say only their unit (the panel's title says they are this session's totals), and their
# cells only the number: beside the findings panel the drug's name needs the width (issue 16 item 4; H33: the
# unit in every cell left "Triamcinolone …" some 100 px).
COLUMNS = ("Drug", "mL", "mg", "Max mg", "% max")
HEADER_TIPS = ("", "Total volume this session", "Total dose this session",
               "The patient's maximum for this drug", "The total as a share of the maximum")
WARN_PCT = 80.0
CAUTION = "#9a3412"


def _number(value: float) -> str:
    return f"{value:.4g}" if value < 1000 else f"{value:,.0f}"


def _mg(value: float) -> str:
    """One decimal at most: 8.3 mg, 12 mg."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def site_dose_text(site: Site, draft: SessionDraft, reference: EditorReference) -> str:
    """ "lidocaine 8 mg + triamcinolone acetonide 8 mg" for one site ("" when nothing is injected)."""
    doses = site_doses(site, draft, reference.formulary)
    parts = [f"{reference.drug_name(code)} {_mg(mg)} mg" for code, mg in doses.items()
             if reference.formulary[code].agent_class != "saline"]
    return " + ".join(parts)


def pct_colour(pct: float | None) -> str | None:
    if pct is None:
        return None
    return DANGER if pct >= 100 else CAUTION if pct >= WARN_PCT else None


class DosePanel(QFrame):
    """Totals per drug, the additive local-anesthetic fraction and the dose warnings, live."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        title = QLabel("DOSES THIS SESSION", self)
        set_role(title, "section")
        self.weight_label = QLabel(self)
        set_role(self.weight_label, "hint")
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("dose_table")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        for column, tip in enumerate(HEADER_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the drug takes the spare width
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # a long name ("Triamcinolone acetonide 40 mg/mL") wraps in its cell, the row as tall as it needs,
        # instead of "Triamcinolone …"; the table keeps every row in view as the widths change
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.sectionResized.connect(self._fit_height)
        self.table.verticalHeader().sectionResized.connect(self._fit_height)
        self.la_label = QLabel(self)
        self.la_label.setObjectName("local_anesthetic_total")
        self.la_label.setWordWrap(True)
        self.warnings_label = QLabel(self)
        self.warnings_label.setObjectName("dose_warnings")
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setStyleSheet(f"color: {CAUTION};")
        self.empty_label = QLabel("No drug given yet: injection sites with a syringe and a volume add up here.", self)
        self.empty_label.setWordWrap(True)
        set_role(self.empty_label, "hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 8)
        layout.setSpacing(4)
        layout.addWidget(title)
        layout.addWidget(self.weight_label)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.table)
        layout.addWidget(self.la_label)
        layout.addWidget(self.warnings_label)
        layout.addStretch(1)  # taller than its rows (beside a tall findings panel): the space goes below them
        self.summary: DoseSummary | None = None

    def show_draft(self, draft: SessionDraft, reference: EditorReference) -> DoseSummary:
        summary = dose_summary(draft, reference.formulary, reference.weight_kg)
        self.summary = summary
        weight = reference.weight_kg
        self.weight_label.setText(f"Maximums for {weight:g} kg" if weight is not None else
                                  "No weight on file: only absolute maximums apply")
        self.table.setRowCount(len(summary.rows))
        for row, dose in enumerate(summary.rows):
            cells = (dose.name, _number(dose.total_ml),
                     "—" if dose.agent_class == "saline" else _number(dose.total_mg),
                     "—" if dose.max_mg is None else _number(dose.max_mg),
                     "—" if dose.pct_of_max is None else f"{dose.pct_of_max:.0f} %")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setToolTip(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                colour = pct_colour(dose.pct_of_max) if column == 4 else None
                if colour:
                    item.setForeground(QBrush(QColor(colour)))
                self.table.setItem(row, column, item)
        self.table.setVisible(bool(summary.rows))
        self.empty_label.setVisible(not summary.rows)
        self._fit_height()
        la = summary.local_anesthetic_pct
        has_la = any(r.agent_class == "local_anesthetic" for r in summary.rows)
        if la is not None:
            colour = pct_colour(la) or MUTED
            self.la_label.setText(f"Local anesthetics together: <b style='color:{colour}'>{la:.0f} %</b> of the "
                                  "maximum (additive across agents)")
        self.la_label.setVisible(la is not None and has_la)
        self.warnings_label.setText("\n".join(f"⚠ {w}" for w in summary.warnings))
        self.warnings_label.setVisible(bool(summary.warnings))
        return summary

    def _fit_height(self, *_args: object) -> None:
        """Every row in view, however tall its wrapped drug name makes it."""
        table = self.table
        rows = sum(table.rowHeight(row) for row in range(table.rowCount()))
        table.setFixedHeight(table.horizontalHeader().sizeHint().height()
                             + (rows or table.verticalHeader().defaultSectionSize()) + 4)


class SiteDoseTips(QObject):
    """Tooltips on the site table: the mg of each drug given at the site under the pointer."""

    def __init__(self, table: QTableView, text_for_row: Callable[[int], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._table = table
        self._text_for_row = text_for_row
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self._table.indexAt(event.pos())
            if index.isValid() and index.column() != 1:  # the muscle column keeps its lung tooltip
                text = self._text_for_row(index.row())
                if text:
                    QToolTip.showText(event.globalPos(), text, self._table)
                    return True
        return super().eventFilter(watched, event)
