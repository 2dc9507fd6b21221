"""Crash recovery for unsaved drafts: a local journal, written a few seconds after each change.

Each entry is one JSON file, written to a temporary name, fsynced and renamed over the old one, so a
kill at any moment leaves either the previous or the new snapshot, never half of one. The journal
lives in the user data folder, one sub-folder per database, and never touches the database itself.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.draft_json import draft_from_dict, draft_to_dict
from tpi_notes.paths import user_data_dir

FORMAT = 1


@dataclass(frozen=True)
class RecoveryEntry:
    key: str
    draft: SessionDraft
    patient_label: str
    saved_at: datetime


class RecoveryStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def for_database(cls, url: str) -> RecoveryStore:
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
        return cls(user_data_dir() / "recovery" / digest)

    def _path(self, key: str) -> Path:
        safe = "".join(ch for ch in key if ch.isalnum() or ch in "-_")
        if not safe or safe != key:
            raise ValueError(f"invalid recovery key {key!r}")
        return self.folder / f"{safe}.json"

    def write(self, key: str, draft: SessionDraft, patient_label: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        payload = {"format": FORMAT, "key": key, "patient_label": patient_label,
                   "saved_at": datetime.now().isoformat(timespec="seconds"), "draft": draft_to_dict(draft)}
        target = self._path(key)
        temporary = target.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as fh:
            json.dump(payload, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, target)
        _fsync_folder(self.folder)

    def pending(self) -> list[RecoveryEntry]:
        """Entries left by an earlier run, oldest first; unreadable files are skipped (and kept)."""
        entries = []
        if not self.folder.is_dir():
            return entries
        for path in sorted(self.folder.glob("*.json")):
            try:
                payload = json.loads(path.read_text(encoding="utf-8"))
                if payload.get("format") != FORMAT:
                    continue
                entries.append(RecoveryEntry(payload["key"], draft_from_dict(payload["draft"]),
                                             payload.get("patient_label", ""),
                                             datetime.fromisoformat(payload["saved_at"])))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(entries, key=lambda e: e.saved_at)

    def discard(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
