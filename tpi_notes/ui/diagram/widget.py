"""The body diagram as one widget: toolbar, both views, legend and the synchronised site table."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QPointF, Qt, Slot
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QPixmap, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.anatomy import Atlas, Region
from tpi_notes.domain.session import TECHNIQUES, EStim, Site
from tpi_notes.domain.sites import move_site, place_site, with_muscle
from tpi_notes.palette import MARKER_COLOURS, MARKER_LABELS
from tpi_notes.ui.diagram.commands import AddSiteCommand, ChangeSiteCommand, RemoveSiteCommand
from tpi_notes.ui.diagram.document import SiteDocument
from tpi_notes.ui.diagram.items import site_words
from tpi_notes.ui.diagram.scene import BodyDiagramScene
from tpi_notes.ui.diagram.site_entry import SiteEntry
from tpi_notes.ui.diagram.site_table import SiteTableModel
from tpi_notes.ui.diagram.view import DiagramView

LEGEND = tuple(MARKER_LABELS.items())
HOVER_HINT = "Point at a muscle to see its name and side; click it to add a site."
READ_ONLY_HINT = "The sites of this session. Point at a muscle to see its name and side."  # nothing to click
NEW_ESTIM = EStim(frequency_hz=0.0, pulse_width_us=0.0, intensity_ma=0.0, minutes=0.0, attended=False)
"""A site added as "dry needling + e-stim": e-stim on, its settings still to record (never invented)."""
HOW_TO = ("Front and back views of the body; each muscle region is the patient's right or left (on the front view "
          "the patient's right is on the viewer's left). To add a site without the mouse, type the muscle in the "
          "Add site box (Alt+D).")


def describe_sites(sites: list[Site]) -> str:
    """"2 sites: 1, patient's right upper trapezius, back view, injection; 2, …" (or "No sites yet.")."""
    if not sites:
        return "No sites yet."
    words = [site_words(s).removeprefix("Site ").replace(":", ",", 1) for s in sites]
    return f"{len(sites)} site{'s' if len(sites) > 1 else ''}: " + "; ".join(words) + "."


def _dot(colour: str) -> QPixmap:
    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, 12, 12)
    painter.end()
    return pixmap


class BodyDiagramWidget(QWidget):
    def __init__(self, atlas: Atlas, document: SiteDocument | None = None, undo_stack: QUndoStack | None = None,
                 parent: QWidget | None = None, *, editable: bool = True) -> None:
        super().__init__(parent)
        self.atlas = atlas
        self.editable = editable
        self.document = document if document is not None else SiteDocument(parent=self)
        self.undo_stack = undo_stack or QUndoStack(self)
        self.scene = BodyDiagramScene(atlas, self.document, self, editable=editable)
        self.view = DiagramView(self.scene)
        self.model = SiteTableModel(self.document, atlas)
        self.table = QTableView()
        self._syncing = False
        self._build()
        self.scene.site_requested.connect(self._on_site_requested)
        self.scene.markers_moved.connect(self._on_markers_moved)
        self.scene.marker_menu_requested.connect(self._on_marker_menu)
        self.scene.region_hovered.connect(self._on_hovered)
        self.scene.selectionChanged.connect(self._scene_selection_changed)
        self.table.selectionModel().selectionChanged.connect(self._table_selection_changed)

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        bar = QHBoxLayout()
        prompt = QLabel("Click to add:" if self.editable else
                        f"Atlas version {self.atlas.version} — read only")
        bar.addWidget(prompt)
        self.technique_group = QButtonGroup(self)
        for key, label in TECHNIQUES.items():
            button = QToolButton(self)  # parented at once: a parentless widget made visible flashes as a window
            button.setVisible(self.editable)
            button.setText(label)
            button.setCheckable(True)
            button.setObjectName(f"technique_{key}")
            button.setAccessibleName(f"New sites as {label.lower()}")
            button.setChecked(key == "injection")
            self.technique_group.addButton(button)
            bar.addWidget(button)
        bar.addSpacing(8)
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, keys, slot in (
            ("undo", "Undo", [QKeySequence.StandardKey.Undo], self.undo_stack.undo),
            ("redo", "Redo", [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")], self.undo_stack.redo),
            ("delete", "Delete site", [QKeySequence.StandardKey.Delete, QKeySequence("Backspace")],
             self.delete_selected),
            ("fit", "Fit", [QKeySequence("Ctrl+0")], self.view.fit),
        ):
            action = QAction(text, self)
            action.setShortcuts(keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            self.actions_by_name[name] = action
            action.setEnabled(self.editable)
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setVisible(self.editable or name == "fit")
            bar.addWidget(button)
        self.actions_by_name["fit"].setEnabled(True)
        if self.editable:
            self.undo_stack.canUndoChanged.connect(self.actions_by_name["undo"].setEnabled)
            self.undo_stack.canRedoChanged.connect(self.actions_by_name["redo"].setEnabled)
            self.actions_by_name["undo"].setEnabled(self.undo_stack.canUndo())
            self.actions_by_name["redo"].setEnabled(self.undo_stack.canRedo())
        bar.addStretch(1)
        # the muscle under the pointer, on a line of its own so a full toolbar never squeezes it away
        self.hover_label = QLabel(HOVER_HINT if self.editable else READ_ONLY_HINT, self)
        self.hover_label.setObjectName("hover_label")
        self.hover_label.setMinimumHeight(self.hover_label.fontMetrics().height() + 4)
        self.hover_label.setStyleSheet("color: #0b3d91; font-weight: 600;")
        self.entry = SiteEntry(self.atlas, self)
        self.entry.setVisible(self.editable)
        self.entry.add_requested.connect(self.add_at_regions)
        # the toolbar's buttons and the entry's technique box are one choice (e-stim only in the box)
        self.entry.technique_chosen.connect(self._technique_from_entry)
        self.technique_group.buttonClicked.connect(
            lambda button: self.entry.set_technique(button.objectName().removeprefix("technique_")))

        self.table.setModel(self.model)
        self.table.setAccessibleName("Sites")
        # Tab leaves the table (↑↓ choose a site): with Qt's tab navigation Tab went from cell to cell and round
        # again, and the keyboard never reached the forms (H30 audit)
        self.table.setTabKeyNavigation(False)
        self.view.setAccessibleName("Body diagram")
        self.view.setWhatsThis(HOW_TO if self.editable else HOW_TO.split(" To add")[0])  # the accessible help
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

        legend = QHBoxLayout()
        for key, label in LEGEND:
            dot = QLabel()
            dot.setPixmap(_dot(MARKER_COLOURS[key]))
            legend.addWidget(dot)
            legend.addWidget(QLabel(label))
            legend.addSpacing(10)
        legend.addStretch(1)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addLayout(legend)
        side_layout.addWidget(self.table)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.view)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([820, 560])
        side.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.entry)
        layout.addWidget(self.hover_label)
        layout.addWidget(splitter, 1)
        self.document.site_inserted.connect(self._describe)
        self.document.site_removed.connect(self._describe)
        self.document.site_changed.connect(self._describe)
        self._describe()

    @property
    def technique(self) -> str:
        checked = self.technique_group.checkedButton()
        return checked.objectName().removeprefix("technique_") if checked else "injection"

    @property
    def with_estim(self) -> bool:
        """New dry-needling sites come with e-stim on (chosen in the add-site box)."""
        return self.technique == "dry_needling" and self.entry.technique.currentData() == "estim"

    @Slot(str)
    def _technique_from_entry(self, key: str) -> None:
        button = self.findChild(QToolButton, f"technique_{'dry_needling' if key == 'estim' else key}")
        if button is not None and not button.isChecked():
            button.setChecked(True)

    # -- editing through the undo stack ----------------------------------------------------------
    def new_site(self, view: str, x: float, y: float, muscle_id: str | None = None) -> Site | None:
        """The site a click (or the add-site box) asks for, with the technique chosen; ``muscle_id`` may name a
        deep muscle of the region there. None where there is no muscle."""
        site = place_site(self.atlas, view, x, y, len(self.document) + 1, self.technique)
        if site is None:
            return None
        if muscle_id and muscle_id != site.muscle_id:
            region = self.atlas.region(site.region_code)
            deep = next((d for d in region.deep if d.muscle_id == muscle_id), None)
            if deep is not None:
                site = with_muscle(site, deep)
        if self.with_estim:
            site = replace(site, estim=NEW_ESTIM)
        return self.prepared(site)

    def prepared(self, site: Site) -> Site:
        """A new site as it is added (the editor gives it its technique's usual values)."""
        return site

    def add_site(self, site: Site) -> None:
        command = AddSiteCommand(self.document, site)
        self.undo_stack.push(command)
        self.select_new(command.key)

    @Slot(str, float, float)
    def _on_site_requested(self, view: str, x: float, y: float) -> None:
        site = self.new_site(view, x, y)
        if site is not None:
            self.add_site(site)

    @Slot(list)
    def _on_markers_moved(self, moves: list) -> None:
        changes = []
        for key, view, x, y in moves:
            site = self.document.site(key)
            moved = move_site(self.atlas, site, view, x, y) if view else None
            if moved is None:
                self.scene.restore_marker(key)  # dropped off the body or between muscles: refused
            elif moved != site:
                changes.append(ChangeSiteCommand(self.document, key, moved,
                                                 f"Move site {site.number} to {moved.side} {moved.muscle.lower()}"))
        if len(changes) == 1:
            self.undo_stack.push(changes[0])
        elif changes:
            self.undo_stack.beginMacro(f"Move {len(changes)} sites")
            for command in changes:
                self.undo_stack.push(command)
            self.undo_stack.endMacro()

    @Slot()
    def delete_selected(self) -> None:
        keys = self.selected_keys()
        if not keys or not self.editable:
            return
        self.undo_stack.beginMacro(f"Delete {len(keys)} site(s)")
        for key in keys:
            self.undo_stack.push(RemoveSiteCommand(self.document, key))
        self.undo_stack.endMacro()

    def set_muscle(self, key: int, muscle_id: str) -> None:
        site = self.document.site(key)
        region = self.atlas.region(site.region_code)
        deep = next((d for d in region.deep if d.muscle_id == muscle_id), None)
        new = with_muscle(site, deep, region)
        if new != site:
            self.undo_stack.push(ChangeSiteCommand(self.document, key, new,
                                                   f"Site {site.number}: {new.muscle.lower()}"))

    def set_technique(self, key: int, technique: str) -> None:
        site = self.document.site(key)
        if site.technique != technique:
            new = replace(site, technique=technique)
            self.undo_stack.push(ChangeSiteCommand(self.document, key, new,
                                                   f"Site {site.number}: {TECHNIQUES[technique].lower()}"))

    @Slot(int, QPointF)
    def _on_marker_menu(self, key: int, screen_pos: QPointF) -> None:
        self.build_marker_menu(key).exec(screen_pos.toPoint())

    def build_marker_menu(self, key: int) -> QMenu:
        site = self.document.site(key)
        region = self.atlas.region(site.region_code)
        menu = QMenu(self)
        menu.addSection(f"Site {site.number}: {site.side} {site.muscle.lower()}")
        for muscle_id, label in [(region.muscle_id, f"{region.muscle} (surface)")] + [
            (d.muscle_id, f"{d.muscle} (deep)") for d in region.deep
        ]:
            action = menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(site.muscle_id == muscle_id)
            action.triggered.connect(lambda _=False, m=muscle_id: self.set_muscle(key, m))
        menu.addSeparator()
        for technique, label in TECHNIQUES.items():
            action = menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(site.technique == technique)
            action.triggered.connect(lambda _=False, t=technique: self.set_technique(key, t))
        menu.addSeparator()
        menu.addAction("Delete site", lambda: self.undo_stack.push(RemoveSiteCommand(self.document, key)))
        return menu

    @Slot(object)
    def _on_hovered(self, region: Region | None) -> None:
        if region is None:
            self.hover_label.setText(HOVER_HINT if self.editable else READ_ONLY_HINT)
            return
        lung = "  ⚠ over the lung" if region.near_lung else ""
        deep = f" (deep: {', '.join(d.muscle.lower() for d in region.deep)})" if region.deep else ""
        self.hover_label.setText(f"Patient's {region.side}: {region.muscle}{deep}{lung}")

    @Slot(list)
    def add_at_regions(self, regions: list) -> None:
        """A site at each region's anchor, as a click there would add it (the typed way, SiteEntry): ``regions``
        holds regions or (region, muscle id) pairs, the muscle id naming the region's own or a deep muscle."""
        sites = []
        for item in regions:
            region, muscle_id = item if isinstance(item, tuple) else (item, None)
            site = self.new_site(region.view, *region.anchor, muscle_id=muscle_id)
            if site is not None:
                sites.append(site)
        if len(sites) > 1:  # both sides typed at once: one undo step
            self.undo_stack.beginMacro(f"Add {len(sites)} sites: {sites[0].muscle.lower()}")
        for site in sites:
            self.add_site(replace(site, number=len(self.document) + 1))
        if len(sites) > 1:
            self.undo_stack.endMacro()

    def _describe(self, *_args: object) -> None:
        """The diagram's text alternative: every site in words, for a screen reader (the view's description;
        how the views read and how to add a site by keyboard are its help text)."""
        self.entry.views_used = {site.view for site in self.document.sites()}
        self.view.setAccessibleDescription(describe_sites(list(self.document.sites())))

    # -- selection kept in step both ways ------------------------------------------------------------
    def selected_keys(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.document.key_at(r) for r in rows] or self.scene.selected_keys()

    adding_site = False
    """True while a site just added is being selected (the editor then stays on the form it shows)."""

    def select_new(self, key: int) -> None:
        self.adding_site = True
        try:
            self.select_keys([key])
        finally:
            self.adding_site = False

    def select_keys(self, keys: list[int]) -> None:
        self.scene.clearSelection()
        for key in keys:
            self.scene.marker(key).setSelected(True)

    @Slot()
    def _scene_selection_changed(self) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            selection = QItemSelection()
            for key in self.scene.selected_keys():
                row = self.document.row_of(key)
                selection.select(self.model.index(row, 0), self.model.index(row, self.model.columnCount() - 1))
            self.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        finally:
            self._syncing = False

    @Slot()
    def _table_selection_changed(self) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            rows = {index.row() for index in self.table.selectionModel().selectedRows()}
            for row in range(len(self.document)):
                self.scene.marker(self.document.key_at(row)).setSelected(row in rows)
            if len(rows) == 1:
                self.view.ensureVisible(self.scene.marker(self.document.key_at(next(iter(rows)))))
        finally:
            self._syncing = False
