"""Crash recovery for unsaved drafts: a local journal, written a few seconds after each change.

Each entry is one JSON file, written to a temporary name, fsynced and renamed over the old one, so a
kill at any moment leaves either the previous or the new snapshot, never half of one. The journal
lives in the user data folder, one sub-folder per database, and never touches the database itself.

Whatever else is found there (a file another program or version wrote, a disk error, a hand edit) must not
stop the offer of the good entries: each bad one is moved, unchanged, into the ``damaged/`` sub-folder and
reported, never deleted (it may still hold someone's typing). A ``.tmp`` left by a kill mid-write is removed
once it is stale.

The journal holds patient data: its folders are 0700 and its files 0600, whatever the umask. For an encrypted
(SQLCipher) clinic each entry is sealed with AES-256-GCM (the entry's key as associated data, so entries cannot be
swapped) under a key derived from the database key: PBKDF2-HMAC-SHA512 (as slow as SQLCipher's own, salted with
the journal folder's name) then HKDF-SHA256. Such an entry names no patient and holds no typing in clear.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
import os
import time
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tpi_notes.atomic_output import PRIVATE_FILE, fsync_folder, private_folder, tighten
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.draft_json import draft_from_dict, draft_to_dict
from tpi_notes.paths import user_data_dir

FORMAT = 1
DAMAGED = "damaged"  # sub-folder for entries that cannot be used, kept for a person to look at
MAX_ENTRY_BYTES = 8 * 1024 * 1024  # a draft with every text field full is well under 1 MB
STALE_TEMPORARY_SECONDS = 10  # a write takes milliseconds; an older .tmp was left by a kill
PBKDF2_ROUNDS = 256_000  # SQLCipher 4's own count for the database key
SEALED = "sealed"  # an encrypted entry: {"format", "key", "sealed": base64(nonce + AES-GCM ciphertext)}


class BadEntry(ValueError):
    """A journal file that is not a usable entry of this version (the message says why)."""


@dataclass(frozen=True)
class SetAside:
    """A journal file that could not be used: where it went (None if even moving it failed) and why."""

    name: str
    reason: str
    moved_to: Path | None


@dataclass
class RecoveryScan:
    entries: list[RecoveryEntry] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)


@dataclass(frozen=True)
class RecoveryEntry:
    key: str
    draft: SessionDraft
    patient_label: str
    saved_at: datetime


class RecoveryStore:
    def __init__(self, folder: Path, secret: str | None = None) -> None:
        """``secret``: the database key of an encrypted clinic (entries are sealed with a key derived from it);
        None for a plain one (entries are plain JSON, owner-only)."""
        self.folder = folder
        self._cipher_key = _journal_key(secret, folder.name) if secret else None

    @classmethod
    def for_database(cls, url: str) -> RecoveryStore:
        from tpi_notes.db import encryption
        from tpi_notes.db.engine import sqlite_path

        path = sqlite_path(url)
        # the clinic is open: an encrypted one is known, and its key is the one it was opened with
        secret = encryption.given_key(path) if path is not None and encryption.known_encrypted(path) else None
        return cls(journal_folder(url), secret)

    @property
    def encrypted(self) -> bool:
        return self._cipher_key is not None

    def _path(self, key: str) -> Path:
        if not _valid_key(key):
            raise ValueError(f"invalid recovery key {key!r}")
        return self.folder / f"{key}.json"

    def write(self, key: str, draft: SessionDraft, patient_label: str) -> None:
        private_folder(self.folder, ours=True)
        payload = {"format": FORMAT, "key": key, "patient_label": patient_label,
                   "saved_at": datetime.now().isoformat(timespec="seconds"), "draft": draft_to_dict(draft)}
        text = json.dumps(payload, ensure_ascii=False)
        if self._cipher_key is not None:
            text = json.dumps({"format": FORMAT, "key": key, SEALED: _seal(self._cipher_key, key, text)})
        target = self._path(key)
        temporary = target.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), PRIVATE_FILE)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_FILE)  # owner-only whatever the umask (and a stale .tmp's mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, target)
        fsync_folder(self.folder)

    def pending(self) -> list[RecoveryEntry]:
        """Entries left by an earlier run, oldest first (bad files are set aside, see ``scan``)."""
        return self.scan().entries

    def scan(self) -> RecoveryScan:
        """The usable entries, oldest first, and the files set aside into ``damaged/`` on the way."""
        scan = RecoveryScan()
        try:
            paths = sorted(self.folder.iterdir()) if self.folder.is_dir() else []
        except OSError:
            return scan  # a folder that cannot be listed holds nothing this run can offer
        for path in paths:
            if path.suffix == ".tmp":
                _remove_if_stale(path)
            elif path.suffix == ".json":
                tighten(path)  # an entry an older version left readable by others
                try:
                    scan.entries.append(_read_entry(path, self._cipher_key))
                except BadEntry as exc:
                    scan.set_aside.append(SetAside(path.name, str(exc), self._move_aside(path)))
        scan.entries.sort(key=lambda e: e.saved_at)
        return scan

    def set_aside(self, key: str) -> Path | None:
        """Move an entry the app cannot use (its patient or session is gone) into ``damaged/``."""
        return self._move_aside(self._path(key))

    @property
    def damaged_folder(self) -> Path:
        return self.folder / DAMAGED

    def _move_aside(self, path: Path) -> Path | None:
        """``path`` renamed, unchanged, into ``damaged/`` under a name that never replaces an earlier one."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        try:
            private_folder(self.damaged_folder, ours=True)
            for n in range(1, 1000):
                target = self.damaged_folder / (f"{stamp}-{path.name}" if n == 1 else f"{stamp}-{n}-{path.name}")
                if not target.exists() and not target.is_symlink():
                    os.rename(path, target)
                    return target
        except OSError:
            pass
        return None

    def discard(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def journal_folder(url: str) -> Path:
    """The recovery journal's folder for the clinic at ``url`` (it may not exist)."""
    return user_data_dir() / "recovery" / hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def nothing_to_recover(url: str) -> bool:
    """True when the journal of the clinic at ``url`` holds no entry and no temporary to clean up: the start-up
    then loads neither the session editor nor the journal's key (issue 19)."""
    try:
        return not any(p.suffix in (".json", ".tmp") for p in journal_folder(url).iterdir())
    except OSError:  # no journal yet (or one that cannot be listed: scan() finds nothing in it either)
        return True


def _valid_key(key: object) -> bool:
    return isinstance(key, str) and bool(key) and all(ch.isalnum() or ch in "-_" for ch in key)


@functools.lru_cache(maxsize=8)
def _journal_key(secret: str, salt: str) -> bytes:
    """The AES-256 key of an encrypted clinic's journal: slow PBKDF2 (a passphrase may be guessable), then HKDF
    to a key used for nothing else. Cached: an editor opening its journal must not wait each time."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    master = hashlib.pbkdf2_hmac("sha512", secret.encode("utf-8"), f"tpi-notes journal {salt}".encode(),
                                 PBKDF2_ROUNDS)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"tpi-notes recovery journal v1").derive(master)


def _seal(cipher_key: bytes, key: str, text: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(cipher_key).encrypt(nonce, text.encode("utf-8"), key.encode("utf-8"))
    return base64.b64encode(nonce + sealed).decode("ascii")


def _unseal(cipher_key: bytes | None, key: object, sealed: object) -> str:
    """The text of a sealed entry, or BadEntry (no key here, or not sealed with this clinic's key)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if cipher_key is None:
        raise BadEntry("encrypted, but this clinic's database is not")
    if not isinstance(key, str) or not isinstance(sealed, str):
        raise BadEntry("not a tpi-notes recovery entry")
    try:
        raw = base64.b64decode(sealed, validate=True)
        return AESGCM(cipher_key).decrypt(raw[:12], raw[12:], key.encode("utf-8")).decode("utf-8")
    except (ValueError, InvalidTag, UnicodeDecodeError):
        raise BadEntry("cannot be decrypted with this clinic's key (damaged, or another clinic's)") from None


def _read_entry(path: Path, cipher_key: bytes | None = None) -> RecoveryEntry:
    """One journal file as an entry, or ``BadEntry`` saying why not (never any other exception)."""
    try:
        if path.stat().st_size > MAX_ENTRY_BYTES:
            raise BadEntry("too large to be a recovery entry")
        text = path.read_bytes().decode("utf-8")
        payload = json.loads(text)
    except BadEntry:
        raise
    except OSError as exc:
        raise BadEntry(f"cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise BadEntry("not UTF-8 text") from None
    except (ValueError, RecursionError):
        raise BadEntry("not complete JSON (cut short or damaged)") from None
    if isinstance(payload, dict) and SEALED in payload and payload.get("format") == FORMAT:
        try:
            payload = json.loads(_unseal(cipher_key, payload.get("key"), payload[SEALED]))
        except BadEntry:
            raise
        except (ValueError, RecursionError):
            raise BadEntry("not complete JSON (cut short or damaged)") from None
    if not isinstance(payload, dict) or "draft" not in payload or "format" not in payload:
        raise BadEntry("not a tpi-notes recovery entry")
    if payload["format"] != FORMAT or isinstance(payload["format"], bool):
        raise BadEntry(f"written in another journal format ({str(payload['format'])[:20]}; this version reads "
                       f"{FORMAT})")
    key, label, saved_at, raw = (payload.get("key"), payload.get("patient_label", ""), payload.get("saved_at"),
                                 payload.get("draft"))
    if key != path.stem or not _valid_key(key):
        raise BadEntry("its key does not match its file name")
    if not isinstance(label, str) or not isinstance(saved_at, str) or not isinstance(raw, dict):
        raise BadEntry("not a tpi-notes recovery entry")
    try:
        when = datetime.fromisoformat(saved_at)
        draft = draft_from_dict(raw)
        _check_types(draft)
    except Exception as exc:  # noqa: BLE001 - any shape error in someone else's JSON is a bad entry, not a crash
        raise BadEntry(f"its draft cannot be read ({type(exc).__name__}: {str(exc)[:80]})") from None
    return RecoveryEntry(key, draft, label, when)


def _check_types(value: Any) -> None:
    """Raise TypeError unless every field of the (nested) dataclass ``value`` has its annotated type: JSON
    another program wrote may hold text where the editor expects a number."""
    for name, hint in typing.get_type_hints(type(value)).items():
        if not _matches(getattr(value, name), hint):
            raise TypeError(f"{type(value).__name__}.{name} is not {hint}")


def _matches(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return any(_matches(value, arg) for arg in args)
    if origin is tuple:
        return isinstance(value, tuple) and all(_matches(v, args[0]) for v in value)
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is date:
        return isinstance(value, date) and not isinstance(value, datetime)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, hint):
            return False
        _check_types(value)
        return True
    return isinstance(value, hint)


def _remove_if_stale(path: Path) -> None:
    """A temporary a kill left mid-write (older than any write in progress by another window) is removed."""
    try:
        if time.time() - path.stat().st_mtime > STALE_TEMPORARY_SECONDS:
            path.unlink()
    except OSError:
        pass
