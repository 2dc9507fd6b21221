"""Undo commands for the diagram: each changes the SiteDocument; the scene and table only follow."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from tpi_notes.domain.session import Site
from tpi_notes.ui.diagram.document import SiteDocument


class AddSiteCommand(QUndoCommand):
    def __init__(self, document: SiteDocument, site: Site, row: int | None = None) -> None:
        super().__init__(f"Add site on {site.side} {site.muscle.lower()}")
        self._document = document
        self._site = site
        self._row = len(document) if row is None else row
        self.key = document.new_key()

    def redo(self) -> None:
        self._document.insert(self._row, self.key, self._site)

    def undo(self) -> None:
        self._document.remove(self.key)


class RemoveSiteCommand(QUndoCommand):
    def __init__(self, document: SiteDocument, key: int) -> None:
        site = document.site(key)
        super().__init__(f"Delete site {site.number}")
        self._document = document
        self._key = key
        self._row = document.row_of(key)
        self._site = site

    def redo(self) -> None:
        self._row, self._site = self._document.remove(self._key)

    def undo(self) -> None:
        self._document.insert(self._row, self._key, self._site)


class ChangeSiteCommand(QUndoCommand):
    """A move (one per drag) or an edit of one site: old and new content."""

    def __init__(self, document: SiteDocument, key: int, new: Site, text: str) -> None:
        super().__init__(text)
        self._document = document
        self._key = key
        self._old = document.site(key)
        self._new = new

    def redo(self) -> None:
        self._document.replace(self._key, self._new)

    def undo(self) -> None:
        self._document.replace(self._key, self._old)
