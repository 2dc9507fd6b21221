"""The audit-trail screen: filter bar, paging table sorted on the server, Verify chain, Export CSV…"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import sqlite3  # noqa: E402
from contextlib import closing  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from principals import holding  # noqa: E402
from PySide6.QtCore import QDate, QPoint, Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from ui_fixtures import message_boxes, type_text  # noqa: E402, F401

from tpi_notes.db.repositories import audit  # noqa: E402
from tpi_notes.domain.permissions import Principal  # noqa: E402
from tpi_notes.services import audit_trail  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.services.demo import build_demo  # noqa: E402
from tpi_notes.ui import file_dialogs  # noqa: E402
from tpi_notes.ui.audit_model import DETAIL_COLUMN, EVENT_ID_ROLE, HEADERS, AuditTableModel  # noqa: E402
from tpi_notes.ui.audit_screen import AuditTrailScreen, render_audit_screenshot  # noqa: E402

LONG = ("aftercare sheet, library version 3 (signed session unchanged), language es, large print; " * 4).strip()
EXTRA = 450
PRINTS = len(range(1, EXTRA, 4))  # events n with n % 4 == 1
LOGINS = len(range(3, EXTRA, 4))
# The demo's own events (its build, and its keys, clinic root, certificates and signed PDFs registered), counted
# when the fixture builds it.
DEMO_EVENTS = [0]


@pytest.fixture
def trail(ctx: AppContext) -> AppContext:
    """A small demo clinic, and 450 more events so that the table pages (200 at a time)."""
    build_demo(ctx, patients=5, sessions=20, seed=3)
    with closing(sqlite3.connect(ctx.database_path)) as conn:  # type: ignore[arg-type]
        (DEMO_EVENTS[0],) = conn.execute("SELECT count(*) FROM audit_event").fetchone()
    actions = ("view", "print", "change", "login")
    with ctx.transaction() as s:
        for n in range(EXTRA):
            action = actions[n % 4]
            audit.append(s, actor="os:alice" if n % 9 == 0 else "user:x", action=action,
                         entity="user" if action == "login" else "session", entity_id=n % 20 + 1,
                         patient_id=None if action == "login" else n % 5 + 1,
                         detail=LONG if n == EXTRA - 1 else f"event {n}")
    return ctx


def _screen(qtbot: QtBot, ctx: AppContext) -> AuditTrailScreen:
    screen = AuditTrailScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1300, 800)
    screen.show()
    qtbot.waitExposed(screen)
    return screen


def _column(screen: AuditTrailScreen, column: int) -> list[str]:
    model = screen.model
    return [model.index(row, column).data() for row in range(model.rowCount())]


def _trail_views(ctx: AppContext) -> list[str]:
    with closing(sqlite3.connect(ctx.database_path)) as conn:  # type: ignore[arg-type]
        return [d for (d,) in conn.execute("SELECT detail FROM audit_event WHERE entity = 'audit_trail' AND "
                                           "action = 'view' ORDER BY id")]


def test_it_opens_on_the_newest_events_a_page_at_a_time(qtbot: QtBot, trail: AppContext) -> None:
    screen = _screen(qtbot, trail)
    model = screen.model
    total = model.total
    assert total == EXTRA + DEMO_EVENTS[0]  # the demo's own events and ours
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == list(HEADERS)
    assert model.rowCount() == 200 and model.canFetchMore()
    assert screen.count_label.text() == f"{total:,} events in the trail · 200 loaded (scroll for more)"
    assert _column(screen, 5)[0] == " ".join(LONG.split())  # newest first
    assert _column(screen, 3)[0] == "session 10" and _column(screen, 4)[0].endswith(")")
    assert _trail_views(trail) == [f"all events; sorted by time descending; {total} events"]

    screen.view.scrollToBottom()  # the view asks for more as it reaches the end
    qtbot.waitUntil(lambda: model.rowCount() == 400)
    while model.canFetchMore():
        model.fetchMore()
    ids = [model.index(r, 0).data(EVENT_ID_ROLE) for r in range(model.rowCount())]
    assert len(ids) == len(set(ids)) == total and ids == sorted(ids, reverse=True)
    assert screen.count_label.text() == f"{total:,} events in the trail"
    assert len(_trail_views(trail)) == 1  # scrolling on is not another view of the trail


@pytest.mark.parametrize("column", range(6))
def test_clicking_a_header_sorts_on_the_server(qtbot: QtBot, trail: AppContext, column: int) -> None:
    screen = _screen(qtbot, trail)
    header = screen.view.horizontalHeader()
    where = QPoint(header.sectionViewportPosition(column) + 5, 5)
    # Time is shown newest first, so its first click reverses it; a first click elsewhere sorts A to Z.
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=where)
    key = audit_trail.SORT_KEYS[column]
    assert (screen.model.sort_key, screen.model.descending) == (key, False)
    expected = audit_trail.list_events(trail, screen.model.snapshot, key, False, 0, 200).rows
    assert [screen.model.row_at(r).id for r in range(200)] == [e.id for e in expected]  # type: ignore[union-attr]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert screen.model.descending and header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    backwards = audit_trail.list_events(trail, screen.model.snapshot, key, True, 0, 200).rows
    assert [screen.model.row_at(r).id for r in range(200)] == [e.id for e in backwards]  # type: ignore[union-attr]
    assert _trail_views(trail)[-1].endswith(f"sorted by {key} descending; {screen.model.total} events")
    if column:  # back to Time: the newest first again
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
        assert (screen.model.sort_key, screen.model.descending) == ("time", True)


def test_the_filter_bar(qtbot: QtBot, trail: AppContext, message_boxes: list) -> None:  # noqa: F811
    screen = _screen(qtbot, trail)
    screen.action_combo.setCurrentIndex(screen.action_combo.findText("print"))
    assert set(_column(screen, 2)) == {"print"} and screen.model.total == PRINTS
    assert screen.count_label.text() == f"{PRINTS} events match"
    type_text(qtbot, screen.text_edit, "event 1")
    assert screen.filter_pending
    qtbot.waitUntil(lambda: not screen.filter_pending and screen.model.filter.detail_text == "event 1")
    assert screen.model.total > 0 and all("event 1" in d for d in _column(screen, 5))
    assert _trail_views(trail)[-1] == (f"action print; detail contains “event 1”; sorted by time descending; "
                                       f"{screen.model.total} events")
    screen.patient_edit.setText("zzzz no such patient")
    screen.apply_filter()
    assert screen.model.rowCount() == 0 and screen.count_label.text() == "No events match"
    assert screen.hint_label.isVisible() and "Clear filters" in screen.hint_label.text()
    screen.clear_filters()
    screen.user_combo.setCurrentIndex(screen.user_combo.findText("os:alice"))
    assert set(_column(screen, 1)) == {"os:alice"} and screen.model.total == len(range(0, EXTRA, 9))
    screen.user_combo.setCurrentIndex(0)
    assert screen.model.total == EXTRA + DEMO_EVENTS[0] + len(_trail_views(trail)) - 1
    assert screen.view.isVisible() and message_boxes == []


def test_a_period_backwards_is_marked_at_the_field(qtbot: QtBot, trail: AppContext,
                                                   message_boxes: list) -> None:  # noqa: F811
    screen = _screen(qtbot, trail)
    before = screen.model.rowCount()
    screen.from_date.setDate(QDate(2026, 3, 5))
    screen.to_date.setDate(QDate(2026, 3, 1))
    screen.apply_filter()
    assert screen.message_label.text() == "The end date is before the start date."
    assert screen.to_date.property("invalid") is True and message_boxes == []
    assert screen.model.rowCount() == before  # what was shown stays
    screen.to_date.set_value(None)
    screen.apply_filter()
    assert not screen.to_date.property("invalid") and screen.message_label.text() == ""
    assert screen.from_date.value().isoformat() == "2026-03-05" and screen.to_date.value() is None


def test_the_detail_is_elided_with_the_whole_text_in_its_tooltip(qtbot: QtBot, trail: AppContext) -> None:
    screen = _screen(qtbot, trail)
    index = screen.model.index(0, DETAIL_COLUMN)
    assert screen.view.textElideMode() == Qt.TextElideMode.ElideRight and not screen.view.wordWrap()
    width = screen.view.fontMetrics().horizontalAdvance(index.data())
    assert width > screen.view.visualRect(index).width()  # too long for the column: elided on screen
    assert " ".join(index.data(Qt.ItemDataRole.ToolTipRole).split()) == " ".join(LONG.split())
    assert screen.model.index(1, DETAIL_COLUMN).data(Qt.ItemDataRole.ToolTipRole) == f"event {EXTRA - 2}"


def test_verify_chain_shows_intact_then_the_changed_event(qtbot: QtBot, trail: AppContext,
                                                          message_boxes: list) -> None:  # noqa: F811
    screen = _screen(qtbot, trail)
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    assert screen.verify_panel.isVisible() and screen.verify_label.text().startswith("Intact: ")
    assert not screen.problem_list.isVisible()
    with closing(sqlite3.connect(trail.database_path)) as conn:  # type: ignore[arg-type]
        conn.execute("DROP TRIGGER trg_audit_event_update_locked")
        conn.execute("UPDATE audit_event SET detail = 'nothing happened' WHERE id = 3")
        conn.commit()
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    problems = [screen.problem_list.item(i).text() for i in range(screen.problem_list.count())]
    assert "problems found" in screen.verify_label.text() and screen.problem_list.isVisible()
    assert "Audit event 3: its content does not match its hash (the event was changed)" in problems
    assert any("trg_audit_event_update_locked is missing" in p for p in problems)
    with closing(sqlite3.connect(trail.database_path)) as conn:  # type: ignore[arg-type]
        verified = conn.execute("SELECT count(*) FROM audit_event WHERE action = 'verify'").fetchone()[0]
    assert verified == 2 and message_boxes == []


def test_export_csv_writes_what_the_filter_shows(qtbot: QtBot, trail: AppContext, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    screen = _screen(qtbot, trail)
    screen.action_combo.setCurrentIndex(screen.action_combo.findText("login"))
    target = tmp_path / "out" / "trail.csv"
    target.parent.mkdir()
    monkeypatch.setattr(file_dialogs, "ask_save_path", lambda *a, **k: None)
    assert screen.export_csv() is None and not target.exists()  # cancelled
    monkeypatch.setattr(file_dialogs, "ask_save_path", lambda *a, **k: target)
    qtbot.mouseClick(screen.export_button, Qt.MouseButton.LeftButton)
    raw = target.read_bytes()
    lines = raw.decode("utf-8-sig").splitlines()
    assert raw.startswith(b"\xef\xbb\xbf") and lines[0].startswith("id,time,user,actor")
    assert len(lines) == 1 + LOGINS and all(",login,user," in line for line in lines[1:])
    assert screen.message_label.text() == f"Exported {LOGINS} events to {target}"


def test_a_nurse_is_told_no_and_nothing_is_read(qtbot: QtBot, trail: AppContext,
                                                message_boxes: list) -> None:  # noqa: F811
    trail.act_as(holding(trail, Principal.for_user(1, "ahart", "Amelia Hart", ("nurse", "physician"))))
    screen = _screen(qtbot, trail)
    assert "may not view and export the audit trail" in screen.hint_label.text() and screen.hint_label.isVisible()
    assert not screen.export_button.isEnabled() and not screen.verify_button.isEnabled()
    assert screen.model.rowCount() == 0 and _trail_views(trail) == [] and message_boxes == []


def test_the_model_passes_qt_model_checks(qtbot: QtBot, trail: AppContext, qtmodeltester: object) -> None:
    model = AuditTableModel(trail, page_size=50)
    model.reload()
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert model.rowCount() >= 50 and model.rowCount() % 50 == 0  # the checker fetched some more pages


def test_the_screenshot_helper(trail: AppContext, tmp_path: Path, qapp: object) -> None:
    out = render_audit_screenshot(trail, tmp_path / "shots" / "audit.png")
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1300, 800)
