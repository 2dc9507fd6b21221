"""The history browser's actions: browse a page of sessions, chart the filter, offer the filter's choices.

Applying a filter (the first page of a query) is one audit event, "query" on "history", with the filter in
words; later pages of the same query are not audited again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tpi_notes.anatomy import available_versions, load_atlas
from tpi_notes.db.repositories import audit, patients, reference, session_history
from tpi_notes.domain.errors import NotFoundError, TpiError, ValidationError
from tpi_notes.domain.formulary import AGENT_CLASSES
from tpi_notes.domain.history import (
    SORT_KEYS,
    AgentChoice,
    ChartData,
    FilterChoices,
    HistoryFilter,
    HistoryPage,
    Sort,
    describe_filter,
)
from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext

PAGE_SIZE = 200
MAX_PAGE = 1000


def _check(flt: HistoryFilter, sort: Sort | None = None) -> None:
    problems = flt.problems()
    if sort is not None and sort.key not in SORT_KEYS:
        problems["sort"] = f"Sort by one of {', '.join(SORT_KEYS)}."
    if problems:
        raise ValidationError(problems)


def browse(ctx: AppContext, flt: HistoryFilter, sort: Sort | None = None, offset: int = 0,
           limit: int = PAGE_SIZE, after: tuple | None = None, with_total: bool = True) -> HistoryPage:
    """One page of the sessions ``flt`` matches, in ``sort`` order (newest first by default).

    The first page (``offset`` 0, no ``after``) applies the filter: it is audited and, with ``with_total``,
    carries the total. A later page is asked for with the previous page's ``next_after`` (keyset paging: a
    seek, as quick at the 900,000th session as at the first) or, less well, an ``offset``; it is not audited
    and carries ``total=None`` (the caller keeps the first page's). So does the first page of a broad filter
    on sites or syringes (say "all injections"), and any first page asked for ``with_total=False`` (the
    browser counts on a worker thread, so the rows never wait for the count): counting visits most of the
    history, so the count is left to :func:`count` or :func:`chart` (whose months add up to it).
    """
    ctx.require(Permission.VIEW_RECORDS)
    sort = sort or Sort()
    _check(flt, sort)
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise ValidationError({"page": f"A page starts at 0 or later and holds 1 to {MAX_PAGE} sessions."})
    first = offset == 0 and after is None
    with ctx.read() as s:
        if first and flt.patient_id is not None and patients.get(s, flt.patient_id) is None:
            raise NotFoundError(f"Patient {flt.patient_id} does not exist.")
        try:
            rows, total, next_after = session_history.page(s, flt, sort, offset, limit,
                                                           with_total=first and with_total, after=after)
        except ValueError:
            raise ValidationError({"page": "That page belongs to another sort; run the filter again."}) from None
        if first:
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="query", entity="history",
                         patient_id=flt.patient_id, detail=_in_words(s, flt))
        return HistoryPage(tuple(rows), offset, total, next_after)


class Cancelled(TpiError):
    """A count or chart was stopped by :meth:`Cancel.stop` (a newer query replaced it)."""


class Cancel:
    """Lets another thread stop a count or chart under way: the read's statement is interrupted at once
    (SQLite's ``interrupt()``, PostgreSQL's ``cancel()``) and no further statement starts, so a replaced
    query stops taking a core from the one that replaced it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: object | None = None
        self.stopped = False

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            if self._connection is not None:
                interrupt = getattr(self._connection, "interrupt", None) or getattr(self._connection, "cancel", None)
                if interrupt is not None:
                    interrupt()

    def check(self) -> None:
        if self.stopped:
            raise Cancelled("Stopped: the filter changed.")

    @contextmanager
    def watching(self, s) -> Iterator[None]:  # noqa: ANN001 - Session
        """Let :meth:`stop` interrupt ``s``'s connection while inside (never after: it goes back to the pool)."""
        with self._lock:
            self.check()
            self._connection = s.connection().connection.dbapi_connection
        try:
            yield
        except Exception:
            if self.stopped:
                raise Cancelled("Stopped: the filter changed.") from None
            raise
        finally:
            with self._lock:
                self._connection = None


@contextmanager
def _reading(ctx: AppContext, cancel: Cancel | None) -> Iterator:
    with ctx.read() as s:
        if cancel is None:
            yield s
        else:
            with cancel.watching(s):
                yield s


def count(ctx: AppContext, flt: HistoryFilter, cancel: Cancel | None = None) -> int:
    """How many sessions ``flt`` matches (``cancel`` may stop it from another thread)."""
    ctx.require(Permission.VIEW_RECORDS)
    _check(flt)
    with _reading(ctx, cancel) as s:
        return session_history.count(s, flt)


def chart(ctx: AppContext, flt: HistoryFilter, cancel: Cancel | None = None) -> ChartData:
    """Sessions per month over the matching range and per agent, for the browser's small chart (``cancel``
    may stop it from another thread: the browser charts on a worker)."""
    ctx.require(Permission.VIEW_RECORDS)
    _check(flt)
    with _reading(ctx, cancel) as s:
        months = session_history.per_month(s, flt)
        total = sum(m.sessions for m in months)
        if cancel is not None:
            cancel.check()
        agents = session_history.by_agent(s, flt, matching=total) if total else []
        return ChartData(tuple(months), tuple(agents), total)


def filter_choices(ctx: AppContext) -> FilterChoices:
    """Physicians, formulary agents (retired ones too: old sessions used them), agent classes and muscles."""
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        physicians = session_history.physicians(s)
        items = reference.list_items(s, include_retired=True)
    agents = tuple(sorted((AgentChoice(i.code, i.name, i.agent_class) for i in items),
                          key=lambda a: (list(AGENT_CLASSES).index(a.agent_class)
                                         if a.agent_class in AGENT_CLASSES else 99, a.name.lower())))
    return FilterChoices(tuple(physicians), agents, tuple(AGENT_CLASSES.items()), muscle_choices())


def muscle_choices() -> tuple[tuple[str, str], ...]:
    """(muscle id, name) of every muscle of every atlas version (deep alternatives included), by name: sessions
    charted on atlas 1 name groups ("Lumbar paraspinals") that atlas 2 names muscle by muscle."""
    names: dict[str, str] = {}
    for version in reversed(available_versions()):  # the newest name of a muscle id first
        for region in load_atlas(version).regions:
            names.setdefault(region.muscle_id, region.muscle)
            for deep in region.deep:
                names.setdefault(deep.muscle_id, deep.muscle)
    return tuple(sorted(names.items(), key=lambda item: item[1].lower()))


def _in_words(s, flt: HistoryFilter) -> str:  # noqa: ANN001 - Session
    physician = session_history.user_label(s, flt.physician_id) if flt.physician_id is not None else ""
    agent = session_history.agent_name(s, flt.agent) if flt.agent else ""
    muscle = dict(muscle_choices()).get(flt.muscle_id, "") if flt.muscle_id else ""
    return describe_filter(flt, physician=physician, agent=agent, muscle=muscle)
