"""Verify chain and Back up… run their service call on a worker thread: the window keeps processing events,
a second click cannot start a second run, and what the user sees (report, problems, errors) is as before.

Which thread did the work is observed, not mocked: every SQL statement the engine runs is recorded with the
thread that ran it, and a write lock held by a second connection makes the service wait until the UI thread's
event loop (running only if the work is elsewhere) lets it go.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import sqlite3  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import closing, contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from principals import holding  # noqa: E402
from PySide6.QtCore import Qt, QTimer  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from sqlalchemy import event  # noqa: E402
from ui_fixtures import message_boxes, ui_data_dir  # noqa: E402, F401

from tpi_notes.domain.permissions import PermissionDenied, Principal  # noqa: E402
from tpi_notes.services import integrity  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.services.demo import build_demo  # noqa: E402
from tpi_notes.ui import file_dialogs  # noqa: E402
from tpi_notes.ui.admin import AdminWindow, backup_database  # noqa: E402
from tpi_notes.ui.admin.backup import backup_running  # noqa: E402
from tpi_notes.ui.audit_screen import AuditTrailScreen  # noqa: E402
from tpi_notes.ui.errors import error_text  # noqa: E402

WORKER = "tpi-notes-background"  # the name run_with_progress gives its thread
NURSE = Principal.for_user(1, "ahart", "Amelia Hart", ("nurse",))


@pytest.fixture
def demo(ctx: AppContext, ui_data_dir: Path) -> AppContext:  # noqa: F811
    build_demo(ctx, patients=10, sessions=40, seed=3)
    return ctx


@contextmanager
def statement_threads(ctx: AppContext) -> Iterator[list[tuple[str, str]]]:
    """(thread name, SQL) of every statement the clinic's engine runs inside the block."""
    seen: list[tuple[str, str]] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append((threading.current_thread().name, statement))

    event.listen(ctx.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(ctx.engine, "before_cursor_execute", record)


@contextmanager
def write_lock(path: Path) -> Iterator[Callable[[], None]]:
    """Hold the database's write lock from a second connection; yields the function that lets it go."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")

    def release() -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    try:
        yield release
    finally:
        release()
        conn.close()


def _query(ctx: AppContext, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(ctx.database_path)) as conn:  # type: ignore[arg-type]
        return conn.execute(sql).fetchall()


def _verify_events(ctx: AppContext) -> list[str]:
    return [d for (d,) in _query(ctx, "SELECT detail FROM audit_event WHERE action = 'verify' ORDER BY id")]


def _backup_events(ctx: AppContext) -> int:
    return _query(ctx, "SELECT count(*) FROM audit_event WHERE action = 'backup'")[0][0]


def _screen(qtbot: QtBot, ctx: AppContext) -> AuditTrailScreen:
    screen = AuditTrailScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1300, 800)
    screen.show()
    qtbot.waitExposed(screen)
    return screen


def _problems(screen: AuditTrailScreen) -> list[str]:
    return [screen.problem_list.item(i).text() for i in range(screen.problem_list.count())]


# -- Verify chain ------------------------------------------------------------------------------------------
def test_verify_runs_on_a_worker_and_shows_the_intact_report(qtbot: QtBot, demo: AppContext,
                                                             message_boxes: list) -> None:  # noqa: F811
    screen = _screen(qtbot, demo)
    signed = _query(demo, "SELECT count(*) FROM procedure_session WHERE status = 'signed'")[0][0]
    with statement_threads(demo) as seen:
        qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    label = screen.verify_label.text()
    assert screen.verify_panel.isVisible() and label.startswith("Intact: ") and not screen.problem_list.isVisible()
    assert f"{signed:,} signed sessions checked" in label and signed > 0
    reads = [thread for thread, sql in seen if "FROM procedure_session" in sql]
    writes = [thread for thread, sql in seen if sql.startswith("INSERT INTO audit_event")]
    assert reads and set(reads) == {WORKER} and threading.main_thread().name != WORKER
    # the "verify" event is written by the worker too, after the check; then the trail reloads to show it (its
    # first page's "view" recorded on the main thread, as every reload's)
    assert writes == [WORKER, threading.main_thread().name]
    assert _verify_events(demo) == [f"{signed} signed sessions, {label.split()[1].replace(',', '')} audit events: "
                                    "all intact"]
    assert screen.verify_button.isEnabled() and not screen.verifying and message_boxes == []


def test_the_window_keeps_working_and_a_second_verify_cannot_start(qtbot: QtBot, demo: AppContext,
                                                                   message_boxes: list) -> None:  # noqa: F811
    screen = _screen(qtbot, demo)
    during: dict[str, object] = {}
    with write_lock(demo.database_path) as release:  # type: ignore[arg-type]
        def meanwhile() -> None:  # runs only if the UI thread's event loop turns while the verify waits
            during["button enabled"] = screen.verify_button.isEnabled()
            during["verifying"] = screen.verifying
            qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
            during["second verify"] = screen.verify_chain()
            release()

        QTimer.singleShot(0, meanwhile)
        report = screen.verify_chain()
    assert during == {"button enabled": False, "verifying": True, "second verify": None}
    assert report is not None and report.ok and screen.verify_label.text().startswith("Intact: ")
    assert len(_verify_events(demo)) == 1 and screen.verify_button.isEnabled() and message_boxes == []


def test_a_tampered_database_still_shows_its_problems(qtbot: QtBot, demo: AppContext,
                                                      message_boxes: list) -> None:  # noqa: F811
    screen = _screen(qtbot, demo)
    with closing(sqlite3.connect(demo.database_path)) as conn:  # type: ignore[arg-type]
        sid, mrn = conn.execute("SELECT s.id, p.mrn FROM procedure_session s JOIN patient p ON p.id = s.patient_id "
                                "WHERE s.status = 'signed' ORDER BY s.id LIMIT 1").fetchone()
        conn.execute("DROP TRIGGER trg_procedure_session_update_locked")
        conn.execute("UPDATE procedure_session SET pain_after = 0, pain_before = 10 WHERE id = ?", (sid,))
        conn.execute("DROP TRIGGER trg_audit_event_update_locked")
        conn.execute("UPDATE audit_event SET detail = 'nothing happened' WHERE id = 1")
        conn.commit()
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    problems = _problems(screen)
    assert "problems found" in screen.verify_label.text() and screen.problem_list.isVisible()
    assert "Audit event 1: its content does not match its hash (the event was changed)" in problems
    assert any(p.startswith(f"Session {sid} (patient MRN {mrn}): ") for p in problems)
    assert any("trg_procedure_session_update_locked is missing" in p for p in problems)
    assert any("trg_audit_event_update_locked is missing" in p for p in problems)
    assert "1 tampered sessions" in _verify_events(demo)[-1] and message_boxes == []
    assert screen.verify_button.isEnabled()


def test_a_refused_verify_is_shown_as_before_and_records_nothing(qtbot: QtBot, demo: AppContext,
                                                                 message_boxes: list) -> None:  # noqa: F811
    screen = _screen(qtbot, demo)
    demo.act_as(holding(demo, NURSE))  # signed in again as someone who may not verify, with the screen still open
    with pytest.raises(PermissionDenied) as refused:
        integrity.verify_database(demo)
    assert screen.verify_chain() is None
    assert message_boxes == [("warning", error_text(refused.value))] and "may not verify" in message_boxes[0][1]
    assert not screen.verify_panel.isVisible() and _verify_events(demo) == []
    assert screen.verify_button.isEnabled() and not screen.verifying


# -- Back up… ----------------------------------------------------------------------------------------------
@pytest.fixture
def admin(qtbot: QtBot, demo: AppContext, message_boxes: list) -> AdminWindow:  # noqa: F811
    window = AdminWindow(demo)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _save_to(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[str]:
    """Answer the save dialog with ``path`` (no real dialog); returns the list of the dialogs' titles."""
    asked: list[str] = []

    def save_dialog(_parent: object, title: str, _suggested: str, _filter: str) -> Path:
        asked.append(title)
        return path

    monkeypatch.setattr(file_dialogs, "ask_save_path", save_dialog)
    return asked


def test_backup_from_the_window_writes_a_checked_copy_on_a_worker(qtbot: QtBot, admin: AdminWindow,
                                                                  demo: AppContext, message_boxes: list,  # noqa: F811
                                                                  tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "backups" / "clinic.sqlite"
    target.parent.mkdir()
    asked = _save_to(monkeypatch, target)
    with statement_threads(demo) as seen:
        qtbot.mouseClick(admin.backup_button, Qt.MouseButton.LeftButton)
    assert asked == ["Back up the clinic database"] and target.exists()
    with closing(sqlite3.connect(target)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("SELECT count(*) FROM patient").fetchone()[0] == 10
        assert copy.execute("SELECT count(*) FROM procedure_session").fetchone()[0] == 40
    assert sorted(p.name for p in target.parent.iterdir()) == ["clinic.sqlite", "clinic.sqlite.anchor.json"]  # no partial file left beside it
    assert [thread for thread, sql in seen if sql.startswith("INSERT INTO audit_event")] == [WORKER]
    assert message_boxes[-1][0] == "information" and message_boxes[-1][1].startswith(
        f"Backed up 10 patients and 40 sessions to {target} (") and "integrity check passed" in message_boxes[-1][1]
    assert _backup_events(demo) == 1 and not backup_running()


def test_a_second_backup_cannot_start_while_one_runs(qtbot: QtBot, admin: AdminWindow, demo: AppContext,
                                                     message_boxes: list, tmp_path: Path,  # noqa: F811
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _save_to(monkeypatch, tmp_path / "first.sqlite")
    during: dict[str, object] = {}
    with write_lock(demo.database_path) as release:  # type: ignore[arg-type]
        def meanwhile() -> None:  # the copy is made; its "backup" audit event waits for the lock
            during["running"] = backup_running()
            during["second backup"] = backup_database(demo, admin)
            during["dialogs"] = list(asked)
            release()

        QTimer.singleShot(0, meanwhile)
        written = backup_database(demo, admin)
    assert during == {"running": True, "second backup": None, "dialogs": ["Back up the clinic database"]}
    assert message_boxes[0] == ("information", "A backup is already being made; wait for it to finish.")
    assert written == tmp_path / "first.sqlite" and message_boxes[-1][0] == "information"
    assert "integrity check passed" in message_boxes[-1][1] and len(message_boxes) == 2
    assert _backup_events(demo) == 1 and not backup_running()


def test_a_backup_that_fails_shows_the_same_message_and_writes_nothing(qtbot: QtBot, admin: AdminWindow,
                                                                       demo: AppContext, message_boxes: list,  # noqa: F811
                                                                       tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    before = sorted(tmp_path.rglob("*"))
    missing = tmp_path / "nowhere" / "b.sqlite"
    _save_to(monkeypatch, missing)
    assert backup_database(demo, admin) is None
    assert message_boxes == [("warning", f"Cannot write {missing}: the folder {missing.parent} does not exist.")]
    folder = tmp_path / "a-folder.sqlite"
    folder.mkdir()
    before.append(folder)
    _save_to(monkeypatch, folder)
    qtbot.mouseClick(admin.backup_button, Qt.MouseButton.LeftButton)
    assert message_boxes[-1] == ("warning", f"Cannot write {folder}: it is a folder.")
    assert sorted(tmp_path.rglob("*")) == sorted(before) and not missing.parent.exists()
    assert _backup_events(demo) == 0 and not backup_running() and len(message_boxes) == 2
