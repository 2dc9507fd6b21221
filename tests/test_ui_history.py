"""The history browser window: rows page in from the service, filters and header sorts re-query the database,
a session opens on double-click or Enter, the chart follows the filter, Export writes the filtered sessions."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS, holding
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tpi_notes.domain.history import HistoryFilter, Sort
from tpi_notes.domain.permissions import Principal
from tpi_notes.services import history
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.demo import build_demo
from tpi_notes.ui import file_dialogs
from tpi_notes.ui.history import HistoryBrowser, render_history_screenshot
from tpi_notes.ui.history.model import AGENTS, DATE, MRN, PATIENT, SITES, STATUS

pytest_plugins = ["ui_fixtures"]  # message_boxes
SESSIONS = 450
Open = Callable[[], HistoryBrowser]


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history-ui") / "demo.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    build_demo(ctx, patients=50, sessions=SESSIONS, seed=5)
    ctx.close()
    return path


@pytest.fixture
def clinic(demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppContext]:
    monkeypatch.setenv("TPI_NOTES_DATA_DIR", str(tmp_path / "userdata"))
    copy = tmp_path / "clinic.sqlite"
    shutil.copy(demo_file, copy)
    ctx = open_clinic(str(copy), principal=ALL_PERMISSIONS)
    yield ctx
    ctx.close()


@pytest.fixture
def open_browser(qtbot: QtBot, clinic: AppContext) -> Open:
    def make() -> HistoryBrowser:
        browser = HistoryBrowser(clinic)
        qtbot.addWidget(browser)
        browser.show()
        qtbot.waitExposed(browser)
        return browser
    return make


def all_ids(ctx: AppContext, flt: HistoryFilter, sort: Sort = Sort()) -> list[int]:  # noqa: B008
    return [r.id for r in history.browse(ctx, flt, sort, limit=1000).rows]


def shown_ids(browser: HistoryBrowser) -> list[int]:
    return [browser.model.row_at(i).id for i in range(browser.model.rowCount())]  # type: ignore[union-attr]


def settled(qtbot: QtBot, browser: HistoryBrowser) -> None:
    """Wait for the worker's count and chart of the query on screen."""
    qtbot.waitUntil(lambda: not browser.chart_pending)


def click_header(qtbot: QtBot, browser: HistoryBrowser, column: int) -> None:
    header = browser.view.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_first_page_then_more_as_the_view_scrolls(open_browser: Open, clinic: AppContext, qtbot: QtBot) -> None:
    browser = open_browser()
    assert browser.windowTitle() == "Session history"
    assert browser.model.rowCount() == 200  # one page, never the whole history
    settled(qtbot, browser)
    assert browser.count_label.text() == f"{SESSIONS} sessions"
    assert shown_ids(browser) == all_ids(clinic, HistoryFilter())[:200]
    assert browser.model.canFetchMore()
    browser.view.scrollToBottom()
    qtbot.waitUntil(lambda: browser.model.rowCount() > 200)
    for _ in range(5):
        browser.view.scrollToBottom()
        QApplication.processEvents()
    assert browser.model.rowCount() == SESSIONS and not browser.model.canFetchMore()
    assert shown_ids(browser) == all_ids(clinic, HistoryFilter())


def test_model_passes_the_qt_model_checks(open_browser: Open, qtmodeltester) -> None:  # noqa: ANN001
    browser = open_browser()
    qtmodeltester.check(browser.model)


def test_a_filter_change_updates_rows_count_and_chart(open_browser: Open, clinic: AppContext,
                                                      qtbot: QtBot) -> None:
    browser = open_browser()
    qtbot.waitUntil(lambda: not browser.chart_pending)
    assert browser.chart.data is not None and browser.chart.data.total == SESSIONS
    bar = browser.filter_bar
    bar.status.setCurrentIndex(bar.status.findData("draft"))
    drafts = all_ids(clinic, HistoryFilter(status="draft"))
    assert 0 < len(drafts) < 200
    assert shown_ids(browser) == drafts
    assert browser.count_label.text() == f"{len(drafts)} sessions"
    assert all(browser.model.row_at(i).status == "draft" for i in range(browser.model.rowCount()))  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: not browser.chart_pending)
    assert browser.chart.data.total == len(drafts)  # type: ignore[union-attr]
    bar.agent.setCurrentIndex(bar.agent.findData("corticosteroid"))
    expected = all_ids(clinic, HistoryFilter(status="draft", agent="corticosteroid"))
    assert shown_ids(browser) == expected and len(expected) < len(drafts)
    bar.clear_button.click()
    settled(qtbot, browser)
    assert browser.model.total == SESSIONS and bar.current_filter() == HistoryFilter()


