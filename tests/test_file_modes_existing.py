"""Folders and files an older tpi-notes left readable by others (0755, 0644) become owner-only when the app uses
them again (issue 14 item 7); a folder the user chose is left as it is."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tpi_notes.atomic_output import private_folder
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.recovery import RecoveryStore

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_every_folder_level_the_app_makes_is_private(tmp_path: Path) -> None:
    made = private_folder(tmp_path / "home" / ".local" / "share" / "tpi-notes")
    assert [mode(p) for p in (made, made.parent, made.parent.parent, made.parent.parent.parent)] == [0o700] * 4


def test_a_folder_the_user_chose_is_left_alone(tmp_path: Path) -> None:
    documents = tmp_path / "Documents"
    documents.mkdir(mode=0o755)
    private_folder(documents)
    assert mode(documents) == 0o755


def test_an_older_journal_is_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "recovery" / "abc"
    folder.mkdir(parents=True)
    folder.chmod(0o755)
    store = RecoveryStore(folder)
    store.write("draft-1", SessionDraft(1, datetime(2026, 12, 1, 9, 30), "1"), "Doe, Jane (MRN 123)")
    old_entry = folder / "draft-1.json"
    old_entry.chmod(0o644)  # as an older version wrote it
    assert mode(folder) == 0o700
    [entry] = store.scan().entries
    assert entry.patient_label == "Doe, Jane (MRN 123)"
    assert mode(old_entry) == 0o600
