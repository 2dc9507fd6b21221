"""The patient list: a search box that searches as you type, the matching patients and a count."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.text_input import short_date
from tpi_notes.ui.style import set_role

# The services (and SQLAlchemy behind them) are loaded after the first paint: the list is built empty, saying the
# database is being opened, and given the clinic once it is open (issue 19).
if TYPE_CHECKING:
    from tpi_notes.domain.patient import PatientSummary
    from tpi_notes.services.context import AppContext

SEARCH_DELAY_MS = 150
SEARCH_PLACEHOLDER = "Search name, MRN or date of birth"
OPENING_PLACEHOLDER = "Opening the clinic database…"
SIZED_ROWS = 100
"""Rows (besides those in view) the date-of-birth and MRN columns are sized to: all 500 of a first page cost
about 60 ms more at start-up and at every keystroke, for widths that rows of one format hardly change."""
PATIENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
_ANSWERED_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, PATIENT_ID_ROLE)
_HEADERS = ("Name", "Date of birth", "MRN")

AnyIndex = QModelIndex | QPersistentModelIndex


class PatientListModel(QAbstractTableModel):
    """Rows of :class:`PatientSummary`: "Family, Given", date of birth and MRN."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PatientSummary] = []

    def set_patients(self, rows: list[PatientSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def patient_at(self, row: int) -> PatientSummary | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, patient_id: int) -> int:
        return next((i for i, p in enumerate(self._rows) if p.id == patient_id), -1)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ANSWERED_ROLES:
            return None  # the view asks about ten roles a cell at every paint and sizing: most need no row
        patient = self.patient_at(index.row()) if index.isValid() else None
        if patient is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return patient.display_name
            if index.column() == 1:
                return short_date(patient.birth_date) if patient.birth_date else ""
            return patient.mrn
        if role == Qt.ItemDataRole.ToolTipRole:
            birth = patient.birth_date.isoformat() if patient.birth_date else "unknown"
            return f"{patient.display_name}\nDOB {birth} · MRN {patient.mrn}"
        if role == PATIENT_ID_ROLE:
            return patient.id
        return None


class PatientListPanel(QWidget):
    """Search field, count and the list; tells the window which patient is selected or opened."""

    patient_selected = Signal(object)
    """The current patient changed: its id, or None when nothing is selected."""

    patient_activated = Signal(int)
    """A patient was double-clicked or Enter was pressed on it: open it for editing."""

    def __init__(self, ctx: AppContext | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.demo_available = True
        self._announced: int | None = None
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("patient_search")
        self.search_edit.setPlaceholderText(SEARCH_PLACEHOLDER)
        self.search_edit.setClearButtonEnabled(True)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("patient_count")
        set_role(self.count_label, "count")
        self.model = PatientListModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("patient_view")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)  # Tab goes on to the patient's page, not cell by cell in this list
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(28)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setResizeContentsPrecision(SIZED_ROWS)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.hint_label = QLabel(self)
        self.hint_label.setObjectName("patient_list_hint")
        self.hint_label.setWordWrap(True)
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.hint_label.setContentsMargins(12, 24, 12, 12)
        set_role(self.hint_label, "hint")
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.view)
        self._stack.addWidget(self.hint_label)

        self.setMinimumWidth(240)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.count_label)
        layout.addWidget(self._stack, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        self.search_edit.textChanged.connect(self._on_text_changed)
        self.search_edit.returnPressed.connect(self._search_now)
        self.search_edit.installEventFilter(self)
        self.view.installEventFilter(self)
        self.view.doubleClicked.connect(self._on_double_clicked)
        self.view.selectionModel().currentRowChanged.connect(self._on_current_changed)
        if ctx is None:
            # Nothing typed before the clinic is open lands in the box: the login comes first, and keys typed
            # ahead of it are most likely the user name or the password, never to be shown as a search.
            self.hint_label.setText(OPENING_PLACEHOLDER)
            self._stack.setCurrentWidget(self.hint_label)
            self.search_edit.setEnabled(False)
            self.search_edit.setPlaceholderText(OPENING_PLACEHOLDER)
        else:
            self.open_clinic(ctx)

    def open_clinic(self, ctx: AppContext) -> None:
        """Search ``ctx``'s patients from now on (the list is empty until :meth:`refresh`)."""
        from tpi_notes.services import patients as patient_service

        self._ctx = ctx
        self.search_edit.setMaxLength(patient_service.SEARCH_TEXT_MAX)
        self.search_edit.setPlaceholderText(SEARCH_PLACEHOLDER)
        self.search_edit.setEnabled(True)

    # -- searching ---------------------------------------------------------------------------------------
    @Slot(str)
    def _on_text_changed(self, _text: str) -> None:
        self._timer.start()

    @Slot()
    def _search_now(self) -> None:
        self._timer.stop()
        self.refresh()
        if self.model.rowCount() and self.current_patient_id() is None:
            self.view.setFocus()
            self.select_patient(self.model.patient_at(0).id)  # type: ignore[union-attr]

    @property
    def search_pending(self) -> bool:
        """True between a keystroke and the debounced search it starts."""
        return self._timer.isActive()

    @Slot()
    def refresh(self) -> None:
        """Run the search for the current text, keeping the selected patient selected if still listed."""
        from tpi_notes.services import patients as patient_service

        self._timer.stop()
        if self._ctx is None:
            return  # still opening the database
        keep = self.current_patient_id()
        text = self.search_edit.text().strip()
        rows = patient_service.search_patients(self._ctx, text, limit=patient_service.SEARCH_LIMIT)
        self.model.set_patients(rows)
        self._update_count(text, rows)
        if keep is not None and self.model.row_of(keep) >= 0:
            self.select_patient(keep)
        else:
            self._announce(None)

    def _update_count(self, text: str, rows: list[PatientSummary]) -> None:
        from tpi_notes.services import patients as patient_service

        limit = patient_service.SEARCH_LIMIT
        if not text:
            total = patient_service.count_patients(self._ctx)
            if total == 0:
                self.count_label.setText("No patients yet")
                self.hint_label.setText("Press Ctrl+N to register the first patient, or load the demo clinic "
                                        "to look around." if self.demo_available else
                                        "Press Ctrl+N to register the first patient.")
            elif total > len(rows):
                self.count_label.setText(f"Showing first {len(rows):,} of {total:,} — refine the search")
            else:
                self.count_label.setText(f"{total:,} patient{'s' if total != 1 else ''}")
        elif not rows:
            self.count_label.setText("No matches")
            # non-breaking hyphens: a narrow list wrapped the format as "YYYY-MM-" / "DD"
            self.hint_label.setText(f"No patient matches “{text}”.\n\nTry part of a name, the MRN or the "
                                    "date of birth (YYYY\u2011MM\u2011DD).")
        elif len(rows) >= limit:
            self.count_label.setText(f"Showing first {limit:,} — refine the search")
        else:
            self.count_label.setText(f"{len(rows):,} match{'es' if len(rows) != 1 else ''}")
        self._stack.setCurrentWidget(self.view if rows else self.hint_label)

    # -- selection ---------------------------------------------------------------------------------------
    def current_patient_id(self) -> int | None:
        patient = self.model.patient_at(self.view.currentIndex().row())
        return patient.id if patient is not None else None

    def select_patient(self, patient_id: int) -> bool:
        """Make ``patient_id`` current if it is listed (emits :attr:`patient_selected`)."""
        row = self.model.row_of(patient_id)
        if row < 0:
            return False
        index = self.model.index(row, 0)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        patient = self.model.patient_at(current.row()) if current.isValid() else None
        self._announce(patient.id if patient else None)

    def _announce(self, patient_id: int | None) -> None:
        # A search that keeps the same patient listed must not reload (and re-audit) the record.
        if patient_id != self._announced:
            self._announced = patient_id
            self.patient_selected.emit(patient_id)

    @Slot(QModelIndex)
    def _on_double_clicked(self, index: QModelIndex) -> None:
        patient = self.model.patient_at(index.row())
        if patient is not None:
            self.patient_activated.emit(patient.id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.view and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                patient_id = self.current_patient_id()
                if patient_id is not None:
                    self.patient_activated.emit(patient_id)
                    return True
            if watched is self.search_edit and key == Qt.Key.Key_Down and self.model.rowCount():
                self.view.setFocus()
                if self.current_patient_id() is None:
                    self.view.setCurrentIndex(self.model.index(0, 0))
                return True
        return super().eventFilter(watched, event)
