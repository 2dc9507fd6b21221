"""Site edits as undo steps, and the defaults a site takes for its technique.

Edits go through :class:`ChangeSiteCommand`; the subclass here only merges consecutive edits of the
same field of the same site (spinning a volume from 1 to 2.5 mL is one undo step, not fifteen).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QUndoCommand

from tpi_notes.domain.session import Site
from tpi_notes.ui.diagram.commands import ChangeSiteCommand
from tpi_notes.ui.diagram.document import SiteDocument

COMMAND_ID = 4242
DEFAULT_SITE_ML = 1.0
DEFAULT_NEEDLES = 1
DEFAULT_DWELL_MIN = 10.0


class EditSiteCommand(ChangeSiteCommand):
    """One field of one site changed; merges with the next edit of that same field."""

    def __init__(self, document: SiteDocument, key: int, new: Site, text: str, field: str) -> None:
        super().__init__(document, key, new, text)
        self.key = key
        self.field = field

    def id(self) -> int:
        return COMMAND_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt API
        if not isinstance(other, EditSiteCommand) or (other.key, other.field) != (self.key, self.field):
            return False
        self._new = other._new  # noqa: SLF001 - same class family
        if self._new == self._old:
            self.setObsolete(True)
        return True


def with_technique(site: Site, technique: str, syringe: str | None) -> Site:
    """The site switched to ``technique`` with the usual starting values for what it does not have yet.

    Injection: the first syringe (``syringe``) and 1 mL. Dry needling: 1 needle in and out, 10 minutes.
    """
    site = replace(site, technique=technique)
    if technique == "injection":
        return replace(site, preparation_label=site.preparation_label or syringe,
                       volume_ml=site.volume_ml if site.volume_ml is not None else DEFAULT_SITE_ML)
    return replace(site,
                   needles_in=site.needles_in if site.needles_in is not None else DEFAULT_NEEDLES,
                   needles_out=site.needles_out if site.needles_out is not None else DEFAULT_NEEDLES,
                   dwell_minutes=site.dwell_minutes if site.dwell_minutes is not None else DEFAULT_DWELL_MIN)
