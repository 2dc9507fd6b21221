"""The recovery journal of an encrypted clinic holds no patient data in clear (issue 14 item 8): each entry is
sealed under a key derived from the database key, and comes back only with it."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime
from pathlib import Path

import pytest

from tpi_notes import cli
from tpi_notes.db import encryption
from tpi_notes.db.encryption import ENV_KEY
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.recovery import RecoveryStore
from tpi_notes.services.context import open_existing_clinic

KEY = "correct horse battery staple"
NAME = "Zyxwabcdefson, Quentina"


@pytest.fixture(autouse=True)
def _no_typed_passphrase() -> None:
    encryption.use_passphrase(None)


def _draft() -> SessionDraft:
    return SessionDraft(1, datetime(2026, 12, 1, 9, 30), "1",
                        comments=f"{NAME} says the pain is worse after lifting her grandson")


@pytest.fixture(scope="module")
def clinics(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("clinics")
    plain, enc = folder / "plain.sqlite", folder / "enc.sqlite"
    assert cli.main(["demo", "--db", str(plain), "--patients", "3", "--sessions", "2"]) == 0
    os.environ[ENV_KEY] = KEY
    try:
        assert cli.main(["encrypt", "--db", str(plain), "-o", str(enc)]) == 0
    finally:
        del os.environ[ENV_KEY]
    return plain, enc


def test_an_encrypted_clinic_journal_names_no_patient(clinics: tuple[Path, Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_KEY, KEY)
    ctx = open_existing_clinic(str(clinics[1]))
    try:
        store = RecoveryStore.for_database(ctx.url)
    finally:
        ctx.close()
    assert store.encrypted
    store.write("session-7", _draft(), NAME)
    [entry_file] = store.folder.glob("*.json")
    raw = entry_file.read_bytes()
    assert b"Zyxwabcdefson" not in raw and b"grandson" not in raw
    assert set(json.loads(raw)) == {"format", "key", "sealed"}
    assert stat.S_IMODE(entry_file.stat().st_mode) == 0o600
    [entry] = store.scan().entries  # the same clinic reads it back
    assert entry.patient_label == NAME and "grandson" in entry.draft.comments

    other = RecoveryStore(store.folder, "another clinic's passphrase")
    scan = other.scan()  # another key cannot read it: set aside (kept, never deleted) with the reason
    assert scan.entries == []
    [aside] = scan.set_aside
    assert "cannot be decrypted" in aside.reason and aside.moved_to is not None and aside.moved_to.exists()


def test_a_plain_clinic_journal_stays_plain_json_owner_only(clinics: tuple[Path, Path]) -> None:
    ctx = open_existing_clinic(str(clinics[0]))
    try:
        store = RecoveryStore.for_database(ctx.url)
    finally:
        ctx.close()
    assert not store.encrypted
    store.write("session-8", _draft(), NAME)
    [entry_file] = store.folder.glob("*.json")
    assert json.loads(entry_file.read_text())["patient_label"] == NAME
    assert stat.S_IMODE(entry_file.stat().st_mode) == 0o600
