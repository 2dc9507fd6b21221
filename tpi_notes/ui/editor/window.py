"""The session editor window: one draft, one screen — the diagram on the left, the forms and doses right.

The window builds a fresh SessionDraft from its panels after every change; "unsaved" means that draft
differs from the last one saved (or loaded). Save goes through ``services.drafts.save_draft`` only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QKeySequence, QResizeEvent, QShortcut, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.anatomy import load_atlas
from tpi_notes.domain.consent_risks import RISK_CODE, applicable_risks
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.findings import FindingOverride
from tpi_notes.domain.sites import site_near_lung
from tpi_notes.recovery import RecoveryStore
from tpi_notes.services.context import AppContext
from tpi_notes.ui.diagram.document import SiteDocument
from tpi_notes.ui.editor import saving
from tpi_notes.ui.editor.autosave import Autosaver, recovery_key
from tpi_notes.ui.editor.banners import EditorBanners, PatientStrip
from tpi_notes.ui.editor.carried import CarriedFrame
from tpi_notes.ui.editor.diagnosis_help import DiagnosisHelp
from tpi_notes.ui.editor.diagram import EditorDiagram
from tpi_notes.ui.editor.dose_panel import DosePanel, SiteDoseTips, site_dose_text
from tpi_notes.ui.editor.editor_actions import EditorActions
from tpi_notes.ui.editor.fields import INVALID_SPIN_STYLE, register_arrows
from tpi_notes.ui.editor.findings_answers import EditorAnswers
from tpi_notes.ui.editor.findings_panel import FindingsPanel
from tpi_notes.ui.editor.outcomes_panel import OutcomesPanel
from tpi_notes.ui.editor.page_fit import TabsFit
from tpi_notes.ui.editor.phrase_picker import EditorPhrases
from tpi_notes.ui.editor.post_procedure import PostProcedurePanel
from tpi_notes.ui.editor.pre_procedure import PreProcedurePanel, fit_columns
from tpi_notes.ui.editor.reference import EditorReference
from tpi_notes.ui.editor.screen_fit import fit_to_screen
from tpi_notes.ui.editor.site_details import SiteDetailsPanel
from tpi_notes.ui.editor.syringe_panel import SyringePanel
from tpi_notes.ui.editor.vial_desk import VialDesk

EXTRA_STYLE = """
QPlainTextEdit[invalid="true"], QTableWidget[invalid="true"] { border: 2px solid #b42318; border-radius: 4px; }
QGroupBox { font-weight: 600; border: 1px solid #d5dbe1; border-radius: 5px; margin-top: 10px; padding-top: 8px; }
QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; }
QTabBar::tab { padding: 7px 14px; }
QToolBar QToolButton { padding: 4px 8px; }
QToolBar QToolButton:disabled { color: #9aa5b1; }
QToolBar QToolButton::menu-indicator { image: none; }
"""


class FormPage(QScrollArea):
    """A tab's scroll area; a two-column form inside stacks its columns when the page is too narrow for both."""

    def __init__(self, form: QWidget) -> None:
        super().__init__()
        self.form = form

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        margins = self.widget().layout().contentsMargins() if self.widget() is not None else None
        inner = self.viewport().width() - (margins.left() + margins.right() if margins is not None else 0)
        fit_columns(self.form, inner)
        super().resizeEvent(event)


def _scrolled(widget: QWidget, tabs: QTabWidget, title: str, index: int = -1) -> QScrollArea:
    """A tab page scrolling ``widget``, put in ``tabs`` empty and then filled: a widget moved into a window with a
    style sheet is polished again with everything under it, so the form moves once, into its place, rather than
    into a holder, the holder into the scroll area, that into the tabs and so on up (H32: the first opening spent
    seconds there). The holder gets the form before it goes into the scroll area: put in empty first, the pages
    took more height than their forms need and the repeat visit's pain-before row fell out of sight at 1600 × 1000
    (the routine-note walk)."""
    area = FormPage(widget)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)  # never clip a narrow window
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab goes from the tab bar to the first field (H30 audit)
    tabs.insertTab(index, area, title)
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(12, 4, 12, 4)
    layout.addWidget(widget)
    layout.addStretch(1)
    area.setWidget(holder)
    return area


class SessionEditor(QMainWindow):
    """A top-level window charting one session (a draft)."""

    session_saved = Signal(int, int)
    """The draft was saved: (session id, patient id)."""
    session_signed = Signal(int, int)
    """The session was signed (and the editor is closing): (session id, patient id)."""

    def __init__(self, ctx: AppContext, draft: SessionDraft, reference: EditorReference, *,
                 baseline: SessionDraft | None, store: RecoveryStore | None = None, key: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ctx = ctx
        self.reference = reference
        self.setObjectName("session_editor")
        register_arrows()
        self.setStyleSheet(EXTRA_STYLE + INVALID_SPIN_STYLE)
        self.atlas = load_atlas(draft.atlas_version)
        self._base = draft
        self._baseline: SessionDraft | None = baseline
        self._loading = False
        self._day: date = draft.performed_start.date()
        self.active_dialog: QWidget | None = None
        self.signed_window: QWidget | None = None
        self.preview_window: QWidget | None = None
        self.undo_stack = QUndoStack(self)
        self.diagram = EditorDiagram(self.atlas, self.undo_stack, self._first_syringe, self)
        self.document: SiteDocument = self.diagram.document
        self.pre = PreProcedurePanel(reference, self)
        self.syringes = SyringePanel(reference, lambda: self._day, self)
        # Open vials of the session's room (its Location) and scanned vials (issue 16 item 6).
        self.vial_desk = VialDesk(ctx, reference, lambda: self.pre.location.text(),
                                  lambda: self.pre.performed_start.dateTime().toPython())
        self.syringes.set_desk(self.vial_desk)
        self.site_details = SiteDetailsPanel(self.atlas, self.document, self.undo_stack, self)
        self.post = PostProcedurePanel(self)
        self.dose = DosePanel(self)
        self.findings = FindingsPanel(ctx, self.current_draft, self)
        self.findings.fix_requested.connect(lambda code, subject: self.syringes.draw_up(subject)
                                            if code == "syringe_overdrawn" else None)
        self.banners = EditorBanners(self)
        self.strip = PatientStrip(reference.patient, self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("editor_tabs")
        self.tab_pages: dict[str, QScrollArea] = {}  # filled in _build_layout
        self.carried = CarriedFrame(self)
        self._build_layout()
        # PEG and response per muscle, and the response map as a faint layer on the diagram (issue 17)
        self.outcomes = OutcomesPanel(ctx, draft.patient_id, self, scene=self.diagram.scene)
        self.outcomes_slot.addWidget(self.outcomes)
        self.outcomes.changed.connect(self._on_changed)
        self.editor_actions = EditorActions(self)
        self.phrases = EditorPhrases(self)  # F2 in a free-text field (issue 16 item 2)
        self.diagnosis_help = DiagnosisHelp(self)  # one-click codes for the muscles treated, and favourites
        self.tips = SiteDoseTips(self.diagram.table, self._site_tip, self)
        self.autosave = Autosaver(store or RecoveryStore.for_database(ctx.url), key or recovery_key(draft),
                                  lambda: (self.current_draft(), reference.patient_label), self)
        self._connect()
        self.load_draft(draft, baseline)
        fit_to_screen(self, parent)  # 1600 × 1000 where the screen has room, never off it (screen_fit.py)
        if self.outcomes.asks_first():
            # a returning patient's PEG and response to the last session are measured before the procedure
            # (issue 17): the editor opens on them while they are still empty
            self.tabs.setCurrentWidget(self.tab_pages["outcomes"])
        elif not draft.sites:  # a session starts with its sites: the keyboard is in the add-site box at once
            self.diagram.entry.muscle.setFocus(Qt.FocusReason.OtherFocusReason)

    def _build_layout(self) -> None:
        """Diagram and sites left; the forms right, each tab one screen at 1600 × 1000 (two columns, no scrolling),
        over the findings and the doses side by side, so every sign blocker stays in view (issue 16 item 4): the
        forms take the height the tab shown needs, the findings (the wider) the rest (ui/editor/page_fit.py)."""
        # Built from the window down, the frame in place first and each panel then moved once, into its place (see
        # _scrolled for why).
        central = QWidget(self)
        self.setCentralWidget(central)
        splitter = QSplitter(Qt.Orientation.Horizontal, central)
        splitter.addWidget(self.diagram)
        right = QWidget(splitter)
        splitter.addWidget(right)
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addWidget(self.tabs, 1)  # capped at what the page shown needs (TabsFit): the rest goes below
        for name, title, panel in (("pre", "Pre-procedure", self.pre), ("syringes", "Syringes", self.syringes),
                                   ("site", "Site details", self.site_details),
                                   ("post", "Post-procedure", self.post)):
            self.tab_pages[name] = _scrolled(panel, self.tabs, title)
        # Issue 17 (outcomes): the PEG and prior-response panel goes in this slot, a tab of its own after the
        # pre-procedure form (``self.outcomes_slot.addWidget(panel)``): under the forms it took 165 px of their
        # height, and the routine note no longer fitted 1600 × 1000; it is not a sign blocker.
        outcomes = QWidget(self)
        self.outcomes_slot = QVBoxLayout(outcomes)
        self.outcomes_slot.setContentsMargins(0, 0, 0, 0)
        self.tab_pages["outcomes"] = _scrolled(outcomes, self.tabs, "Outcomes", 1)
        below = QHBoxLayout()
        below.setSpacing(8)
        below.addWidget(self.findings, 5)  # 5:3 (was 3:2): a copied-forward visit's blockers wrap less (H30 audit)
        below.addWidget(self.dose, 3)
        column.addLayout(below)
        for panel, least in ((self.findings, 360), (self.dose, 340)):  # the widths by the stretch alone: the
            panel.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # dose table's hint
            panel.setMinimumWidth(least)  # would otherwise take half
        self.findings.setMinimumHeight(160)  # a stop, the blockers and the codes stay in view beside the forms
        self.tabs_fit = TabsFit(self.tabs)
        for page in self.tab_pages.values():
            self.tabs_fit.watch(page)
        splitter.setObjectName("editor_splitter")
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([520, 1060])
        right.setMinimumWidth(600)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(6)
        layout.addWidget(self.strip)
        layout.addWidget(self.banners)
        # "as on 2026-09-04 — confirm" (issue 16 item 1) across the window: over the forms alone it wrapped to four
        # lines, the height the findings panel needed for a copied-forward visit's blockers (H30 audit)
        layout.addWidget(self.carried.bar)
        layout.addWidget(splitter, 1)
        self.splitter = splitter
        # Tab from the site table goes to the tab bar, then into the form shown (the panels, made before the tab
        # bar and moved into their pages within this window, would otherwise come first in the focus chain)
        QWidget.setTabOrder(self.diagram.table, self.tabs.tabBar())

    def _connect(self) -> None:
        for signal in (self.pre.changed, self.syringes.changed, self.post.changed,
                       self.document.site_inserted, self.document.site_removed, self.document.site_changed):
            signal.connect(self._on_changed)
        self.pre.pain_before.valueChanged.connect(lambda _v: self.post.set_pain_before(
            self.pre.pain_before.optional_value()))
        self.pre.add_physician_requested.connect(lambda: saving.add_physician(self))
        self.syringes.labels_changed.connect(self.site_details.set_syringes)
        self.diagram.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.banners.reload_requested.connect(lambda: saving.reload(self))
        self.findings.override_given.connect(self.set_override)
        self.findings.field_requested.connect(self._go_to_field)
        # a blocker's usual answer beside its link: lots, pain after, respiratory check (issue 16)
        self.answers = EditorAnswers(self, self.vial_desk)
        self.findings.lot_offers = self.answers.lot_offers
        self.findings.answer_given.connect(self.answers.answer)
        self.findings.lots_accepted.connect(
            lambda offers: self.findings.show_answer_error("\n".join(self.answers.use_lots(offers))))
        self.vial_desk.on_change(self._vials_changed)
        self._site_keys()
        self.pre.risk_reason_given.connect(lambda risk, reason: self.set_override(RISK_CODE, risk, reason))

    def _vials_changed(self) -> None:
        """A vial recorded, discarded or found gone: every syringe row and the lots answer offer what is left now
        (not after the open vials are next read)."""
        self.syringes.refresh_offers()
        self.findings.refresh_now()

    # -- the draft ------------------------------------------------------------------------------------
    def current_draft(self) -> SessionDraft:
        """What the editor shows, as a SessionDraft (identity and row version from the last load/save)."""
        draft = self.outcomes.apply(self.post.apply(self.pre.apply(self._base)))
        return replace(draft, preparations=self.syringes.preparations(), sites=tuple(self.document.sites()))

    def is_dirty(self) -> bool:
        return self._baseline is None or self.current_draft() != self._baseline

    @property
    def draft_id(self) -> int | None:
        return self._base.id

    def load_draft(self, draft: SessionDraft, baseline: SessionDraft | None) -> None:
        """Show ``draft`` from scratch (sites, syringes, forms); the undo history starts over."""
        self._loading = True
        self.carried.reset()
        try:
            self._base = draft
            self._day = draft.performed_start.date()
            self.site_details.bind(None)
            for key in list(self.document.site_keys()):
                self.document.remove(key)
            for row, site in enumerate(draft.sites):
                self.document.insert(row, self.document.new_key(), site)
            self.undo_stack.clear()
            self.syringes.load(draft.preparations)
            self.pre.load(draft)
            self.post.load(draft)
            self.outcomes.load(draft)
        finally:
            self._loading = False
        self._baseline = baseline
        self.refresh_derived()
        self.diagnosis_help.refresh()  # the codes just loaded are chosen: no longer suggested beside them
        self.findings.refresh_now()

    def mark_saved(self, saved: SessionDraft) -> None:
        """After a save: adopt the stored identity and whatever the service tidied (trimmed text, lots)."""
        self._loading = True
        try:
            self._base = saved
            if self.pre.apply(saved) != saved:
                self.pre.load(saved)
            if self.post.apply(saved) != saved:
                self.post.load(saved)
            if self.syringes.preparations() != saved.preparations:
                self.syringes.load(saved.preparations)
            if tuple(self.document.sites()) != saved.sites and len(self.document) == len(saved.sites):
                for key, site in zip(self.document.site_keys(), saved.sites, strict=True):
                    if self.document.site(key) != site:
                        self.document.replace(key, site)
        finally:
            self._loading = False
        self._baseline = saved
        self.refresh_derived()

    @Slot()
    def _on_changed(self) -> None:
        if self._loading:
            return
        if self.refresh_derived():
            self.autosave.schedule()
        else:
            self.autosave.discard()

    def refresh_derived(self) -> bool:
        """Everything computed from the draft (rows per muscle, lung warnings, doses, title); returns dirty."""
        sites, preps = tuple(self.document.sites()), self.syringes.preparations()
        self.pre.set_applicable_risks(applicable_risks(sites, preps, self.reference.formulary, self.atlas))
        draft = self.carried.follow(self.current_draft())  # an edited carried field is no longer carried
        sites = list(draft.sites)
        self.pre.set_sites(sites)
        self.syringes.set_sites(sites)
        self.post.set_near_lung([s.number for s in sites if site_near_lung(self.atlas, s)])
        if draft.performed_start.date() != self._day:
            self._day = draft.performed_start.date()
            self.syringes.refresh_expiry()
        self.dose.show_draft(draft, self.reference)
        self.findings.schedule()
        site = self.site_details.site()
        given = site_dose_text(site, draft, self.reference) if site is not None else ""
        self.site_details.set_doses(f"Given here: {given}" if given else "")
        return self.update_title(draft)

    def update_title(self, draft: SessionDraft) -> bool:
        """"Session <date> — <patient>[*]" (no space before the mark: Qt drops a hidden "[*]", not the space), the modified mark and the state in words; returns dirty."""
        self.setWindowTitle(f"Session {draft.performed_start:%Y-%m-%d} — {self.reference.patient.display_name}[*]")
        dirty = self._baseline is None or draft != self._baseline
        self.setWindowModified(dirty)
        self.editor_actions.show_state(draft.id is not None, dirty)
        return dirty

    @Slot(str, str, str)
    def set_override(self, code: str, subject: str, reason: str) -> None:
        """Record the physician's reason to proceed despite a stop (saved with the draft)."""
        kept = tuple(o for o in self._base.overrides if (o.code, o.subject) != (code, subject))
        if code == RISK_CODE:
            self.pre.note_reason(subject, reason.strip())
        self._base = replace(self._base, overrides=(*kept, FindingOverride(code, subject, reason.strip())))
        self._on_changed()
        self.findings.refresh_now()

    def _site_keys(self) -> None:
        """The sites without the mouse: Enter in the site table edits the chosen site; Alt+PgDown / Alt+PgUp
        anywhere in the window go to the next / previous site (its details shown, the keyboard kept there)."""
        table = self.diagram.table
        table.setToolTip("↑↓ choose a site · Enter edits it · Alt+PgDown / Alt+PgUp: next / previous site")
        edit = QShortcut(QKeySequence(Qt.Key.Key_Return), table, context=Qt.ShortcutContext.WidgetShortcut)
        edit.activated.connect(self.edit_current_site)
        enter = QShortcut(QKeySequence(Qt.Key.Key_Enter), table, context=Qt.ShortcutContext.WidgetShortcut)
        enter.activated.connect(self.edit_current_site)
        for keys, step in (("Alt+PgDown", 1), ("Alt+PgUp", -1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(lambda s=step: self.step_site(s))

    @Slot()
    def edit_current_site(self) -> None:
        rows = self.diagram.table.selectionModel().selectedRows()
        if rows:
            self.select_site(rows[0].row() + 1)
            self.tabs.setCurrentWidget(self.tab_pages["site"])
            self.site_details.technique.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def step_site(self, step: int) -> None:
        """The next (1) or previous (-1) site, wrapping round; the keyboard goes to its details."""
        if not len(self.document):
            return
        rows = self.diagram.table.selectionModel().selectedRows()
        current = rows[0].row() if rows else (-1 if step > 0 else 0)
        self.select_site((current + step) % len(self.document) + 1)
        self.edit_current_site()

    @Slot(str, str)
    def _go_to_field(self, key: str, message: str) -> None:
        from tpi_notes.ui.editor.signing_dialog import go_to_field  # signing imports this module

        go_to_field(self, key, message)

    # -- sites ----------------------------------------------------------------------------------------
    def _first_syringe(self) -> str | None:
        labels = self.syringes.labels()
        if labels:
            return labels[0]
        return self.syringes.add_syringe().label  # the first injection site brings syringe A with it

    @Slot()
    def _on_selection(self) -> None:
        known = set(self.document.site_keys())
        keys = [k for k in self.diagram.selected_keys() if k in known]  # during a removal the views lag behind
        self.site_details.bind(keys[0] if len(keys) == 1 else None)
        if len(keys) == 1 and not self._loading and not self.diagram.adding_site:
            # a site chosen to look at shows its details; one just added leaves the form in view (the next site,
            # the exam row it brought): its details are a click away, in the table or on the tab
            self.tabs.setCurrentWidget(self.tab_pages["site"])
        self.refresh_derived()

    def select_site(self, number: int) -> int | None:
        """Select site ``number`` in the table and on the diagram; returns its document key."""
        if not 1 <= number <= len(self.document):
            return None
        key = self.document.key_at(number - 1)
        self.diagram.table.selectRow(number - 1)
        self.site_details.bind(key)
        return key

    def _site_tip(self, row: int) -> str:
        if row >= len(self.document):
            return ""
        site = self.document.site(self.document.key_at(row))
        text = site_dose_text(site, self.current_draft(), self.reference)
        return f"Site {site.number}: {text}" if text else ""

    # -- saving and closing ---------------------------------------------------------------------------
    @Slot()
    def save(self) -> bool:
        return saving.save(self)

    def close_keeping_journal(self) -> bool:
        """Close without asking, leaving unsaved changes in the recovery journal (signing out from the lock
        screen, when the person who typed them is not there to answer); they are offered at the next sign-in."""
        if self.is_dirty():
            self.autosave.write_now()
        self._keep_journal = True
        return self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if getattr(self, "_keep_journal", False):
            self.autosave.timer.stop()
            super().closeEvent(event)
            return
        if self.is_dirty():
            answer = QMessageBox.question(
                self, "Unsaved changes", "This session has changes that are not saved. Save them before closing?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
            if answer == QMessageBox.StandardButton.Save:
                if not self.save():
                    event.ignore()
                    return
            elif answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        self.autosave.discard()
        super().closeEvent(event)
