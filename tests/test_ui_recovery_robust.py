"""Signing in with a damaged recovery journal: the good draft is offered, the bad files are set aside with one
message, and nothing raises (pytest-qt fails a test on an exception inside a Qt slot)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sqlite3  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from principals import ALL_PERMISSIONS  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from test_report_support import PASSWORD, add_patient, setup_clinic  # noqa: E402
from ui_fixtures import message_boxes, ui_data_dir  # noqa: E402,F401

from tpi_notes.recovery import DAMAGED, RecoveryStore  # noqa: E402
from tpi_notes.services import accounts, drafts, login, staff  # noqa: E402
from tpi_notes.services.context import AppContext, open_clinic  # noqa: E402
from tpi_notes.ui.app import create_main_window, run_app  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402
from tpi_notes.ui.login_dialog import LoginDialog  # noqa: E402
from tpi_notes.ui.main_window import MainWindow  # noqa: E402


@pytest.fixture
def journalled(tmp_path: Path, ui_data_dir: Path) -> Iterator[tuple[AppContext, RecoveryStore]]:  # noqa: F811
    """A clinic whose journal holds one good draft, one damaged file and one draft of a patient not in it."""
    db = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(db), principal=ALL_PERMISSIONS)
    physician = setup_clinic(ctx)
    admin = staff.add_staff(ctx, "Lena Grant", "", ("admin",))  # a clinic with an administrator: no first-run setup
    accounts.set_password(ctx, admin.id, PASSWORD)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE app_user SET username = 'ahart' WHERE id = ?", (physician,))
    patient = add_patient(ctx)
    draft = drafts.new_draft(ctx, patient.id)
    store = RecoveryStore.for_database(ctx.url)
    store.write("new-0123abcd", replace(draft, location="Room 7"), "Nguyễn, Thị Ánh (MRN P-100)")
    store.write("new-4567ef01", replace(draft, patient_id=patient.id + 50), "Deleted, Patient")
    (store.folder / "session-5.json").write_bytes(b'{"format": 1, "key": "session-5", "draft": null}')  # foreign
    (store.folder / "session-6.tmp").write_bytes(b'{"format": 1, "key": "session-6", "dra')  # fresh: kept
    login.sign_out(ctx)
    yield ctx, store
    ctx.close()


def _when_shown(kind: type, then) -> None:  # noqa: ANN001
    def poll() -> None:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
        if found:
            then(found[0])
        else:
            QTimer.singleShot(10, poll)
    QTimer.singleShot(0, poll)


def _check_offer(store: RecoveryStore, message_boxes: list) -> None:  # noqa: F811
    kinds = [kind for kind, _text in message_boxes]
    assert kinds == ["warning", "question"]  # the set-aside note first, then the one good draft
    warning = message_boxes[0][1]
    assert warning.startswith("2 recovery journal files could not be used and were set aside, not deleted, in ")
    assert str(store.folder / DAMAGED) in warning
    assert "session-5.json: not a tpi-notes recovery entry" in warning and "new-4567ef01.json: its patient" in warning
    assert message_boxes[1][1].startswith("Recover the unsaved session for Nguyễn, Thị Ánh (MRN P-100) from ")
    assert sorted(p.name.split("-", 2)[2] for p in (store.folder / DAMAGED).iterdir()) == \
        ["new-4567ef01.json", "session-5.json"]
    assert [e.key for e in store.pending()] == ["new-0123abcd"]


def test_sign_in_offers_the_good_draft_and_sets_the_bad_ones_aside(journalled, qapp: QApplication,  # noqa: ANN001
                                                                  message_boxes: list) -> None:  # noqa: F811
    ctx, store = journalled
    seen: list[str] = []

    def log_in(dialog: LoginDialog) -> None:
        dialog.username.setText("ahart")
        dialog.password.setText(PASSWORD)
        dialog.login_button.click()
        _when_shown(MainWindow, look_then_quit)

    def look_then_quit(window: MainWindow) -> None:
        seen.extend(editor.pre.location.text() for editor in window.editors)
        for editor in list(window.editors):
            editor.close_keeping_journal()
        QApplication.exit(3)

    _when_shown(LoginDialog, log_in)
    assert run_app(ctx) == 3
    assert seen == ["Room 7"]  # the good draft is open again
    _check_offer(store, message_boxes)
    for widget in QApplication.topLevelWidgets():
        widget.close()


def test_the_offer_from_a_shown_window_does_not_raise(journalled, qtbot: QtBot,  # noqa: ANN001
                                                      message_boxes: list) -> None:  # noqa: F811
    ctx, store = journalled
    login.login(ctx, "ahart", PASSWORD)
    window = create_main_window(ctx)
    qtbot.addWidget(window)
    window.show()
    [editor] = window.offer_recovered_drafts()
    assert isinstance(editor, SessionEditor) and editor.pre.location.text() == "Room 7"
    _check_offer(store, message_boxes)
    editor.close_keeping_journal()


def test_a_draft_the_diagram_cannot_draw_is_set_aside_not_opened(journalled, qtbot: QtBot,  # noqa: ANN001
                                                                 message_boxes: list) -> None:  # noqa: F811
    """Well-formed JSON from another program or version: a site on a view, region or technique this atlas does
    not have would raise inside the editor's paint and table slots."""
    from tpi_notes.domain.session import Site

    ctx, store = journalled
    [good] = [e for e in store.pending() if e.key == "new-0123abcd"]  # (this scan sets session-5.json aside)
    odd_site = Site(1, "sideways", 0.5, 0.5, "nope.region", "no_muscle", "Nothing", "R", "laser")
    store.write("new-89abcdef", replace(good.draft, sites=(odd_site,)), good.patient_label)
    store.write("new-fedcba98", replace(good.draft, atlas_version="99"), good.patient_label)
    login.login(ctx, "ahart", PASSWORD)
    window = create_main_window(ctx)
    qtbot.addWidget(window)
    window.show()
    [editor] = window.offer_recovered_drafts()
    assert editor.pre.location.text() == "Room 7"
    warning = message_boxes[0][1]
    assert warning.startswith("3 recovery journal files could not be used")  # with the deleted patient's
    assert "new-89abcdef.json: its site 1 is not on the body diagram" in warning
    assert "new-fedcba98.json: its body diagram (atlas version '99')" in warning
    assert [e.key for e in store.pending()] == ["new-0123abcd"]
    editor.close_keeping_journal()
