"""The body diagram as the editor uses it: new sites start with their technique's usual values."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QSizePolicy, QSplitter, QWidget

from tpi_notes.anatomy import Atlas
from tpi_notes.domain.session import TECHNIQUES, Site
from tpi_notes.ui.diagram.widget import BodyDiagramWidget
from tpi_notes.ui.editor.site_commands import EditSiteCommand, with_technique


class EditorDiagram(BodyDiagramWidget):
    """BodyDiagramWidget whose new injection sites take the first syringe and 1 mL, and whose new
    dry-needling sites take 1 needle in and out for 10 minutes (one undo step each, as before).

    ``first_syringe`` returns the label to use, creating syringe A when there is none yet.
    """

    def __init__(self, atlas: Atlas, undo_stack: QUndoStack, first_syringe: Callable[[], str | None],
                 parent: QWidget | None = None) -> None:
        # The widget makes its own (empty) document: passing an empty one would be ignored, since
        # BodyDiagramWidget tests ``document or SiteDocument()`` and an empty SiteDocument is falsy.
        super().__init__(atlas, None, undo_stack, parent)
        self._first_syringe = first_syringe
        inner = self.findChild(QSplitter)
        if inner is not None:  # the editor is wide: the diagram above its site table, forms to the right
            inner.setOrientation(Qt.Orientation.Vertical)
            inner.setSizes([560, 240])
            inner.setChildrenCollapsible(False)
        # the hover read-out has a line of its own; it may be cut, never squeezed to nothing
        self.hover_label.setMinimumWidth(0)
        self.hover_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def prepared(self, site: Site) -> Site:
        syringe = self._first_syringe() if site.technique == "injection" else None
        return with_technique(site, site.technique, syringe)

    def set_technique(self, key: int, technique: str) -> None:
        site = self.document.site(key)
        if site.technique == technique:
            return
        syringe = self._first_syringe() if technique == "injection" else None
        self.undo_stack.push(EditSiteCommand(self.document, key, with_technique(site, technique, syringe),
                                             f"Site {site.number}: {TECHNIQUES[technique].lower()}", "technique"))