def test_a_broad_filter_shows_rows_first_and_its_count_with_the_chart(
        open_browser: Open, clinic: AppContext, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    from tpi_notes.db.repositories import session_history

    browser = open_browser()
    monkeypatch.setattr(session_history, "PROBE_ROWS", 5)
    monkeypatch.setattr(session_history, "BROAD_ROWS", 5)
    bar = browser.filter_bar
    bar.status.setCurrentIndex(bar.status.findData("signed"))
    bar.technique.setCurrentIndex(bar.technique.findData("injection"))
    expected = history.count(clinic, HistoryFilter(technique="injection", status="signed"))
    assert browser.model.rowCount() == 200 and browser.model.total is None
    assert browser.count_label.text() == "1–200 of many" and browser.chart_pending
    qtbot.waitUntil(lambda: not browser.chart_pending)
    assert browser.model.total == expected and browser.count_label.text() == f"{expected} sessions"
    while browser.model.canFetchMore():
        browser.model.fetchMore()
    assert browser.model.rowCount() == expected


def test_patient_text_waits_for_a_pause_and_escape_clears_it(open_browser: Open, clinic: AppContext,
                                                             qtbot: QtBot) -> None:
    browser = open_browser()
    settled(qtbot, browser)
    # QTest types ASCII only: pick a patient whose family name is plain ASCII
    row = next(r for r in (browser.model.row_at(i) for i in range(200))
               if r is not None and r.patient_name.split(",")[0].isascii())
    family = row.patient_name.split(",")[0]
    browser.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is browser)
    qtbot.keyClick(browser.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert browser.filter_bar.patient.hasFocus()
    qtbot.keyClicks(browser.filter_bar.patient, family)
    assert browser.filter_bar.patient_pending and browser.model.total == SESSIONS  # not yet: still typing
    qtbot.waitUntil(lambda: not browser.filter_bar.patient_pending)
    expected = all_ids(clinic, HistoryFilter(patient_text=family))
    assert shown_ids(browser) == expected and row.id in expected and len(expected) < SESSIONS
    qtbot.keyClick(browser.filter_bar.patient, Qt.Key.Key_Escape)
    assert browser.filter_bar.patient.text() == ""
    settled(qtbot, browser)
    assert browser.model.total == SESSIONS


def test_muscle_is_picked_by_typing_part_of_its_name(open_browser: Open, clinic: AppContext, qtbot: QtBot) -> None:
    browser = open_browser()
    muscle = browser.filter_bar.muscle
    muscle.lineEdit().setFocus()
    muscle.setEditText("upper trapezius")
    muscle.lineEdit().editingFinished.emit()
    assert muscle.currentData() == "upper_trapezius"
    assert shown_ids(browser)[:50] == all_ids(clinic, HistoryFilter(muscle_id="upper_trapezius"))[:50]
    muscle.setEditText("no such muscle")
    muscle.lineEdit().editingFinished.emit()
    assert muscle.currentData() == "upper_trapezius" and muscle.currentText() == "Upper trapezius"
    muscle.setEditText("")
    muscle.lineEdit().editingFinished.emit()
    settled(qtbot, browser)
    assert muscle.currentData() is None and browser.model.total == SESSIONS


def test_an_end_date_before_the_start_is_marked_not_run(open_browser: Open) -> None:
    browser = open_browser()
    bar = browser.filter_bar
    from datetime import date
    bar.date_from.set_value(date(2026, 5, 1))
    bar.date_to.set_value(date(2026, 4, 1))
    assert bar.date_to.property("invalid") is True
    assert "end date" in browser.count_label.text()
    bar.date_to.set_value(date(2026, 5, 31))
    assert bar.date_to.property("invalid") is False
    assert all(r.performed_start.month == 5 for r in (browser.model.row_at(i) for i in range(browser.model.rowCount())))


def test_header_click_sorts_on_the_server_and_only_sortable_columns_sort(open_browser: Open, clinic: AppContext,
                                                                         qtbot: QtBot) -> None:
    browser = open_browser()
    header = browser.view.horizontalHeader()
    click_header(qtbot, browser, PATIENT)
    assert browser.model.sort_order == Sort("patient", descending=False)
    assert shown_ids(browser) == all_ids(clinic, HistoryFilter(), Sort("patient", False))[:200]
    assert header.sortIndicatorSection() == PATIENT
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    click_header(qtbot, browser, PATIENT)
    assert browser.model.sort_order == Sort("patient", descending=True)
    click_header(qtbot, browser, SITES)
    assert browser.model.sort_order == Sort("sites", descending=True)
    counts = [browser.model.row_at(i).site_count for i in range(200)]  # type: ignore[union-attr]
    assert counts == sorted(counts, reverse=True)
    for column in (MRN, AGENTS):  # not sort keys: nothing changes, the indicator stays on Sites
        click_header(qtbot, browser, column)
        assert browser.model.sort_order == Sort("sites", descending=True)
        assert header.sortIndicatorSection() == SITES
    click_header(qtbot, browser, STATUS)
    click_header(qtbot, browser, DATE)
    assert browser.model.sort_order == Sort("performed", descending=True)


def test_double_click_or_enter_opens_the_session(open_browser: Open, qtbot: QtBot) -> None:
    browser = open_browser()
    row = browser.model.row_at(2)
    assert row is not None
    rect = browser.view.visualRect(browser.model.index(2, PATIENT))
    qtbot.mouseClick(browser.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(browser.session_activated) as opened:
        qtbot.mouseDClick(browser.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == [row.id]
    browser.view.setCurrentIndex(browser.model.index(4, DATE))
    browser.view.setFocus()
    with qtbot.waitSignal(browser.session_activated) as opened:
        qtbot.keyClick(browser.view, Qt.Key.Key_Return)
    assert opened.args == [browser.model.row_at(4).id]  # type: ignore[union-attr]


def test_no_matches_show_a_hint_and_hide_the_chart(open_browser: Open, qtbot: QtBot) -> None:
    browser = open_browser()
    browser.set_filter(HistoryFilter(patient_text="zzzqqq"))
    assert browser.count_label.text() == "No sessions match"
    assert browser.hint_label.isVisible() and not browser.view.isVisible()
    assert not browser.chart.isVisible() and not browser.export_button.isEnabled()


def test_export_is_hidden_from_a_nurse(clinic: AppContext, qtbot: QtBot) -> None:
    clinic.act_as(holding(clinic, Principal.for_user(1, "nurse", "Nora Nurse", ("nurse",))))
    browser = HistoryBrowser(clinic)
    qtbot.addWidget(browser)
    browser.show()
    assert browser.export_button.isHidden()
    settled(qtbot, browser)
    assert browser.model.total == SESSIONS  # a nurse may still browse
    clinic.act_as(holding(clinic, Principal.for_user(2, "admin", "Ada Admin", ("admin",))))
    shown = HistoryBrowser(clinic)
    qtbot.addWidget(shown)
    assert not shown.export_button.isHidden()


def test_export_writes_the_filtered_sessions(open_browser: Open, clinic: AppContext, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, message_boxes: list) -> None:
    browser = open_browser()
    browser.set_filter(HistoryFilter(status="draft"))
    target = tmp_path / "drafts"
    monkeypatch.setattr(file_dialogs, "ask_save_path", lambda *a, **k: target)
    written = browser.export("jsonl")
    assert written == target.with_suffix(".jsonl") and written.exists()
    lines = written.read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["session_id"] for line in lines} == set(all_ids(clinic, HistoryFilter(status="draft")))
    assert message_boxes[-1][0] == "information" and f"{len(lines)} sessions" in message_boxes[-1][1]


def test_cancelled_export_writes_nothing(open_browser: Open, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = open_browser()
    monkeypatch.setattr(file_dialogs, "ask_save_path", lambda *a, **k: None)
    assert browser.export("csv") is None


def test_reopening_the_window_runs_the_filter_again(open_browser: Open, clinic: AppContext, qtbot: QtBot) -> None:
    from sqlalchemy import func, select

    from tpi_notes.db.models import AuditEvent

    def queries() -> int:
        with clinic.transaction() as s:
            return s.scalar(select(func.count()).where(AuditEvent.action == "query")) or 0

    browser = open_browser()
    browser.filter_bar.status.setCurrentIndex(browser.filter_bar.status.findData("draft"))
    before = queries()
    browser.close()
    browser.show()
    qtbot.waitExposed(browser)
    assert queries() == before + 1  # the same filter, run again (and audited) on today's data
    assert browser.model.filter == HistoryFilter(status="draft")


def test_window_size_is_remembered(open_browser: Open, qtbot: QtBot) -> None:
    browser = open_browser()
    browser.resize(731, 517)  # the offscreen screen is 800 x 600: a larger window would be fitted to it
    browser.close()
    again = open_browser()
    assert (again.width(), again.height()) == (731, 517)


def test_screenshot_helper_saves_a_png(clinic: AppContext, tmp_path: Path, qtbot: QtBot) -> None:
    path = render_history_screenshot(clinic, tmp_path / "shots" / "history.png")
    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chart_draws_a_bar_per_month_with_its_count_on_hover(qtbot: QtBot) -> None:
    from PySide6.QtCore import QPointF

    from tpi_notes.domain.history import AgentCount, ChartData, MonthCount
    from tpi_notes.ui.history.chart import HistoryChart

    chart = HistoryChart()
    qtbot.addWidget(chart)
    chart.resize(900, 220)
    months = (MonthCount(2025, 11, 4), MonthCount(2025, 12, 0), MonthCount(2026, 1, 9))
    chart.set_data(ChartData(months, (AgentCount("lidocaine-1", "Lidocaine 1 %", "local_anesthetic", 11),), 13))
    image = chart.grab().toImage()  # paints offscreen, placing the hover areas
    texts = [chart.tooltip_at(QPointF(x, 120)) for x in range(0, 480, 4)]
    assert [t for t in dict.fromkeys(texts) if t] == ["2025-11: 4 sessions", "2025-12: 0 sessions",
                                                      "2026-01: 9 sessions"]
    agent_tips = {chart.tooltip_at(QPointF(x, y)) for x in range(500, 880, 20) for y in range(20, 100, 4)}
    assert "Lidocaine 1 % (local anesthetic): 11 sessions" in agent_tips
    assert image.pixelColor(60, 150) != image.pixelColor(60, 30)  # something was drawn in the plot


# -- keyset paging and the worker, driven as a user ----------------------------------------------------------

def offset_ids(ctx: AppContext, flt: HistoryFilter, sort: Sort) -> list[int]:
    """Every matching session as OFFSET paging lists them (pages of 150, each skipping the ones before)."""
    ids: list[int] = []
    while True:
        page = history.browse(ctx, flt, sort, offset=len(ids), limit=150)
        ids.extend(r.id for r in page.rows)
        if len(page.rows) < 150:
            return ids


@pytest.mark.parametrize(("column", "clicks", "sort"), [(DATE, 0, Sort()), (STATUS, 1, Sort("status", False)),
                                                         (PATIENT, 2, Sort("patient", True)),
                                                         (SITES, 1, Sort("sites", True)),
                                                         (SITES, 2, Sort("sites", False))])
def test_paging_with_the_keyboard_lists_what_offset_pages_list(open_browser: Open, clinic: AppContext,
                                                               qtbot: QtBot, column: int, clicks: int,
                                                               sort: Sort) -> None:
    """Ctrl+End pages in the rest of the history a page at a time (each page asked for after the last row
    shown): the same sessions in the same order as OFFSET pages, none twice; Ctrl+Home goes back to the first."""
    browser = open_browser()
    for _ in range(clicks):
        click_header(qtbot, browser, column)
    assert browser.model.sort_order == sort
    view = browser.view
    first = view.visualRect(browser.model.index(0, PATIENT)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=first)
    for _ in range(10):
        if not browser.model.canFetchMore():
            break
        qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
        QApplication.processEvents()
    assert browser.model.rowCount() == SESSIONS and not browser.model.canFetchMore()
    assert shown_ids(browser) == offset_ids(clinic, HistoryFilter(), sort)
    qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert browser.current_session_id() == shown_ids(browser)[-1]
    qtbot.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert browser.current_session_id() == shown_ids(browser)[0]
    qtbot.keyClick(view, Qt.Key.Key_PageDown)
    assert view.currentIndex().row() > 0


@pytest.fixture
def held_charts(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict, list]]:
    """The chart service held on the worker thread until the test opens its filter's gate (an Event, no sleep);
    yields (gates by filter, the filters whose summary task has finished). Every gate opens at the end."""
    from tpi_notes.ui.history import summary_worker

    real_chart = history.chart
    gates: dict[HistoryFilter, threading.Event] = {}
    finished: list[HistoryFilter] = []
    done = threading.Event()

    def held_chart(ctx: AppContext, flt: HistoryFilter, *args: object):  # noqa: ANN202
        gate = gates.setdefault(flt, threading.Event())
        if not done.is_set():
            gate.wait(timeout=20)  # only a safety net: the test opens it (on old code the window would block here)
        return real_chart(ctx, flt, *args)

    real_run = summary_worker.SummaryTask.run

    def run(task: summary_worker.SummaryTask) -> None:
        real_run(task)
        finished.append(task.filter)

    monkeypatch.setattr(history, "chart", held_chart)
    monkeypatch.setattr(summary_worker.SummaryTask, "run", run)
    yield gates, finished
    done.set()
    for gate in list(gates.values()):
        gate.set()


def test_rows_and_count_come_before_the_chart_and_a_late_chart_is_dropped(
        open_browser: Open, clinic: AppContext, qtbot: QtBot, held_charts: tuple[dict, list]) -> None:
    gates, finished = held_charts
    browser = open_browser()
    # The table is filled and counted while the chart is still being computed.
    assert shown_ids(browser) == all_ids(clinic, HistoryFilter())[:200]
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{SESSIONS} sessions")
    assert browser.chart.busy and browser.chart.data is None and browser.chart_pending
    assert "Charting" in browser.chart.accessibleDescription()
    # The user picks "Draft" with the keyboard: the drafts are listed at once, the old chart is still held.
    bar = browser.filter_bar
    bar.status.setFocus()
    while bar.status.currentData() != "draft":
        qtbot.keyClick(bar.status, Qt.Key.Key_Down)
    drafts = all_ids(clinic, HistoryFilter(status="draft"))
    assert shown_ids(browser) == drafts and browser.count_label.text() == f"{len(drafts)} sessions"
    assert browser.chart.busy and browser.chart_pending
    # The chart of every session arrives late: it is dropped, the chart still waits for the drafts'.
    gates[HistoryFilter()].set()
    qtbot.waitUntil(lambda: HistoryFilter() in finished)
    QApplication.processEvents()
    assert browser.chart.data is None and browser.chart.busy and browser.chart_pending
    assert browser.count_label.text() == f"{len(drafts)} sessions"
    qtbot.waitUntil(lambda: HistoryFilter(status="draft") in gates)
    gates[HistoryFilter(status="draft")].set()
    qtbot.waitUntil(lambda: not browser.chart_pending)
    assert browser.chart.data is not None and browser.chart.data.total == len(drafts)
    assert not browser.chart.busy


def test_a_result_already_on_its_way_for_an_old_filter_is_dropped(
        open_browser: Open, clinic: AppContext, qtbot: QtBot, held_charts: tuple[dict, list],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Even when the old task missed the news (it had finished its query as the filter changed) and sends
    its chart and count, the browser shows neither: they are tagged with a query no longer on screen."""
    from tpi_notes.db.repositories import session_history
    from tpi_notes.ui.history import summary_worker

    gates, finished = held_charts
    monkeypatch.setattr(summary_worker.SummaryTask, "cancel", lambda task: None)
    monkeypatch.setattr(session_history, "BROAD_ROWS", 5)  # broad: the worker counts, after the page
    monkeypatch.setattr(session_history, "PROBE_ROWS", 5)
    browser = open_browser()
    qtbot.waitUntil(lambda: HistoryFilter() in gates)  # its chart under way, held
    bar = browser.filter_bar
    bar.technique.setFocus()
    while bar.technique.currentData() != "injection":
        qtbot.keyClick(bar.technique, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: HistoryFilter(technique="injection") in gates)
    injections = history.count(clinic, HistoryFilter(technique="injection"))
    bar.status.setFocus()
    while bar.status.currentData() != "signed":
        qtbot.keyClick(bar.status, Qt.Key.Key_Down)
    signed = history.count(clinic, HistoryFilter(technique="injection", status="signed"))
    assert signed < injections
    assert browser.count_label.text() == "1–200 of many"
    for flt in (HistoryFilter(), HistoryFilter(technique="injection")):  # the old tasks hold both threads
        gates[flt].set()
        qtbot.waitUntil(lambda f=flt: f in finished)
    QApplication.processEvents()
    qtbot.waitUntil(lambda: browser.count_label.text() == f"{signed} sessions")
    assert browser.chart.data is None and browser.chart_pending
    assert browser.count_label.text() == f"{signed} sessions" and browser.model.total == signed
    gates.setdefault(HistoryFilter(technique="injection", status="signed"), threading.Event()).set()
    qtbot.waitUntil(lambda: not browser.chart_pending)
    assert browser.chart.data is not None and browser.chart.data.total == signed


def test_a_session_re_dated_elsewhere_while_paging_never_hides_another(open_browser: Open, clinic: AppContext,
                                                                       qtbot: QtBot) -> None:
    """Another workstation moves a draft the user has already seen to an older date before they page on: each
    next page starts after the last row shown (not at row 200, which now is the row after it), so every
    session is still listed exactly once."""
    from datetime import timedelta

    from tpi_notes.db.models import ProcedureSession

    browser = open_browser()
    first_page = [browser.model.row_at(i) for i in range(browser.model.rowCount())]
    draft = next(r for r in first_page if r is not None and r.status == "draft")
    oldest = all_ids(clinic, HistoryFilter())[-1]
    older = history.browse(clinic, HistoryFilter(), limit=1000).rows[-1].performed_start - timedelta(days=1)
    with clinic.transaction() as s:  # the other workstation's save: the draft now dated before every session
        row = s.get(ProcedureSession, draft.id)
        shift = row.performed_start - older
        row.performed_start -= shift
        row.performed_end = None if row.performed_end is None else row.performed_end - shift
    assert all_ids(clinic, HistoryFilter())[-1] == draft.id != oldest
    view = browser.view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visualRect(browser.model.index(0, PATIENT)).center())
    for _ in range(10):
        if not browser.model.canFetchMore():
            break
        qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
        QApplication.processEvents()
    assert sorted(shown_ids(browser)) == sorted(all_ids(clinic, HistoryFilter()))


def test_sites_header_lists_the_counted_order_and_a_draft_that_gains_sites_moves_up(
        open_browser: Open, clinic: AppContext, qtbot: QtBot) -> None:
    """A click on Sites sorts by the count kept on each session (migration 0025): most sites first, ties newest
    first, exactly as counting each session's sites ordered them, with the count and chart already shown kept;
    Ctrl+End pages through all of it; a draft
    saved elsewhere with more sites than any other comes first when the window is opened again; a second
    click lists the fewest first."""
    from dataclasses import replace

    from test_history_site_count import counted_order
    from test_report_support import session_draft

    from tpi_notes.services import drafts

    browser = open_browser()
    settled(qtbot, browser)
    charted = browser.chart.data
    click_header(qtbot, browser, SITES)
    assert browser.model.sort_order == Sort("sites", descending=True)
    assert shown_ids(browser) == counted_order(clinic, HistoryFilter(), True)[:200]
    # the same sessions in another order: the count and chart shown stay (no second chart of the history)
    assert not browser.chart_pending and browser.chart.data is charted
    assert browser.count_label.text() == f"{SESSIONS} sessions"
    view = browser.view

    def page_to_the_end() -> None:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.visualRect(browser.model.index(0, PATIENT)).center())
        for _ in range(10):
            if not browser.model.canFetchMore():
                break
            qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
            QApplication.processEvents()
        assert browser.model.rowCount() == SESSIONS

    page_to_the_end()
    assert shown_ids(browser) == counted_order(clinic, HistoryFilter(), True)
    fewest = history.browse(clinic, HistoryFilter(status="draft"), Sort("sites", False), limit=1).rows[0]
    draft = drafts.get_draft(clinic, fewest.id)
    most = browser.model.row_at(0).site_count  # type: ignore[union-attr]
    sites = session_draft(clinic, draft.patient_id, draft.physician_id or 0, most + 1, technique="dry_needling").sites
    drafts.save_draft(clinic, replace(draft, sites=sites, preparations=()))  # another workstation's save
    browser.close()
    browser.show()
    qtbot.waitExposed(browser)
    assert browser.model.row_at(0).id == draft.id and browser.model.row_at(0).site_count == most + 1  # type: ignore[union-attr]
    assert shown_ids(browser) == counted_order(clinic, HistoryFilter(), True)[:200]
    click_header(qtbot, browser, SITES)
    assert browser.model.sort_order == Sort("sites", descending=False)
    assert browser.view.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    page_to_the_end()
    assert shown_ids(browser) == counted_order(clinic, HistoryFilter(), False)
    assert shown_ids(browser)[-1] == draft.id
