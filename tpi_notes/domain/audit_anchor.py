"""An anchor for the audit chain: its head (newest event id, time, hash) written down outside the database.

The hash chain shows that no event was changed or deleted *in the middle*. Someone holding the database
file can still delete the newest events, or change an event and recompute every later hash: the chain
then checks out. An anchor kept elsewhere (mailed, printed, next to each backup) names an event and its
hash; a later check asks whether the trail, recomputed from its content, still reaches that hash at
that event (docs/audit-anchor.md).

The file format (``docs/audit-anchor.md``), one JSON object, UTF-8::

    {"format": "tpi-notes-audit-anchor", "version": 1, "clinic": "Riverside Pain Clinic",
     "event_id": 1234, "event_at": "2026-11-20T14:02:07", "sha256": "<64 hex>",
     "taken_at": "2026-11-20T18:00:00+01:00"}

``event_at`` is the event's time as the trail records it (the clinic computer's local time, no offset);
``taken_at`` is when the anchor was written, with its UTC offset. Parsing is strict: a missing, extra or
ill-typed field, another format or another version is refused with a message naming the problem.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tpi_notes.atomic_output import open_partial
from tpi_notes.domain.errors import TpiError

FORMAT = "tpi-notes-audit-anchor"
VERSION = 1
MAX_FILE_BYTES = 64 * 1024  # an anchor is ~300 bytes; anything far bigger is not one
_FIELDS = ("format", "version", "clinic", "event_id", "event_at", "sha256", "taken_at")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class AnchorFormatError(TpiError):
    """The text or file is not a tpi-notes audit anchor this version can read."""


@dataclass(frozen=True)
class ChainHead:
    """The newest event of the audit trail: its id, its time (as recorded) and its chain hash."""

    event_id: int
    at: datetime
    sha256: str

    @property
    def line(self) -> str:
        """``Audit chain head: event N, YYYY-MM-DD HH:MM:SS, SHA-256 <hash>`` (to write down or paste)."""
        return f"Audit chain head: event {self.event_id}, {_shown(self.at)}, SHA-256 {self.sha256}"


@dataclass(frozen=True)
class Anchor:
    """A chain head written down outside the database, with the clinic's name and when it was taken."""

    clinic: str
    event_id: int
    event_at: datetime
    sha256: str
    taken_at: datetime

    @classmethod
    def of(cls, head: ChainHead, clinic: str, taken_at: datetime) -> Anchor:
        return cls(clinic, head.event_id, head.at, head.sha256, taken_at)

    @property
    def head(self) -> ChainHead:
        return ChainHead(self.event_id, self.event_at, self.sha256)

    def to_json(self) -> str:
        """The file's text: one indented JSON object, fields in a fixed order, a final newline."""
        data = {"format": FORMAT, "version": VERSION, "clinic": self.clinic, "event_id": self.event_id,
                "event_at": self.event_at.isoformat(timespec="seconds"), "sha256": self.sha256,
                "taken_at": self.taken_at.isoformat(timespec="seconds")}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        """Parse an anchor; ``AnchorFormatError`` says what is wrong with anything else."""
        if not text.lstrip().startswith("{"):
            raise AnchorFormatError("it is not a tpi-notes audit anchor (not a JSON object)")
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise AnchorFormatError(f"it is damaged: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise AnchorFormatError(f"it is not a tpi-notes audit anchor (no \"format\": \"{FORMAT}\")")
        version = data.get("version")
        if type(version) is not int:
            raise AnchorFormatError("its \"version\" is missing or not a whole number")
        if version != VERSION:
            newer = " (written by a newer tpi-notes)" if version > VERSION else ""
            raise AnchorFormatError(f"it is anchor format version {version}{newer}; this tpi-notes reads "
                                    f"version {VERSION}")
        missing = [name for name in _FIELDS if name not in data]
        extra = sorted(set(data) - set(_FIELDS))
        if missing or extra:
            parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
                [f"unknown {', '.join(extra)}"] if extra else [])
            raise AnchorFormatError(f"its fields are wrong ({'; '.join(parts)})")
        clinic = data["clinic"]
        if not isinstance(clinic, str) or len(clinic) > 500:
            raise AnchorFormatError("its \"clinic\" is not a name")
        event_id = data["event_id"]
        if type(event_id) is not int or event_id < 1:
            raise AnchorFormatError("its \"event_id\" is not an event number (a whole number from 1)")
        sha256 = data["sha256"]
        if not isinstance(sha256, str) or not _HEX64.fullmatch(sha256):
            raise AnchorFormatError("its \"sha256\" is not 64 lowercase hexadecimal digits")
        event_at = _time(data["event_at"], "event_at", aware=False)
        taken_at = _time(data["taken_at"], "taken_at", aware=True)
        return cls(clinic, event_id, event_at, sha256, taken_at)


