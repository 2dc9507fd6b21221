"""The sites being charted, as a Qt-signalling document. Undo commands change it; views mirror it."""

from __future__ import annotations

from dataclasses import replace
from itertools import count

from PySide6.QtCore import QObject, Signal

from tpi_notes.domain.session import Site


class SiteDocument(QObject):
    """An ordered list of sites, each with a stable key; numbers are always 1..n in list order."""

    site_inserting = Signal(int)
    """A site is about to be inserted at this row (models call beginInsertRows)."""
    site_removing = Signal(int)
    """The site at this row is about to be removed (models call beginRemoveRows)."""
    site_inserted = Signal(int, int)
    """A site was inserted: (key, row)."""
    site_removed = Signal(int, int)
    """A site was removed: (key, row it had)."""
    site_changed = Signal(int)
    """A site's content changed (moved, re-assigned, edited): key."""
    sites_renumbered = Signal()
    """Numbers changed after an insert or removal."""

    def __init__(self, sites: list[Site] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._keys = count(1)
        self._entries: list[tuple[int, Site]] = [(next(self._keys), s) for s in sites or []]
        self._renumber()

    # -- reading -------------------------------------------------------------------------------
    def sites(self) -> list[Site]:
        return [site for _, site in self._entries]

    def site_keys(self) -> list[int]:
        return [key for key, _ in self._entries]

    def site(self, key: int) -> Site:
        return self._entries[self.row_of(key)][1]

    def row_of(self, key: int) -> int:
        for row, (k, _) in enumerate(self._entries):
            if k == key:
                return row
        raise KeyError(key)

    def key_at(self, row: int) -> int:
        return self._entries[row][0]

    def __len__(self) -> int:
        return len(self._entries)

    def new_key(self) -> int:
        return next(self._keys)

    # -- changing (called by undo commands) -------------------------------------------------------
    def insert(self, row: int, key: int, site: Site) -> None:
        self.site_inserting.emit(row)
        self._entries.insert(row, (key, site))
        self._renumber()
        self.site_inserted.emit(key, row)
        self.sites_renumbered.emit()

    def remove(self, key: int) -> tuple[int, Site]:
        row = self.row_of(key)
        self.site_removing.emit(row)
        _, site = self._entries.pop(row)
        self._renumber()
        self.site_removed.emit(key, row)
        self.sites_renumbered.emit()
        return row, site

    def replace(self, key: int, site: Site) -> None:
        row = self.row_of(key)
        self._entries[row] = (key, replace(site, number=row + 1))
        self.site_changed.emit(key)

    def _renumber(self) -> None:
        self._entries = [(k, s if s.number == i else replace(s, number=i))
                         for i, (k, s) in enumerate(self._entries, start=1)]
