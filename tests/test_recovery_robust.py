"""A damaged recovery journal never stops the recovery offer: bad entries are set aside (kept), good ones offered.

Each kind of bad entry a crash, a disk, another program or another version can leave in the journal folder is
written beside a good entry; the store must offer the good one, move the bad one into ``damaged/`` byte for
byte, and say why. Leftover ``.tmp`` files from a kill mid-write are removed once they are stale.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

import pytest

from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.draft_json import draft_to_dict
from tpi_notes.recovery import DAMAGED, RecoveryStore


def sample(**changes: object) -> SessionDraft:
    return SessionDraft(patient_id=3, performed_start=datetime(2026, 11, 2, 9, 30), atlas_version="1",
                        comments="Nguyễn", **changes)


def entry_text(key: str, **overrides: object) -> str:
    payload = {"format": 1, "key": key, "patient_label": "A", "saved_at": "2026-11-02T09:31:00",
               "draft": draft_to_dict(sample())}
    payload.update(overrides)
    return json.dumps(payload)


BAD_ENTRIES: dict[str, bytes] = {
    "empty": b"",
    "truncated": entry_text("truncated").encode()[:57],
    "not-json": b"this is not json at all",
    "non-utf8": b'{"format": 1, "key": "non-utf8", "patient_label": "\xff\xfe\xfa"}',
    "utf16": entry_text("utf16").encode("utf-16"),
    "nul-bytes": b"\x00" * 64,
    "json-list": b"[1, 2, 3]",
    "json-string": b'"hello"',
    "json-null": b"null",
    "newer-format": entry_text("newer-format", format=2).encode(),
    "no-format": json.dumps({"key": "no-format", "draft": {}}).encode(),
    "format-as-text": entry_text("format-as-text", format="1").encode(),
    "foreign-json": json.dumps({"name": "somebody else's settings", "theme": "dark"}).encode(),
    "key-mismatch": entry_text("other-key").encode(),
    "key-traversal": entry_text("../../etc/passwd").encode(),
    "a key with spaces": entry_text("a key with spaces").encode(),  # named as its key, but not a key we write
    "draft-missing": entry_text("draft-missing", draft=None).encode(),
    "draft-list": entry_text("draft-list", draft=[1, 2]).encode(),
    "draft-without-patient": entry_text("draft-without-patient", draft={"atlas_version": "1"}).encode(),
    "draft-bad-date": entry_text("draft-bad-date", draft={**draft_to_dict(sample()),
                                                            "performed_start": "2026-13-40T99:00"}).encode(),
    "draft-patient-text": entry_text("draft-patient-text", draft={**draft_to_dict(sample()),
                                                                    "patient_id": "three"}).encode(),
    "draft-sites-text": entry_text("draft-sites-text", draft={**draft_to_dict(sample()), "sites": "abc"}).encode(),
    "draft-site-wrong": entry_text("draft-site-wrong", draft={**draft_to_dict(sample()),
                                                                "sites": [{"number": "one"}]}).encode(),
    "draft-volume-text": entry_text("draft-volume-text", draft={
        **draft_to_dict(sample()), "preparations": [{"label": "A", "components": [
            {"item_code": "lidocaine-1", "volume_ml": "5 mL"}]}]}).encode(),
    "saved-at-bad": entry_text("saved-at-bad", saved_at="yesterday").encode(),
    "saved-at-number": entry_text("saved-at-number", saved_at=12).encode(),
    "label-not-text": entry_text("label-not-text", patient_label={"x": 1}).encode(),
    "deeply-nested": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("name", sorted(BAD_ENTRIES))
def test_a_bad_entry_is_set_aside_and_the_good_one_offered(tmp_path: Path, name: str) -> None:
    store = RecoveryStore(tmp_path / "journal")
    store.write("new-good", sample(), "Okafor, Ada")
    bad = store.folder / f"{name}.json"
    bad.write_bytes(BAD_ENTRIES[name])
    scan = store.scan()
    assert [e.key for e in scan.entries] == ["new-good"]
    assert scan.entries[0].draft == sample()
    [aside] = scan.set_aside
    assert aside.name == bad.name and aside.reason
    assert not bad.exists()  # out of the way: not offered again at every start
    assert aside.moved_to is not None and aside.moved_to.parent == store.folder / DAMAGED
    assert aside.moved_to.read_bytes() == BAD_ENTRIES[name]  # kept byte for byte, never deleted
    again = store.scan()
    assert [e.key for e in again.entries] == ["new-good"] and again.set_aside == []


def test_an_unreadable_entry_is_set_aside(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path)
    store.write("new-good", sample(), "A")
    (tmp_path / "session-8.json").symlink_to(tmp_path / "gone.json")  # reading fails: no such file
    unreadable = ["session-8.json"]
    if os.geteuid() != 0:  # root reads every file whatever its mode
        locked = tmp_path / "session-9.json"
        locked.write_text(entry_text("session-9"))
        locked.chmod(0)
        unreadable.append(locked.name)
    scan = store.scan()
    assert [e.key for e in scan.entries] == ["new-good"]
    assert sorted(a.name for a in scan.set_aside) == unreadable
    assert all(a.moved_to is not None and "cannot be read" in a.reason for a in scan.set_aside)
    assert not any((tmp_path / name).is_symlink() or (tmp_path / name).exists() for name in unreadable)


def test_a_folder_named_like_an_entry_and_a_huge_file_are_set_aside(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path)
    store.write("new-good", sample(), "A")
    (tmp_path / "session-7.json").mkdir()
    with (tmp_path / "session-8.json").open("wb") as fh:
        fh.truncate(64 * 1024 * 1024)  # sparse: a runaway file is never read into memory
    scan = store.scan()
    assert [e.key for e in scan.entries] == ["new-good"]
    assert sorted(a.name for a in scan.set_aside) == ["session-7.json", "session-8.json"]


def test_several_bad_entries_keep_distinct_names_in_the_damaged_folder(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path)
    for round_ in range(3):
        (tmp_path / "session-5.json").write_text(f"broken {round_}")
        [aside] = store.scan().set_aside
        assert aside.moved_to is not None
    kept = sorted(p.read_text() for p in (tmp_path / DAMAGED).iterdir())
    assert kept == ["broken 0", "broken 1", "broken 2"]


def test_set_aside_by_key_moves_an_entry_the_app_cannot_use(tmp_path: Path) -> None:
    """The app finds some problems only against the database (the patient was deleted): it sets them aside."""
    store = RecoveryStore(tmp_path)
    store.write("session-12", sample(id=12), "A")
    store.write("new-good", sample(), "B")
    moved = store.set_aside("session-12")
    assert moved is not None and moved.parent == tmp_path / DAMAGED
    assert json.loads(moved.read_text(encoding="utf-8"))["key"] == "session-12"
    assert [e.key for e in store.pending()] == ["new-good"]


def test_stale_temporary_files_from_a_kill_are_removed_fresh_ones_kept(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path)
    store.write("new-good", sample(), "A")
    stale = tmp_path / "session-5.tmp"
    stale.write_text('{"format": 1, "dra')  # killed mid-write, a while ago
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = tmp_path / "session-6.tmp"
    fresh.write_text('{"format": 1, "dra')  # another window of the app may be writing this one right now
    scan = store.scan()
    assert [e.key for e in scan.entries] == ["new-good"]
    assert not stale.exists() and fresh.exists()
    assert scan.set_aside == []  # a torn temporary is not an entry: nothing to report


def test_a_missing_or_unlistable_folder_is_simply_empty(tmp_path: Path) -> None:
    assert RecoveryStore(tmp_path / "nothing here").scan().entries == []
    (tmp_path / "afile").write_text("x")
    assert RecoveryStore(tmp_path / "afile").scan().entries == []