def read_anchor(path: Path | str) -> Anchor:
    """Read and parse an anchor file; ``AnchorFormatError`` (naming the file) for anything unreadable."""
    path = Path(path).expanduser()
    try:
        if path.is_dir():
            raise AnchorFormatError(f"{path} is a folder, not an anchor file")
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise AnchorFormatError(f"{path} does not exist") from None
    except OSError as exc:
        raise AnchorFormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise AnchorFormatError(f"{path} is not a tpi-notes audit anchor (far too large)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AnchorFormatError(f"{path} is not a tpi-notes audit anchor (not UTF-8 text)") from None
    try:
        return Anchor.from_json(text)
    except AnchorFormatError as exc:
        raise AnchorFormatError(f"{path}: {exc}") from None


def write_anchor_file(anchor: Anchor, path: Path | str, *, overwrite: bool = False) -> Path:
    """Write ``anchor`` to ``path`` whole or not at all (a temporary file beside it, then a rename), readable by
    its owner only (0600). An existing file is refused unless ``overwrite``; ``TpiError`` says why."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise TpiError(f"Cannot write {target}: it is a folder.")
    if not target.parent.is_dir():
        raise TpiError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    if not overwrite and target.exists():
        raise TpiError(f"{target} already exists; an anchor is never overwritten unless asked to (--force).")
    partial = partial_anchor_file(anchor, target.parent, target.name)
    try:
        if overwrite:
            os.replace(partial, target)
        else:
            try:  # a hard link never replaces a file that appeared meanwhile
                os.link(partial, target)
            except FileExistsError:
                raise TpiError(f"{target} already exists; an anchor is never overwritten unless asked to "
                               "(--force).") from None
            except OSError:  # a file system without hard links
                if target.exists():
                    raise TpiError(f"{target} already exists.") from None
                os.replace(partial, target)
    except OSError as exc:
        raise TpiError(f"Cannot write {target}: {exc.strerror or exc}; nothing was written.") from None
    finally:
        partial.unlink(missing_ok=True)
    return target


def partial_anchor_file(anchor: Anchor, folder: Path, name: str) -> Path:
    """``anchor`` written to a new temporary file (0600) in ``folder``, for the caller to rename into place."""
    try:  # .NAME.partial (a leftover from a killed run removed first), owner-only
        fd, partial = open_partial(folder / name, private=True)
    except OSError as exc:
        raise TpiError(f"Cannot write in {folder}: {exc.strerror or exc}; nothing was written.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(anchor.to_json())
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise TpiError(f"Cannot write in {folder}: {exc.strerror or exc}; nothing was written.") from None
    return partial


def _time(value: Any, name: str, *, aware: bool) -> datetime:
    shape = "YYYY-MM-DDTHH:MM:SS+HH:MM" if aware else "YYYY-MM-DDTHH:MM:SS"
    if not isinstance(value, str):
        raise AnchorFormatError(f"its \"{name}\" is not a time ({shape})")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise AnchorFormatError(f"its \"{name}\" is not a time ({shape}): {value[:40]!r}") from None
    if (moment.tzinfo is not None) != aware or moment.microsecond:
        raise AnchorFormatError(f"its \"{name}\" is not a time of the form {shape}: {value[:40]!r}")
    return moment


def _shown(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")
