"""The SQLite database files this process has opened, so that no other code opens them behind SQLite's back.

SQLite's locks are POSIX locks, and those belong to the process: opening the database file (or its -wal, -shm
or -journal) through any other descriptor and closing it drops every lock SQLite holds on it, and another
process may then delete the -wal this one is still writing to. db/engine.py notes each file an engine is made
for; ui/file_dialogs.py refuses such a file as the target of a Save as… or an export, or as a logo to read.
Stdlib only: both db/ and ui/ import it. Files are only ever added (a few per process); a name that was once a
database of this process is refused for as long as the process lives, which costs nothing.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from tpi_notes.domain.errors import TpiError

SIDE_SUFFIXES = ("", "-wal", "-shm", "-journal")

_lock = threading.Lock()
_files: set[Path] = set()


def note(path: Path) -> None:
    """Remember that an engine of this process uses the SQLite file ``path``."""
    with _lock:
        _files.add(Path(os.path.abspath(path)))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)  # stat only: the same file under another name (a link) is caught too
    except OSError:
        return False


def database_file_at(path: Path | str) -> Path | None:
    """The open database that ``path`` is (or whose -wal, -shm or -journal it is); None for any other file.

    Decided from names and ``stat`` only: nothing is opened."""
    chosen = Path(os.path.abspath(path))
    resolved = chosen.resolve()
    with _lock:
        files = sorted(_files)
    for db in files:
        for suffix in SIDE_SUFFIXES:
            own = Path(f"{db}{suffix}")
            if chosen == own or resolved == own.resolve() or _same_file(chosen, own):
                return db
    return None


def refuse_as_target(path: Path | str) -> None:
    """``TpiError`` when ``path`` is an open database or one of its working files: an export, a PDF or a logo
    chosen there would replace the clinic's records, or drop SQLite's locks by reading them."""
    if database_file_at(path) is not None:
        raise TpiError(f"{Path(path).name} is the clinic's database or one of its working files; it was left "
                       "untouched. Choose another file.")
