"""The clinic administration window: adding a user, refusals shown at the field, retiring a lot, saving the
clinic settings, backing up, and tabs that follow the signed-in user's roles."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sqlite3  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402
from PySide6.QtWidgets import QLabel, QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from tpi_notes.domain.permissions import Principal  # noqa: E402
from tpi_notes.services import clinic, clinic_settings, formulary_admin, login, users_admin  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui import file_dialogs  # noqa: E402
from tpi_notes.ui.admin import AdminWindow, backup_database  # noqa: E402
from tpi_notes.ui.admin.formulary_cells import expiry_cell  # noqa: E402
from tpi_notes.ui.admin.tables import AMBER  # noqa: E402
from tpi_notes.ui.admin.user_dialogs import UserDialog  # noqa: E402
from tpi_notes.ui.style import DANGER  # noqa: E402

pytest_plugins = ["ui_fixtures"]
PASSWORD = "Correct horse 9"


@pytest.fixture
def admin_window(qtbot: QtBot, clinic_ctx: AppContext, message_boxes: list) -> AdminWindow:
    window = AdminWindow(clinic_ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _error(widget: QWidget, name: str) -> str:
    label = widget.findChild(QLabel, f"error_{name}")
    assert label is not None, name
    return label.text() if label.isVisible() else ""


def _user_count(ctx: AppContext) -> int:
    path = ctx.database_path
    assert path is not None
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM app_user").fetchone()[0]
    finally:
        conn.close()


def test_adding_a_user_from_the_users_tab(qtbot: QtBot, admin_window: AdminWindow, clinic_ctx: AppContext) -> None:
    tab = admin_window.users_tab
    assert tab is not None and tab.model.rowCount() == 0

    def fill() -> None:
        dialog = tab.active_dialog
        assert isinstance(dialog, UserDialog)
        qtbot.keyClicks(dialog.full_name, "Mei Chen")
        assert dialog.username.text() == "mchen"  # suggested from the name until edited
        qtbot.keyClicks(dialog.credentials, "MD")
        dialog.role_boxes["physician"].setChecked(True)
        assert dialog.password is not None and dialog.confirm is not None
        qtbot.keyClicks(dialog.password, PASSWORD)
        qtbot.keyClicks(dialog.confirm, PASSWORD)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, fill)
    qtbot.mouseClick(tab.add_button, Qt.MouseButton.LeftButton)
    assert tab.active_dialog is None
    assert [tab.model.cell(0, c).text for c in range(6)] == ["Mei Chen", "MD", "mchen", "Physician", "Yes", "—"]
    assert tab.selected() is not None and tab.selected().username == "mchen"
    assert login.login(clinic_ctx, "mchen", PASSWORD).roles == ("physician",)


def test_a_refusal_is_shown_at_its_field_and_nothing_is_saved(qtbot: QtBot, clinic_ctx: AppContext,
                                                               message_boxes: list) -> None:
    users_admin.add_user(clinic_ctx, "Ada Office", "", "ada", ("admin",), PASSWORD)
    dialog = UserDialog(clinic_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.full_name, "Ada Second")
    dialog.username.setText("ADA")
    assert dialog.password is not None and dialog.confirm is not None
    qtbot.keyClicks(dialog.password, "short")
    qtbot.keyClicks(dialog.confirm, "short")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.saved is None
    assert "at least 12 characters" in _error(dialog, "password")
    assert "at least one role" in _error(dialog, "roles")
    assert dialog.password.property("invalid") is True
    assert _user_count(clinic_ctx) == 1

    dialog.role_boxes["nurse"].setChecked(True)
    for field in (dialog.password, dialog.confirm):
        field.setText(PASSWORD)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "taken" in _error(dialog, "username") and _error(dialog, "password") == ""
    assert dialog.username.property("invalid") is True and dialog.focusWidget() is dialog.username
    assert _user_count(clinic_ctx) == 1 and message_boxes == []


def test_an_admin_cannot_deactivate_themself_in_the_dialog(qtbot: QtBot, clinic_ctx: AppContext,
                                                           message_boxes: list) -> None:
    me = users_admin.add_user(clinic_ctx, "Ada Office", "", "ada", ("admin",), PASSWORD)
    clinic_ctx.act_as(Principal.for_user(me.id, me.username, me.full_name, me.roles))
    dialog = UserDialog(clinic_ctx, me)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.active is not None and dialog.username.isReadOnly()
    dialog.active.setChecked(False)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "your own account" in _error(dialog, "active")
    assert users_admin.get_user(clinic_ctx, me.id).active


def test_retiring_a_lot(qtbot: QtBot, admin_window: AdminWindow, clinic_ctx: AppContext) -> None:
    today = clinic_ctx.today()
    soon = formulary_admin.add_lot(clinic_ctx, "lidocaine-1", "LID-SOON", "12345-6789-01", today + timedelta(days=10))
    later = formulary_admin.add_lot(clinic_ctx, "lidocaine-1", "LID-LATER", "", today + timedelta(days=400))
    tab = admin_window.formulary_tab
    assert tab is not None
    admin_window.show_tab("Formulary & lots")
    tab.reload()
    assert tab.select_item("lidocaine-1")
    assert [use.lot.lot_number for use in tab.lot_model.records()] == ["LID-LATER", "LID-SOON"]
    assert tab.lot_model.cell(1, 2).colour == AMBER and "in 10 d" in tab.lot_model.cell(1, 2).text
    assert tab.lot_model.cell(0, 2).colour is None

    assert tab.select_lot(soon.id)
    assert tab.retire_lot_button.text() == "Retire lot"
    qtbot.mouseClick(tab.retire_lot_button, Qt.MouseButton.LeftButton)
    assert tab.selected_lot() is not None and tab.selected_lot().lot.id == soon.id
    assert tab.lot_model.cell(1, 4).text == "Retired" and tab.retire_lot_button.text() == "Restore lot"
    offered = {lot.lot_number for lot in clinic.list_lots(clinic_ctx) if not lot.retired}
    assert "LID-SOON" not in offered and later.lot_number in offered

    qtbot.mouseClick(tab.retire_lot_button, Qt.MouseButton.LeftButton)  # Restore lot
    assert tab.lot_model.cell(1, 4).text == "Active"


def test_retiring_an_item_hides_it_from_the_editor(qtbot: QtBot, admin_window: AdminWindow,
                                                   clinic_ctx: AppContext) -> None:
    tab = admin_window.formulary_tab
    assert tab is not None and tab.select_item("saline-0.9")
    qtbot.mouseClick(tab.retire_item_button, Qt.MouseButton.LeftButton)
    assert tab.retire_item_button.text() == "Restore" and not tab.add_lot_button.isEnabled()
    assert "saline-0.9" not in {item.code for item in clinic.list_formulary(clinic_ctx)}
    tab.show_retired.setChecked(False)
    assert "saline-0.9" not in {use.item.code for use in tab.item_model.records()}


def test_expiry_colours() -> None:
    today = date(2026, 11, 1)
    assert expiry_cell(today - timedelta(days=1), today, False).colour == DANGER
    assert expiry_cell(today, today, False).colour == AMBER
    assert expiry_cell(today + timedelta(days=30), today, False).colour == AMBER
    assert expiry_cell(today + timedelta(days=31), today, False).colour is None


def _png(path: Path) -> Path:
    image = QImage(160, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("#1d6a8a"))
    assert image.save(str(path), "PNG")
    return path


def test_saving_clinic_settings(qtbot: QtBot, admin_window: AdminWindow, clinic_ctx: AppContext,
                                tmp_path: Path) -> None:
    tab = admin_window.clinic_tab
    assert tab is not None
    admin_window.show_tab("Clinic")
    tab.name.clear()
    qtbot.keyClicks(tab.name, "Lakeside Pain Clinic")
    qtbot.keyClicks(tab.phone, "(555) 010-2000")
    tab.activity_hours.setValue(48)
    tab.lock_minutes.setValue(5)
    tab.payer.setCurrentIndex(tab.payer.findData("commercial"))
    assert tab.load_logo_file(_png(tmp_path / "logo.png"))
    assert tab.logo_preview.pixmap() is not None and not tab.logo_preview.pixmap().isNull()
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert tab.status.text().startswith("Saved")
    saved = clinic_settings.get_settings(clinic_ctx)
    assert (saved.name, saved.phone, saved.strenuous_activity_hours, saved.inactivity_lock_minutes,
            saved.estim_payer_profile) == ("Lakeside Pain Clinic", "(555) 010-2000", 48, 5, "commercial")
    assert saved.logo_png == (tmp_path / "logo.png").read_bytes()

    tab.phone.clear()
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert "Required" in _error(tab, "phone") and tab.phone.property("invalid") is True
    assert clinic_settings.get_settings(clinic_ctx).phone == "(555) 010-2000"

    (tmp_path / "fake.png").write_bytes(b"GIF89a not a png at all")
    assert not tab.load_logo_file(tmp_path / "fake.png")
    assert "must be a PNG" in _error(tab, "logo_png")
    assert clinic_settings.get_settings(clinic_ctx).logo_png == saved.logo_png


def test_tabs_follow_the_roles(qtbot: QtBot, clinic_ctx: AppContext, message_boxes: list) -> None:
    nurse = users_admin.add_user(clinic_ctx, "Nia Brooks", "RN", "nbrooks", ("nurse",), PASSWORD)
    full = AdminWindow(clinic_ctx)
    qtbot.addWidget(full)
    assert full.tab_titles() == ["Users", "Clinic", "Formulary & lots", "Phrases"]
    full.add_tab(QLabel("events"), "Audit trail")
    assert full.tab_titles()[-1] == "Audit trail" and full.show_tab("Audit trail")
    clinic_ctx.act_as(Principal.for_user(nurse.id, nurse.username, nurse.full_name, nurse.roles))
    limited = AdminWindow(clinic_ctx)
    qtbot.addWidget(limited)
    limited.show()
    assert limited.tab_titles() == [] and limited.empty.isVisible() and not limited.backup_button.isVisible()


def test_backing_up_from_the_window(qtbot: QtBot, admin_window: AdminWindow, clinic_ctx: AppContext,
                                    message_boxes: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    offered: list[str] = []

    def save_dialog(_parent: object, _title: str, suggested: str, _filter: str) -> Path:
        offered.append(suggested)
        return tmp_path / "copy"

    monkeypatch.setattr(file_dialogs, "ask_save_path", save_dialog)
    written = backup_database(clinic_ctx, admin_window)
    assert Path(offered[0]).name == f"tpi-notes-backup-{clinic_ctx.today().isoformat()}.sqlite"
    assert written == tmp_path / "copy.sqlite" and written.exists()
    assert message_boxes and message_boxes[-1][0] == "information" and "integrity check passed" in \
        message_boxes[-1][1]

    monkeypatch.setattr(file_dialogs, "ask_save_path", lambda *_args: tmp_path / "nowhere" / "b.sqlite")
    assert backup_database(clinic_ctx, admin_window) is None
    assert message_boxes[-1][0] == "warning" and "does not exist" in message_boxes[-1][1]
