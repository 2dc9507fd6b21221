"""The answers a new note starts with (resources/rules/note-defaults.json), and the position the views imply.

They are visible and editable in the editor like any entry; the file is data so a clinic that answers otherwise
changes it without a new release.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from tpi_notes.paths import resources_dir

FORMAT = "tpi-notes-note-defaults"
FIELDS = ("complications", "tolerance", "blood_loss", "disposition")


@dataclass(frozen=True)
class NoteDefaults:
    fields: dict[str, str]
    position_by_view: dict[str, str]

    def position_for(self, views: Iterable[str]) -> str | None:
        """Supine for front-only sites, prone for back-only; None when both (or none): the physician chooses."""
        used = set(views)
        if len(used) != 1:
            return None
        return self.position_by_view.get(used.pop())


@cache
def note_defaults() -> NoteDefaults:
    path = resources_dir() / "rules" / "note-defaults.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    if raw.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} file")
    fields = {k: str(v) for k, v in raw.get("fields", {}).items() if k in FIELDS}
    return NoteDefaults(fields, {str(k): str(v) for k, v in raw.get("position_by_view", {}).items()})
