"""Where the clinic's database lives (issue 18 item 4; no Qt, no database).

One computer, one clinic: the first start asks where the clinic's database goes (default: the machine-wide data
folder, ``platformdirs.site_data_dir``) and stores the answer machine-wide (``clinic.json`` in
``platformdirs.site_config_dir``), so every staff login on that computer opens the same clinic. ``--db`` and
``TPI_NOTES_DB`` still override it. When the machine-wide folders cannot be written (an ordinary user with no
administrator's set-up), the database and the choice fall back to the user's own folders, and the person is told.

``TPI_NOTES_SITE_CONFIG_DIR`` and ``TPI_NOTES_SITE_DATA_DIR`` redirect the machine-wide folders; when only
``TPI_NOTES_DATA_DIR`` is set (tests, portable installs) they are that folder, as before this module.

An SQLite file on a network file system (NFS, SMB/CIFS, a UNC or mapped network path) is refused: SQLite's locks
and its WAL index are not reliable there, and several workstations sharing a file is what PostgreSQL is for.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import platformdirs

from tpi_notes.atomic_output import private_folder
from tpi_notes.paths import APP_AUTHOR, APP_NAME, DB_FILENAME, user_data_dir

CONFIG_FILE = "clinic.json"
ENV_SITE_CONFIG = "TPI_NOTES_SITE_CONFIG_DIR"
ENV_SITE_DATA = "TPI_NOTES_SITE_DATA_DIR"

# File-system types (Linux /proc/self/mountinfo names) on which a SQLite file is refused.
NETWORK_FS_TYPES = frozenset({
    "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "coda", "9p", "ceph", "glusterfs",
    "lustre", "gpfs", "beegfs", "ocfs2", "gfs2", "davfs", "sshfs", "webdav",
})
NETWORK_FUSE = ("sshfs", "davfs", "smb", "nfs", "s3fs", "rclone", "gcsfuse", "glusterfs", "cephfs")


def _data_override() -> Path | None:
    data = os.environ.get("TPI_NOTES_DATA_DIR")
    return Path(data) if data else None


def site_config_dir() -> Path:
    override = os.environ.get(ENV_SITE_CONFIG)
    if override:
        return Path(override)
    return _data_override() or Path(platformdirs.site_config_dir(APP_NAME, APP_AUTHOR))


def site_data_dir() -> Path:
    override = os.environ.get(ENV_SITE_DATA)
    if override:
        return Path(override)
    return _data_override() or Path(platformdirs.site_data_dir(APP_NAME, APP_AUTHOR))


def _config_files() -> list[Path]:
    """Where a choice may be stored: machine-wide first, then the user's own (the fallback)."""
    return [site_config_dir() / CONFIG_FILE, user_data_dir() / CONFIG_FILE]


def configured_database() -> Path | None:
    """The database chosen at the first start on this computer (or, failing a machine-wide choice, by this
    user), or None when nobody has chosen yet."""
    for file in _config_files():
        try:
            chosen = json.loads(file.read_text(encoding="utf-8")).get("database")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(chosen, str) and chosen:
            return Path(chosen)
    return None


def writable_folder(folder: Path) -> bool:
    """True when ``folder`` can be written, or created by this user (its nearest existing parent can)."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return False
        probe = probe.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)


@dataclass(frozen=True)
class Proposal:
    database: Path
    note: str | None  # why it is not the machine-wide folder, or None


def proposed_database() -> Proposal:
    """The default offered at the first start: the machine-wide data folder, else the user's own folder with
    a note saying why (and that other logins will not see it)."""
    site = site_data_dir()
    if writable_folder(site):
        return Proposal(site / DB_FILENAME, None)
    return Proposal(user_data_dir() / DB_FILENAME,
                    f"The computer's shared folder {site} cannot be written by {_login()}, so the database would be "
                    "yours alone: other logins on this computer would not see it. Ask the computer's administrator "
                    "to create that folder for the clinic's staff group, or choose a folder everyone can use.")


def default_database_path() -> Path:
    """The clinic's database when neither ``--db`` nor ``TPI_NOTES_DB`` names one."""
    return configured_database() or proposed_database().database


