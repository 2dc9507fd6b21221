"""History browser on the 100,000-session clinic: first page, and a filter change, each ≤ 100 ms (product.md §11).

Both are timed through the service as the browser uses it: the page with its count (``browse``, audited) plus
the chart (``chart``). The Qt model's first fill is timed too, offscreen.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta

from acting import BENCH

from tpi_notes.domain.history import HistoryFilter
from tpi_notes.services import history
from tpi_notes.services.context import AppContext, open_clinic

REPEATS = 5


def _ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _median(action: Callable[[], object], repeats: int = REPEATS) -> float:
    return statistics.median(_ms(action) for _ in range(repeats))


def _filters(ctx: AppContext) -> dict[str, HistoryFilter]:
    """What a person picks in the filter bar: a quarter, a physician, a drug, a muscle, a name typed."""
    newest = history.chart(ctx, HistoryFilter()).months[-1]
    end = date(newest.year, newest.month, 1) - timedelta(days=1)
    physician_id = history.filter_choices(ctx).physicians[0][0]
    return {
        "date range": HistoryFilter(date_from=end - timedelta(days=91), date_to=end),
        "physician": HistoryFilter(physician_id=physician_id),
        "agent": HistoryFilter(agent="triamcinolone-40"),
        "muscle": HistoryFilter(muscle_id="upper_trapezius"),
        "patient text": HistoryFilter(patient_text="gar"),
    }


def _apply(ctx: AppContext, flt: HistoryFilter) -> None:
    history.browse(ctx, flt)
    history.chart(ctx, flt)


def _qt_first_fill(ctx: AppContext) -> float:
    from PySide6.QtWidgets import QApplication

    from tpi_notes.ui.history.model import HistoryTableModel

    app = QApplication.instance() or QApplication([])
    model = HistoryTableModel(ctx)
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        model.load(HistoryFilter())
        for row in range(model.rowCount()):  # what the view asks of the visible rows, and more
            model.data(model.index(row, 5))
        samples.append((time.perf_counter() - started) * 1000)
    del app
    return statistics.median(samples)


def run(state: dict) -> list[dict]:
    ctx = open_clinic(str(state["big_db"]), principal=BENCH)
    try:
        _apply(ctx, HistoryFilter())  # warm the page cache as a running app has it
        first_page = _median(lambda: _apply(ctx, HistoryFilter()))
        table_only = _median(lambda: history.browse(ctx, HistoryFilter()))
        per_filter = {name: _median(lambda f=flt: _apply(ctx, f), 3) for name, flt in _filters(ctx).items()}
        later_page = _median(lambda: history.browse(ctx, HistoryFilter(), offset=50_000))
        qt_fill = _qt_first_fill(ctx)
    finally:
        ctx.close()
    slowest = max(per_filter, key=lambda name: per_filter[name])
    return [
        {"what": "history: first page, 100k sessions (page + count + chart)", "measured": first_page, "unit": "ms",
         "budget": 100.0},
        {"what": "history: first page, table only (page + count)", "measured": table_only, "unit": "ms",
         "budget": 100.0},
        {"what": f"history: filter change (median of {len(per_filter)}: {', '.join(per_filter)})",
         "measured": statistics.median(per_filter.values()), "unit": "ms", "budget": 100.0},
        {"what": f"history: filter change, slowest ({slowest})", "measured": per_filter[slowest], "unit": "ms",
         "budget": 100.0},
        {"what": "history: a later page (offset 50,000)", "measured": later_page, "unit": "ms", "budget": 100.0},
        {"what": "history: Qt model first fill, offscreen", "measured": qt_fill, "unit": "ms", "budget": 100.0},
    ]
