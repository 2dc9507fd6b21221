"""The history's count and chart, computed on a worker thread so the window never waits for them.

At a million sessions the per-agent chart takes most of a second and an exact count a tenth; the table's page
takes a few milliseconds. So the browser shows the page at once and hands the filter to a :class:`SummaryTask`
on its own thread pool: the task counts (when the page did not), then charts, each through the history service
on its own read transaction (a pooled connection of its own, a snapshot that never holds the write lock), and
sends each result back by a queued signal tagged with the query's number. The browser drops a result whose
number is not the query on screen; a task whose query was replaced is stopped (its statement interrupted,
``history.Cancel``), so it never takes a core from the query that replaced it.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QRunnable, Signal

from tpi_notes.domain.history import HistoryFilter
from tpi_notes.services import history as history_service
from tpi_notes.services.context import AppContext


class SummaryRelay(QObject):
    """Carries a task's results to the GUI thread (created there, so its signals arrive queued)."""

    counted = Signal(int, int)
    """(query number, sessions the filter matches)."""
    charted = Signal(int, object)
    """(query number, ChartData)."""
    failed = Signal(int, object)
    """(query number, the TpiError)."""


class SummaryTask(QRunnable):
    """Count (when ``count`` is set) then chart ``flt``, for query number ``query``."""

    def __init__(self, ctx: AppContext, flt: HistoryFilter, query: int, count: bool, relay: SummaryRelay) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the browser keeps it until its results are in
        self._ctx = ctx
        self.filter = flt
        self.query = query
        self._count = count
        self.relay = relay
        self._stop = history_service.Cancel()
        self.done = threading.Event()

    def cancel(self) -> None:
        """A newer query replaced this one: interrupt the statement under way and start no other."""
        self._stop.stop()

    @property
    def cancelled(self) -> bool:
        return self._stop.stopped

    def run(self) -> None:
        try:
            if self._count and not self.cancelled:
                total = history_service.count(self._ctx, self.filter, self._stop)
                if not self.cancelled:
                    self.relay.counted.emit(self.query, total)
            if not self.cancelled:
                data = history_service.chart(self._ctx, self.filter, self._stop)
                if not self.cancelled:
                    self.relay.charted.emit(self.query, data)
        except Exception as error:  # noqa: BLE001 - handed to the GUI thread, which shows or reports it
            if not self.cancelled:
                self.relay.failed.emit(self.query, error)
        finally:
            self.done.set()
