"""Encryption in the app (issue 14 item 8): first-run setup can encrypt the new clinic (a checkbox and the
passphrase twice), and an encrypted clinic asks its passphrase before the login."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sqlite3  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QDialog, QLineEdit  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from ui_fixtures import message_boxes, ui_data_dir  # noqa: E402,F401

from tpi_notes import cli  # noqa: E402
from tpi_notes.db import encryption  # noqa: E402
from tpi_notes.db.encryption import ENV_KEY  # noqa: E402
from tpi_notes.services import login  # noqa: E402
from tpi_notes.services.context import AppContext, open_clinic, open_existing_clinic  # noqa: E402
from tpi_notes.ui import unlock_dialog  # noqa: E402
from tpi_notes.ui.setup_dialog import SetupDialog  # noqa: E402

PASSPHRASE = "violet gravel orbit lantern"
PASSWORD = "Violet gravel orbit 7"


@pytest.fixture(autouse=True)
def _no_typed_passphrase() -> Iterator[None]:
    encryption.use_passphrase(None)
    yield
    encryption.use_passphrase(None)


@pytest.fixture
def fresh(tmp_path: Path, ui_data_dir: Path) -> Iterator[AppContext]:  # noqa: F811
    ctx = open_clinic(str(tmp_path / "clinic.sqlite"))
    yield ctx
    ctx.close()


def _type(edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    QTest.keyClicks(edit, text)


def _fill_clinic(dialog: SetupDialog) -> None:
    _type(dialog.clinic_name, "Lakeside Pain Clinic")
    _type(dialog.phone, "(555) 123-4567")
    _type(dialog.full_name, "Quentina Zyxwabcdefson")
    _type(dialog.username, "qzyx")
    _type(dialog.password, PASSWORD)
    _type(dialog.repeat, PASSWORD)
    QTest.mouseClick(dialog.is_physician, Qt.MouseButton.LeftButton)


def test_setup_encrypts_the_new_clinic_before_anything_is_written(fresh: AppContext, qtbot: QtBot,
                                                                  tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "clinic.sqlite"
    dialog = SetupDialog(fresh)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.encryption_box.isVisible() and not dialog.passphrase.isEnabled()
    _fill_clinic(dialog)
    QTest.mouseClick(dialog.encrypt, Qt.MouseButton.LeftButton)
    assert dialog.passphrase.isEnabled()
    _type(dialog.passphrase, PASSPHRASE)
    _type(dialog.passphrase_repeat, PASSPHRASE + "x")
    QTest.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.errors["passphrase_repeat"].isVisibleTo(dialog)  # the two differ: nothing done
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert sqlite3.connect(db).execute("SELECT count(*) FROM app_user").fetchone() == (0,)  # still plain

    QTest.keyClick(dialog.passphrase_repeat, Qt.Key.Key_Backspace)
    QTest.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not login.needs_setup(fresh)  # the context goes on, on the encrypted file
    data = db.read_bytes()
    assert not data.startswith(b"SQLite format 3") and b"Zyxwabcdefson" not in data
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(db).execute("SELECT count(*) FROM app_user")
    fresh.close()
    encryption.use_passphrase(None)
    monkeypatch.setenv(ENV_KEY, PASSPHRASE)
    again = open_existing_clinic(str(db))
    try:
        assert not login.needs_setup(again)
    finally:
        again.close()


def test_setup_refuses_a_short_passphrase(fresh: AppContext, qtbot: QtBot, tmp_path: Path) -> None:
    dialog = SetupDialog(fresh)
    qtbot.addWidget(dialog)
    dialog.show()
    _fill_clinic(dialog)
    QTest.mouseClick(dialog.encrypt, Qt.MouseButton.LeftButton)
    _type(dialog.passphrase, "short")
    _type(dialog.passphrase_repeat, "short")
    QTest.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert "at least 12 characters" in dialog.errors["passphrase"].text()
    assert dialog.result() != QDialog.DialogCode.Accepted and login.needs_setup(fresh)
    assert (tmp_path / "clinic.sqlite").read_bytes().startswith(b"SQLite format 3")


@pytest.fixture
def encrypted_clinic(tmp_path: Path) -> Path:
    plain, enc = tmp_path / "plain.sqlite", tmp_path / "db" / "enc.sqlite"
    enc.parent.mkdir()
    assert cli.main(["demo", "--db", str(plain), "--patients", "3", "--sessions", "2"]) == 0
    os.environ[ENV_KEY] = PASSPHRASE
    try:
        assert cli.main(["encrypt", "--db", str(plain), "-o", str(enc)]) == 0
    finally:
        del os.environ[ENV_KEY]
    return enc


def test_the_app_asks_the_passphrase_before_the_login(encrypted_clinic: Path, qapp, ui_data_dir: Path,  # noqa: ANN001,F811
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import tpi_notes.ui.app

    typed = iter(["a wrong passphrase", PASSPHRASE])
    refusals: list[str] = []

    def user_types(dialog: unlock_dialog.UnlockDialog) -> str | None:
        refusals.append(dialog.error.text() if dialog.error.isVisibleTo(dialog) else "")
        dialog.show()
        dialog.passphrase_edit.clear()
        _type(dialog.passphrase_edit, next(typed))
        QTest.keyClick(dialog.passphrase_edit, Qt.Key.Key_Return)
        assert dialog.result() == QDialog.DialogCode.Accepted
        return dialog.passphrase

    opened: list[AppContext] = []
    monkeypatch.setattr(unlock_dialog, "ask_passphrase", user_types)
    monkeypatch.setattr(tpi_notes.ui.app, "run_app", lambda ctx, argv=None, window=None: opened.append(ctx) or 0)
    assert cli.main(["--db", str(encrypted_clinic)]) == 0
    assert refusals[0] == "" and "does not open" in refusals[1]
    [ctx] = opened
    assert ctx.engine.dialect.driver == "pysqlcipher"


def test_cancelling_the_passphrase_leaves_the_file_untouched(encrypted_clinic: Path, qapp,  # noqa: ANN001
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    import tpi_notes.ui.app

    before = {p.name: p.read_bytes() for p in encrypted_clinic.parent.iterdir()}
    monkeypatch.setattr(unlock_dialog, "ask_passphrase", lambda dialog: None)
    monkeypatch.setattr(tpi_notes.ui.app, "run_app", lambda ctx, argv=None, window=None: pytest.fail("opened"))
    assert cli.main(["--db", str(encrypted_clinic)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is encrypted" in err and "enter the passphrase" in err
    assert {p.name: p.read_bytes() for p in encrypted_clinic.parent.iterdir()} == before


def test_setup_can_keep_the_passphrase_in_the_keyring(fresh: AppContext, qtbot: QtBot, tmp_path: Path) -> None:
    """Offered only where the machine has a keyring (an in-memory one here: this machine has none)."""
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]
        kept: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.kept.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.kept[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.kept.pop((service, username), None)

    without = SetupDialog(fresh)
    qtbot.addWidget(without)
    assert not without.remember.isVisibleTo(without)  # no keyring backend on this machine
    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        dialog = SetupDialog(fresh)
        qtbot.addWidget(dialog)
        dialog.show()
        _fill_clinic(dialog)
        QTest.mouseClick(dialog.encrypt, Qt.MouseButton.LeftButton)
        _type(dialog.passphrase, PASSPHRASE)
        _type(dialog.passphrase_repeat, PASSPHRASE)
        assert dialog.remember.isVisible()
        QTest.mouseClick(dialog.remember, Qt.MouseButton.LeftButton)
        QTest.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
        assert dialog.result() == QDialog.DialogCode.Accepted
        assert Memory.kept == {("tpi-notes", str((tmp_path / "clinic.sqlite").resolve())): PASSPHRASE}
    finally:
        keyring.set_keyring(previous)