def prepare_folder(folder: Path) -> Path:
    """The database's folder, created if missing: the machine-wide one for the whole staff (2770: the creator's
    group, which new files inherit), any other owner-only (0700). An existing folder is left as it is, but for
    the user's own data folder, which is made owner-only if an older version left it readable by others."""
    if folder == user_data_dir():
        return private_folder(folder, ours=True)
    if folder.is_dir():
        return folder
    if folder == site_data_dir() and _data_override() is None and os.name == "posix":
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o2770)
        return folder
    return private_folder(folder)


def save_choice(database: Path) -> str | None:
    """Store ``database`` as this computer's clinic, machine-wide when possible; a message when it could only
    be stored for this user (or not at all), else None."""
    record = {"database": str(Path(database).expanduser().resolve()),
              "chosen_at": datetime.now().isoformat(timespec="seconds"), "chosen_by": _login()}
    text = json.dumps(record, indent=2) + "\n"
    site, own = _config_files()
    try:
        _write_shared(site, text)
        return None
    except OSError:
        pass
    try:
        own.parent.mkdir(parents=True, exist_ok=True)
        own.write_text(text, encoding="utf-8")
    except OSError as exc:
        return f"The choice could not be saved ({exc.strerror or exc}); you will be asked again next time."
    return (f"The choice could not be saved for every login on this computer ({site.parent} cannot be written "
            "by you); it was saved for you only. Ask the computer's administrator to run tpi-notes once, or "
            f"to copy {own} to {site}.")


def _write_shared(file: Path, text: str) -> None:
    """The machine-wide file, readable by every login (it holds a path, nothing else), replaced whole."""
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(f".{file.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    if hasattr(os, "fchmod"):
        os.chmod(partial, 0o644)
    os.replace(partial, file)


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment or the password database
        return "this user"


# -- network file systems ------------------------------------------------------------------------------------

def is_network_fs(fs_type: str) -> bool:
    kind = fs_type.lower()
    if kind in NETWORK_FS_TYPES:
        return True
    return kind.startswith("fuse.") and any(name in kind for name in NETWORK_FUSE)


def _unescape(field: str) -> str:
    """mountinfo writes a space, tab, newline and backslash in a path as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def mount_fs_type(path: Path, mountinfo: str) -> str | None:
    """The file-system type of the mount holding ``path`` (absolute), from /proc/self/mountinfo's text: the
    longest mount point that is ``path`` or one of its parents."""
    best: tuple[int, str] | None = None
    for line in mountinfo.splitlines():
        fields = line.split(" ")
        if " - " not in line or len(fields) < 5:
            continue
        point = Path(_unescape(fields[4]))
        after = line.split(" - ", 1)[1].split(" ")
        if (path == point or point in path.parents) and (best is None or len(str(point)) >= best[0]):
            best = (len(str(point)), after[0])
    return best[1] if best else None


def filesystem_type(path: Path) -> str | None:
    """What kind of file system ``path`` (or, if it does not exist yet, its nearest existing parent) is on;
    None where it cannot be told. Windows: "unc" for a \\\\server\\share path, "remote" for a mapped network
    drive."""
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return "unc"
    if sys.platform == "win32":
        return _windows_drive_type(path)
    probe = Path(os.path.abspath(path))
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        mountinfo = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None  # macOS and others: not told (a network volume there is not refused)
    return mount_fs_type(probe.resolve(), mountinfo)


def _windows_drive_type(path: Path) -> str | None:  # pragma: no cover - Windows only
    import ctypes

    drive = os.path.splitdrive(os.path.abspath(path))[0]
    if not drive:
        return None
    drive_remote = 4
    return "remote" if ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == drive_remote else None


def network_problem(path: Path, fs_type: str | None = None) -> str | None:
    """Why an SQLite database may not be at ``path`` (a network file system), or None. ``fs_type`` is what
    :func:`filesystem_type` says unless given."""
    kind = fs_type if fs_type is not None else filesystem_type(path)
    if kind is None or not (kind in ("unc", "remote") or is_network_fs(kind)):
        return None
    where = {"unc": "a network share (UNC path)", "remote": "a mapped network drive"}.get(kind,
                                                                                           f"a network file system ({kind})")
    return (f"{path} is on {where}. SQLite's locking is not reliable there and the clinic's records could be "
            "damaged: keep the database file on this computer's own disk, or, for several workstations, put the "
            "clinic on a PostgreSQL server (--db postgresql+psycopg://user@server/clinic).")
