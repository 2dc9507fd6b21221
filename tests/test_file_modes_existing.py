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


def test_in_a_staff_folder_the_group_keeps_its_access_and_others_lose_theirs(tmp_path: Path) -> None:
    """The machine-wide clinic folder (2770, issue 18): every staff login opens the same file, so the group
    may read and write it; everyone else may not."""
    from principals import ALL_PERMISSIONS
    from test_report_support import add_patient

    from tpi_notes.services.context import open_clinic

    staff = tmp_path / "clinic"
    staff.mkdir()
    staff.chmod(0o2770)
    db = staff / "clinic.sqlite"
    ctx = open_clinic(str(db), principal=ALL_PERMISSIONS)
    try:
        add_patient(ctx)
        assert [mode(p) for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm"))] == [0o660] * 3
    finally:
        ctx.close()
    db.chmod(0o666)  # others' access given by hand is taken away again at the next start
    open_clinic(str(db), principal=ALL_PERMISSIONS).close()
    assert mode(db) == 0o660
