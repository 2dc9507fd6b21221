"""The history sorted by Patient with a filter on the session row (status, physician, dates) walks the patients
in name order and stops after the page (issue 19): SQLite would otherwise start from the filter's own index and
sort every match by name (59 s for "signed" at 1,000,000 sessions, on the window's thread). The rows are the
ones the gathered-and-sorted query lists, page after page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from demo_copies import build_demo_file, open_copy
from sqlalchemy import event

from tpi_notes.db.repositories import session_history
from tpi_notes.domain.history import HistoryFilter, Sort
from tpi_notes.services import history
from tpi_notes.services.context import AppContext

SESSIONS = 300


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_file(tmp_path_factory, "sort-plans", patients=40, sessions=SESSIONS, seed=29)


@pytest.fixture
def clinic(demo_file: Path, tmp_path: Path) -> Iterator[AppContext]:
    yield from open_copy(demo_file, tmp_path)


def _filters(ctx: AppContext) -> list[HistoryFilter]:
    physician_id = history.filter_choices(ctx).physicians[0][0]
    newest = history.browse(ctx, HistoryFilter(), limit=1).rows[0].performed_start.date()
    return [HistoryFilter(status="signed"), HistoryFilter(status="draft"), HistoryFilter(physician_id=physician_id),
            HistoryFilter(date_from=newest - timedelta(days=200), date_to=newest),
            HistoryFilter(status="signed", physician_id=physician_id, date_from=newest - timedelta(days=400))]


def _keyset(ctx: AppContext, flt: HistoryFilter, sort: Sort, size: int) -> list[int]:
    ids: list[int] = []
    page = history.browse(ctx, flt, sort, limit=size)
    while page.rows:
        ids.extend(r.id for r in page.rows)
        page = history.browse(ctx, flt, sort, limit=size, after=page.next_after)
    return ids


@pytest.mark.parametrize("descending", [False, True])
def test_a_broad_session_filter_sorted_by_patient_walks_the_names_and_lists_the_same_rows(
        clinic: AppContext, monkeypatch: pytest.MonkeyPatch, descending: bool) -> None:
    sort = Sort("patient", descending)
    filters = _filters(clinic)
    gathered = {flt: [r.id for r in history.browse(clinic, flt, sort, limit=500).rows] for flt in filters}
    assert all(len(ids) >= 5 for ids in gathered.values()), [len(i) for i in gathered.values()]
    monkeypatch.setattr(session_history, "BROAD_ROWS", 5)  # every one of these filters is broad now
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if "JOIN patient" in statement and "ORDER BY" in statement and "LIMIT" in statement:
            statements.append((statement, parameters))

    event.listen(clinic.engine, "before_cursor_execute", record)
    try:
        for flt in filters:
            assert _keyset(clinic, flt, sort, 17) == gathered[flt], flt
    finally:
        event.remove(clinic.engine, "before_cursor_execute", record)
    assert len(statements) > len(filters)
    raw = clinic.engine.raw_connection()
    try:
        for statement, parameters in statements:
            plan = " / ".join(row[-1] for row in raw.cursor().execute("EXPLAIN QUERY PLAN " + statement, parameters))
            assert "TEMP B-TREE" not in plan and "ix_patient_sort" in plan, (statement, plan)
    finally:
        raw.close()
