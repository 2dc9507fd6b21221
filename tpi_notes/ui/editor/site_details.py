"""Site details: the site selected in the table or on the diagram; every change is an undo step.

Inputs are named ``site_<Site field>`` (``site_estim.frequency_hz`` for the e-stim group) and their
messages ``error_site_<field>``; a save refused at ``sites[<n>].<field>`` shows its message here.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.anatomy import Atlas
from tpi_notes.domain.session import TECHNIQUES, Site
from tpi_notes.domain.sites import site_near_lung
from tpi_notes.ui.diagram.document import SiteDocument
from tpi_notes.ui.editor.fields import FieldErrors, align_labels, data_combo, editable_combo, select_data
from tpi_notes.ui.editor.site_commands import EditSiteCommand, with_technique
from tpi_notes.ui.editor.site_widgets import EStimGroup, SiteInputs
from tpi_notes.ui.style import set_role

INJECTION_NEEDLES = ("25 G × 1.5 in", "27 G × 1.25 in", "22 G × 3.5 in spinal")
DRY_NEEDLES = ("0.25 × 40 mm", "0.30 × 50 mm", "0.30 × 60 mm", "0.20 × 30 mm", "0.30 × 75 mm")
PROMPT = "Select a site in the table or on the diagram to see and edit its details."


class SiteDetailsPanel(QWidget):
    site_edited = Signal()
    """A site field was changed here (the change is already on the undo stack)."""

    def __init__(self, atlas: Atlas, document: SiteDocument, undo_stack: QUndoStack,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.atlas = atlas
        self.document = document
        self.undo_stack = undo_stack
        self.key: int | None = None
        self.errors = FieldErrors()
        self._site_errors: dict[int, dict[str, str]] = {}
        self._filling = False
        self._syringes: list[str] = []
        self._doses_text = ""
        self._needle_kind = ""
        self._first_bad: QWidget | None = None

        self.stack = QStackedWidget(self)
        self.prompt = QLabel(PROMPT, self)
        self.prompt.setWordWrap(True)
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_role(self.prompt, "hint")
        self.stack.addWidget(self.prompt)
        body = QWidget(self)
        self.stack.addWidget(body)
        self._show_page(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self.title = QLabel(body)
        self.title.setObjectName("site_title")
        self.title.setStyleSheet("font-weight: 600; font-size: 11pt;")
        self.title.setWordWrap(True)
        self.lung = QLabel("⚠ Over the lung: go shallow, and check breathing afterwards (pneumothorax risk).", body)
        self.lung.setWordWrap(True)
        self.lung.setStyleSheet("color: #9a3412; font-weight: 600;")
        self.doses = QLabel(body)
        self.doses.setObjectName("site_doses")
        self.doses.setWordWrap(True)
        self.inputs = SiteInputs(body)
        self.technique = data_combo([(v, k) for k, v in TECHNIQUES.items()], body)
        self.needle = editable_combo(INJECTION_NEEDLES, "Gauge × length", body)
        self.twitch = data_combo([("Not recorded", None), ("Yes", True), ("No", False)], body)
        self.note = QLineEdit(body)
        self.note.setPlaceholderText("Anything particular at this site")

        common = QFormLayout()
        common.addRow("Technique:", self.errors.cell("technique", self.technique, body))
        common.addRow("Needle:", self.errors.cell("needle", self.needle, body))
        self.injection_box = QGroupBox("Injection", body)
        form = QFormLayout(self.injection_box)
        for label, name in (("Syringe:", "preparation_label"), ("Volume:", "volume_ml"),
                            ("", "aspiration"), ("Passes:", "passes")):
            form.addRow(label, self.errors.cell(name, self.inputs.widget(name), self.injection_box))
        self.needling_box = QGroupBox("Dry needling", body)
        form = QFormLayout(self.needling_box)
        for label, name in (("Needles in:", "needles_in"), ("Needles out:", "needles_out"),
                            ("Dwell time:", "dwell_minutes")):
            form.addRow(label, self.errors.cell(name, self.inputs.widget(name), self.needling_box))
        self.estim = EStimGroup(self.errors, self.needling_box)
        form.addRow(self.estim)
        after = QFormLayout()
        after.addRow("Twitch response:", self.errors.cell("twitch", self.twitch, body))
        after.addRow("Note:", self.errors.cell("note", self.note, body))
        self.general_error = self.errors.label("site", body)
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)
        for widget in (self.title, self.lung, self.general_error, self.doses):
            column.addWidget(widget)
        column.addLayout(common)
        column.addWidget(self.injection_box)
        column.addWidget(self.needling_box)
        column.addLayout(after)
        column.addStretch(1)
        forms = [common, after] + [f for box in (self.injection_box, self.needling_box, self.estim)
                                   for f in box.findChildren(QFormLayout)]
        for f in forms:
            f.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        align_labels(forms, 130)
        chain = [self.technique, self.needle, *(self.inputs.widget(n) for n in (
            "preparation_label", "volume_ml", "aspiration", "passes", "needles_in", "needles_out", "dwell_minutes")),
            self.estim, *self.estim.spins.values(), self.estim.attended, self.twitch, self.note]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

        self.technique.currentIndexChanged.connect(self._on_technique)
        self.needle.editTextChanged.connect(lambda text: self._set("needle", text, "needle"))
        self.twitch.currentIndexChanged.connect(lambda _i: self._set("twitch", self.twitch.currentData(), "twitch"))
        self.note.textChanged.connect(lambda text: self._set("note", text, "note"))
        self.inputs.edited.connect(lambda name, value: self._set(name, value, name.replace("_", " ")))
        self.estim.edited.connect(lambda what, value: self._set("estim", value, "e-stim", merge=what))
        document.site_changed.connect(self._on_site_changed)
        document.site_removed.connect(self._on_site_removed)
        document.sites_renumbered.connect(self._refresh)

    # -- binding --------------------------------------------------------------------------------------
    def bind(self, key: int | None) -> None:
        """Show the site with this document key (None: the prompt)."""
        self.key = key
        self._refresh()

    def site(self) -> Site | None:
        return self.document.site(self.key) if self.key is not None else None

    def set_syringes(self, labels: list[str]) -> None:
        self._syringes = labels
        self._refresh()

    def set_doses(self, text: str) -> None:
        self._doses_text = text
        self.doses.setText(text)

    def _show_page(self, index: int) -> None:
        """The prompt or the site's fields, the stack as tall as the page shown: counting the hidden fields' height
        too, the tab scrolled a lone prompt and squeezed the findings panel to its minimum (H30 audit)."""
        self.stack.setCurrentIndex(index)
        for i in range(self.stack.count()):
            shown = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            self.stack.widget(i).setSizePolicy(shown, shown)
        self.stack.updateGeometry()

    @Slot()
    def _refresh(self) -> None:
        site = self.site()
        self._show_page(0 if site is None else 1)
        if site is None:
            return
        self._filling = True
        try:
            side = "patient's right" if site.side == "R" else "patient's left"  # never "R", read as the viewer's
            view = "back" if site.view == "posterior" else "front"
            self.title.setText(f"Site {site.number}  ·  {site.muscle}, {side}, {view} view")
            self.lung.setVisible(site_near_lung(self.atlas, site))
            select_data(self.technique, site.technique)
            injection = site.technique == "injection"
            self.injection_box.setVisible(injection)
            self.needling_box.setVisible(not injection)
            if self._needle_kind != site.technique:
                self._needle_kind = site.technique
                self.needle.clear()
                self.needle.addItems(INJECTION_NEEDLES if injection else DRY_NEEDLES)
                self.needle.setCurrentIndex(-1)
            if self.needle.currentText() != site.needle:
                self.needle.setEditText(site.needle)
            self.inputs.show_site(site, self._syringes)
            self.estim.show_estim(site.estim)
            select_data(self.twitch, site.twitch)
            if self.note.text() != site.note:
                self.note.setText(site.note)
        finally:
            self._filling = False
        self._show_errors()

    @Slot(int)
    def _on_site_changed(self, key: int) -> None:
        if key == self.key:
            self._refresh()

    @Slot(int, int)
    def _on_site_removed(self, key: int, _row: int) -> None:
        if key == self.key:
            self.bind(None)

    # -- editing --------------------------------------------------------------------------------------
    def _set(self, field: str, value: object, what: str, merge: str | None = None) -> None:
        site = self.site()
        if self._filling or site is None or getattr(site, field) == value:
            return
        self._push(replace(site, **{field: value}), f"Site {site.number}: {what}", merge or field)

    @Slot(int)
    def _on_technique(self, _index: int) -> None:
        site = self.site()
        technique = self.technique.currentData()
        if self._filling or site is None or site.technique == technique:
            return
        first = self._syringes[0] if self._syringes else None
        self._push(with_technique(site, technique, first), f"Site {site.number}: {TECHNIQUES[technique].lower()}",
                   "technique")

    def _push(self, new: Site, text: str, field: str) -> None:
        assert self.key is not None
        self.undo_stack.push(EditSiteCommand(self.document, self.key, new, text, field))
        self.site_edited.emit()

    # -- errors ---------------------------------------------------------------------------------------
    def set_errors(self, errors: dict[int, dict[str, str]]) -> None:
        """Messages per site key (from a refused save); the bound site's are shown now, others on selection."""
        self._site_errors = errors
        self._show_errors()

    def _show_errors(self) -> None:
        self.errors.clear()
        errors = self._site_errors.get(self.key, {}) if self.key is not None else {}
        shown = self.errors.show(errors)
        rest = [m for f, m in errors.items() if f not in self.errors.names()]
        if rest:
            self.general_error.setText("\n".join(rest))
            self.general_error.show()
        self._first_bad = shown[0] if shown else None

    def first_bad_field(self) -> QWidget | None:
        return self._first_bad

