"""Every file tpi-notes writes for the user (exports, PDFs, backups, anchors) appears only when complete.

The content goes to ``.NAME.partial`` beside the target (same folder, so the rename is atomic), is fsynced,
then renamed over ``NAME`` and the folder fsynced: a kill or a full disk at any moment leaves the previous
file or the new one, never half of one. On an error the temporary is removed; one left by a kill (``kill -9``
cannot be caught) has a name that says which file it was for, and the next write of that file removes it.

Every such file holds patient data, so it is created readable and writable by its owner only (0600, whatever
the umask: ``private``, the default); the folders tpi-notes makes for itself are 0700 (``private_folder``).

No Qt and no database here: the command line, the services, the domain's anchor files and the widgets all
use it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

PARTIAL_SUFFIX = ".partial"
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def partial_path(target: Path | str) -> Path:
    """Where ``target`` is written before it is complete: ``.NAME.partial`` in the same folder."""
    target = Path(target)
    return target.with_name(f".{target.name}{PARTIAL_SUFFIX}")


def open_partial(target: Path | str, *, private: bool = True) -> tuple[int, Path]:
    """A new, empty temporary for ``target`` (any leftover from a killed run removed first): an OS file
    descriptor and its path. ``private`` (the default: patient data) makes it readable by its owner only (0600,
    set with fchmod, so a umask of 022 or 077 changes nothing); ``private=False`` leaves it to the umask."""
    refuse_special(target)
    partial = partial_path(target)
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 PRIVATE_FILE if private else 0o666)
    if private:
        _owner_only(fd)
    return fd, partial


def _owner_only(fd: int) -> None:
    if hasattr(os, "fchmod"):  # not on Windows, where the user's profile folder keeps others out
        os.fchmod(fd, PRIVATE_FILE)


def create_private_file(path: Path | str) -> bool:
    """Create ``path`` empty and owner-only (0600) unless it exists; True when it was created. SQLite gives the
    -wal, -shm and -journal it makes the mode of the database file, so creating the file first makes them
    owner-only too. In a staff folder (``staff_folder``) it is 0660 instead: the staff group shares it."""
    allowed = _allowed_bits(Path(path))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), allowed & 0o666)
    except FileExistsError:
        return False
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, allowed & 0o666)
    finally:
        os.close(fd)
    return True


def staff_folder(folder: Path) -> bool:
    """A folder set up for a clinic's staff group (setgid, the group may read, write and enter: 2770 or 2775):
    the machine-wide clinic folder, whose database every staff login on the computer opens."""
    try:
        mode = os.stat(folder).st_mode
    except OSError:
        return False
    return bool(mode & stat.S_ISGID) and mode & 0o070 == 0o070


def _allowed_bits(path: Path) -> int:
    """The most a file or folder of patient data at ``path`` may allow: its owner only, or its owner and the
    staff group inside a staff folder; never everyone else."""
    return 0o770 if staff_folder(path.parent) else 0o700

def private_folder(folder: Path | str, *, ours: bool = False) -> Path:
    """``folder`` (and any missing parents) created 0700. An existing folder is left as it is (it may be the
    user's own Documents), unless it is ``ours`` (the app's data folder, the journal's), which an older
    version made readable by others: then it is made owner-only (``tighten``)."""
    folder = Path(folder)
    if folder.is_dir() and ours:
        tighten(folder)
    missing = [folder, *(p for p in folder.parents if not p.is_dir())][::-1] if not folder.is_dir() else []
    for level in missing:  # every level made here is 0700, not only the last (mkdir(parents=True) would not)
        level.mkdir(exist_ok=True, mode=PRIVATE_FOLDER)
        if os.name == "posix":
            os.chmod(level, PRIVATE_FOLDER)  # mkdir's mode is masked by the umask
    return folder


def tighten(path: Path | str) -> bool:
    """Take away what others may do with ``path`` when it is ours (the staff group keeps its rights inside a
    staff folder); True when its mode changed. A file owned by someone else (a shared install) is left alone."""
    try:
        st = os.stat(path)
        mode = stat.S_IMODE(st.st_mode)
        allowed = _allowed_bits(Path(path)) | 0o7000  # setgid and the like are not access rights
        if not hasattr(os, "geteuid") or st.st_uid != os.geteuid() or not mode & ~allowed:
            return False
        os.chmod(path, mode & allowed)
        return True
    except OSError:
        return False


def refuse_special(target: Path | str) -> None:
    """``OSError`` when ``target`` exists and is not a regular file: a rename would replace a device (-o
    /dev/null), a pipe or a folder with a plain file."""
    try:
        mode = os.stat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, "it is not a regular file (a folder, a device or a pipe)")


def place(partial: Path, target: Path | str) -> None:
    """Rename the complete temporary over ``target``, durably (the folder's entry is fsynced too)."""
    target = Path(target)
    os.replace(partial, target)
    fsync_folder(target.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` survive a power cut (a no-op where folders cannot be opened, as on Windows)."""
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


@contextmanager
def atomic_file(target: Path | str, mode: str = "wb", *, private: bool = True, **open_kwargs: Any) -> Iterator[IO]:
    """``with atomic_file(path) as fh: fh.write(...)``: ``path`` appears, whole, when the block ends without an
    exception; otherwise it is left as it was and the temporary is removed. ``mode`` is "wb" or "w"."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_file writes a whole new file (mode 'wb' or 'w'), not {mode!r}")
    fd, partial = open_partial(target, private=private)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        place(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_path(target: Path | str, *, private: bool = True) -> Iterator[Path]:
    """For writers that take a path (SQLite's online backup): write to the yielded temporary path; it is
    fsynced and renamed over ``target`` when the block ends, or removed (with any -journal) on an exception."""
    fd, partial = open_partial(target, private=private)
    os.close(fd)
    try:
        yield partial
        fd = os.open(partial, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        place(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        partial.with_name(partial.name + "-journal").unlink(missing_ok=True)


def write_bytes(target: Path | str, data: bytes, *, private: bool = True) -> None:
    """``target`` replaced by ``data``, whole or not at all."""
    with atomic_file(target, "wb", private=private) as fh:
        fh.write(data)
