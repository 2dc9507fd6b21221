"""The session history a page at a time: rows for a filter and sort, the filter's count, and its chart.

Built to stay fast on 100,000 sessions (product.md §11), and its pages on 1,000,000 (issue 19):

* a page is two steps: the page's ids (LIMIT over an index-ordered scan where the sort allows), then the
  rows of just those ids, with their sites, syringes and addenda in one batched query each;
* a later page starts after the last row of the one before (keyset: ``after``, the sort values of that
  row), a seek on the index rather than an OFFSET that reads every row before it; a sort led by a status,
  a physician or a site count is read segment by segment (one per status, per physician, per count: the
  count kept on the session row, migration 0025), each on its own index;
* the count and the chart are aggregates in the database; sessions per month are counted one index range
  per month when the filter is on the session row alone (no temporary B-tree), grouped otherwise;
* filters on sites, syringes and the patient's name are ``id IN (subquery)`` (session_filter.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    distinct,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from tpi_notes.db.models import (
    FormularyItem,
    Patient,
    Preparation,
    PreparationComponent,
    ProcedureSession,
    Site,
    User,
    UserRole,
)
from tpi_notes.db.repositories.session_filter import (
    agent_item_ids,
    conditions,
    has_child_conditions,
    matching_ids,
)
from tpi_notes.db.repositories.sessions import session_contents
from tpi_notes.domain.history import (
    SORT_KEYS,
    AgentCount,
    HistoryFilter,
    HistoryRow,
    MonthCount,
    Sort,
)

PS = ProcedureSession
COMPLEMENT_SHARE = 0.6  # a session-row filter keeping more than this share is charted as all minus the rest
PROBE_ROWS = 2_000  # site or syringe rows beyond which a page is read by probing sessions in index order
BROAD_ROWS = 20_000  # ... and beyond which the first page leaves the count to the chart


def _where(query: Select, flt: HistoryFilter, correlated: bool = False) -> Select:
    found = conditions(flt, correlated)
    return query.where(and_(*found)) if found else query


def child_rows(s: Session, flt: HistoryFilter) -> int | None:
    """How many site or syringe rows the filter's narrowest child condition matches, counted up to
    BROAD_ROWS on the covering indexes (a millisecond or two); None when the filter has no such condition
    or also names a patient (then it is narrow whatever the rest says)."""
    if not has_child_conditions(flt) or flt.patient_text.strip() or flt.patient_id is not None \
            or flt.lot_number.strip():
        return None
    probes: list[Select] = []
    if flt.technique:
        probes.append(select(Site.id).where(Site.technique == flt.technique))
    if flt.muscle_id:
        probes.append(select(Site.id).where(Site.muscle_id == flt.muscle_id))
    if flt.agent:
        probes.append(select(PreparationComponent.id)
                      .where(PreparationComponent.item_id.in_(agent_item_ids(flt.agent))))
    return min(s.scalar(select(func.count()).select_from(probe.limit(BROAD_ROWS).subquery())) or 0
               for probe in probes)


def is_broad(s: Session, flt: HistoryFilter) -> bool:
    """True when every site or syringe condition matches at least BROAD_ROWS rows: a large share of the
    history, whose count the first page leaves to the chart."""
    size = child_rows(s, flt)
    return size is not None and size >= BROAD_ROWS


@dataclass(frozen=True)
class _Term:
    """One ORDER BY term: its expression, its direction, and whether NULLs sort (last) among its values."""

    column: ColumnElement
    descending: bool
    nullable: bool = False

    def order(self) -> ColumnElement:
        ordered = self.column.desc() if self.descending else self.column.asc()
        return ordered.nulls_last() if self.nullable else ordered

    def equal(self, value: object) -> ColumnElement[bool]:
        return self.column.is_(None) if value is None else self.column == value

    def beyond(self, value: object) -> ColumnElement[bool]:
        """Rows after ``value`` in this term's order (NULLs last: nothing comes after a NULL)."""
        if value is None:
            return false()
        after = self.column < value if self.descending else self.column > value
        return or_(after, self.column.is_(None)) if self.nullable else after

    def from_here(self, value: object) -> ColumnElement[bool] | None:
        """``value`` and everything after it: a plain range an index can seek to (None when it is not one)."""
        if value is None or self.nullable:
            return None
        return self.column <= value if self.descending else self.column >= value


def _terms(sort: Sort) -> tuple[list[_Term], str | None]:
    """The ORDER BY of ``sort`` (ties: newest first, then highest id) and the table it needs joined."""
    d = sort.descending
    newest = [_Term(PS.performed_start, True), _Term(PS.id, True)]
    if sort.key == "performed":
        return [_Term(PS.performed_start, d), _Term(PS.id, d)], None
    if sort.key == "patient":
        # Case- and accent-folded names, as the patient list sorts ("Álvarez" with the A's): walks
        # ix_patient_sort and each patient's sessions through ix_procedure_session_patient.
        return [_Term(Patient.search_key, d), _Term(Patient.id, d), *newest], "patient"
    if sort.key == "physician":
        return [_Term(User.full_name, d, nullable=True), _Term(PS.physician_id, d, nullable=True), *newest], "user"
    if sort.key == "status":
        return [_Term(PS.status, d), *newest], None
    return [_Term(PS.site_count, d), *newest], None  # sites: the count kept on the row (migration 0025)


def _walks_patients(s: Session, flt: HistoryFilter, sort: Sort) -> bool:
    """True when a Patient sort should walk the patients in name order (ix_patient_sort) and each one's sessions
    (ix_procedure_session_patient) whatever the filter: a filter on the session row alone (status, physician,
    dates) that matches BROAD_ROWS sessions or more. SQLite otherwise starts from that filter's own index and
    sorts every match by name: 59 s for "signed" at 1,000,000 sessions, 8 s for one physician, 2 s for a
    quarter; the walk stops after the page. A narrower filter is gathered and sorted (fewer than BROAD_ROWS).
    SQLite only: PostgreSQL plans from its statistics."""
    if sort.key != "patient" or flt.is_empty or has_child_conditions(flt) or flt.patient_id is not None:
        return False
    if s.get_bind().dialect.name != "sqlite":
        return False
    found = _where(select(PS.id), flt).limit(BROAD_ROWS).subquery()
    return (s.scalar(select(func.count()).select_from(found)) or 0) >= BROAD_ROWS


def _after(terms: list[_Term], cursor: Sequence[object]) -> list[ColumnElement[bool]]:
    """Keyset paging: the rows that come after ``cursor`` (the sort values of the last row shown), as
    (t1 after c1) OR (t1 = c1 AND t2 after c2) OR …, led by a plain range on the first term for the index."""
    if len(cursor) != len(terms):
        raise ValueError("the cursor does not belong to this sort")
    branches = [and_(*(t.equal(v) for t, v in zip(terms[:i], cursor[:i], strict=True)), term.beyond(cursor[i]))
                for i, term in enumerate(terms)]
    lead = terms[0].from_here(cursor[0])
    return [c for c in (lead, or_(*branches)) if c is not None]


def _segments(s: Session, sort: Sort, after: Sequence[object] | None = None,
              ) -> list[tuple[tuple, ColumnElement[bool]]] | None:
    """For a sort led by a key of few values (a status, a physician, a site count), those values in sort order,
    each with the condition that picks its sessions; None for the other sorts.

    A page is then read segment by segment, each on its own index in date order (ix_procedure_session_status,
    ix_procedure_session_physician, ix_procedure_session_sites) and stopping when the page is full: one ORDER
    BY over the whole history would sort it all (drafts first needs the date descending within an ascending
    status, which no index gives; a physician's name is in another table), at every page. Site counts are
    found from the page's cursor on (``after``) by a seek each on the index, never by reading the history."""
    if sort.key == "sites":
        if after is not None and (not after or type(after[0]) is not int):
            raise ValueError("the cursor does not belong to this sort")
        return [((n,), PS.site_count == n)
                for n in _site_counts(s, sort.descending, None if after is None else after[0])]
    if sort.key == "status":
        return [((status,), PS.status == status) for status in sorted(("draft", "signed"), reverse=sort.descending)]
    if sort.key == "physician":
        users = s.execute(select(User.full_name, User.id).order_by(User.full_name, User.id)).all()
        if sort.descending:
            users.reverse()
        found: list[tuple[tuple, ColumnElement[bool]]] = [((name, uid), PS.physician_id == uid) for name, uid in users]
        return [*found, ((None, None), PS.physician_id.is_(None))]  # no physician yet: last either way
    return None


def _site_counts(s: Session, descending: bool, start: int | None) -> list[int]:
    """The distinct site counts in sort order, from ``start`` (included, even when no session has it any
    more) or from the first: one MIN or MAX seek on ix_procedure_session_sites per count (a skip scan)."""
    step = func.max if descending else func.min
    beyond = (lambda n: PS.site_count < n) if descending else (lambda n: PS.site_count > n)
    found: list[int] = []
    value = start if start is not None else s.scalar(select(step(PS.site_count)))
    while value is not None:
        found.append(value)
        value = s.scalar(select(step(PS.site_count)).where(beyond(value)))
    return found


def _segmented_ids(s: Session, flt: HistoryFilter, terms: list[_Term], segments: list[tuple[tuple, ColumnElement]],
                   limit: int, after: Sequence[object] | None, probing: bool) -> tuple[list[int], tuple | None] | None:
    """One page read segment by segment (see :func:`_segments`); None when ``after`` names no segment."""
    lead = len(segments[0][0])
    rest = terms[lead:]
    start = 0
    if after is not None:
        start = next((i for i, (values, _) in enumerate(segments) if values == tuple(after[:lead])), -1)
        if start < 0:
            return None
    ids: list[int] = []
    cursor: tuple | None = None
    for i, (values, condition) in enumerate(segments[start:]):
        query = _where(select(PS.id, *(t.column for t in rest)), flt, correlated=probing).where(condition)
        if i == 0 and after is not None:
            query = query.where(*_after(rest, after[lead:]))
        rows = s.execute(query.order_by(*(t.order() for t in rest)).limit(limit - len(ids))).all()
        if rows:
            ids.extend(row[0] for row in rows)
            cursor = (*values, *rows[-1][1:])
        if len(ids) >= limit:
            break
    return ids, cursor


def page_ids(s: Session, flt: HistoryFilter, sort: Sort, offset: int, limit: int,
             with_total: bool = False, after: Sequence[object] | None = None,
             ) -> tuple[list[int], int | None, tuple | None]:
    """The ids of one page of matching sessions in ``sort`` order (ties: newest first, then highest id),
    with ``with_total`` the number of sessions the filter matches (a short first page's is always given: it
    is the page), and the cursor of the page's last row.

    A later page is found from the cursor of the page before (``after``: keyset paging, a seek on the sort's
    index wherever the page is) rather than by skipping ``offset`` rows, which reads and drops them all.

    The count is left out (None) for a broad site or syringe filter combined with other conditions
    (:func:`is_broad`): its page is read in index order with per-session probes and stops early, while
    counting it means visiting most of the history; the chart (:func:`per_month`) counts it."""
    if sort.key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {sort.key!r}")
    size = child_rows(s, flt)
    broad = size is not None and size >= BROAD_ROWS
    segments = _segments(s, sort, after) if offset == 0 else None  # (an OFFSET page is one query, as it was)
    # Past PROBE_ROWS matches, a page in index order is found faster by probing each session in turn
    # (it stops after the page) than by gathering and sorting every match.
    probing = size is not None and size >= PROBE_ROWS and (segments is not None or sort.key in ("performed", "patient"))
    # A filter on sites, syringes or names that gathers all its matches to sort them anyway counts them in
    # the same pass (unless one index counts it directly). Otherwise the page stops early on an index and
    # a separate count is cheaper.
    direct = _direct_count(flt)
    windowed = with_total and after is None and direct is None and not probing and has_child_conditions(flt)
    terms, joined = _terms(sort)
    found = _segmented_ids(s, flt, terms, segments, limit, after, probing) if segments else None
    if found is not None:
        ids, cursor = found
        if after is None and len(ids) < limit:
            return ids, len(ids), cursor  # a short first page is the whole answer, counted or not
        if not with_total:
            return ids, None, cursor
        return ids, None if broad and direct is None else count(s, flt), cursor
    keys = [t.column for t in terms]
    columns = (PS.id, func.count().over().label("total"), *keys) if windowed else (PS.id, *keys)
    if joined == "patient" and _walks_patients(s, flt, sort):
        # The filter as one expression no index answers, so the plan is the walk in name order.
        query = select(*columns).where(func.coalesce(and_(*conditions(flt)), False).is_(True))
    else:
        query = _where(select(*columns), flt, correlated=probing)
    if joined == "patient":
        query = query.join(Patient, Patient.id == PS.patient_id)
    elif joined == "user":
        query = query.outerjoin(User, User.id == PS.physician_id)
    if after is not None:
        query = query.where(*_after(terms, after))
    rows = s.execute(query.order_by(*(t.order() for t in terms)).offset(offset).limit(limit)).all()
    ids = [row[0] for row in rows]
    cursor = tuple(rows[-1][-len(terms):]) if rows else None
    if offset == 0 and after is None and len(ids) < limit:
        return ids, len(ids), cursor  # a short first page is the whole answer, counted or not
    if not with_total:
        return ids, None, cursor
    if windowed and rows:
        return ids, rows[0][1], cursor
    if broad and direct is None:
        return ids, None, cursor
    return ids, count(s, flt), cursor


def rows_for(s: Session, ids: Sequence[int]) -> list[HistoryRow]:
    """The history rows of ``ids``, in the order given (ids that no longer exist are left out)."""
    if not ids:
        return []
    heads = {
        row.id: row
        for row in s.execute(
            select(PS.id, PS.performed_start, PS.patient_id, PS.status, PS.pain_before, PS.pain_after,
                   Patient.family_name, Patient.given_name, Patient.mrn, User.full_name, User.credentials)
            .join(Patient, Patient.id == PS.patient_id)
            .outerjoin(User, User.id == PS.physician_id)
            .where(PS.id.in_(ids))
        )
    }
    c = session_contents(s, ids)
    rows = []
    for sid in ids:
        head = heads.get(sid)
        if head is None:
            continue
        physician = f"{head.full_name}, {head.credentials}" if head.credentials else head.full_name or ""
        rows.append(HistoryRow(
            id=sid, performed_start=head.performed_start, patient_id=head.patient_id,
            patient_name=f"{head.family_name}, {head.given_name}", mrn=head.mrn, physician=physician,
            status=head.status, techniques=tuple(sorted(c.techniques[sid])), muscles=tuple(c.muscles[sid]),
            agents=tuple(c.agents[sid]), site_count=c.sites[sid], pain_before=head.pain_before,
            pain_after=head.pain_after, addenda=c.addenda.get(sid, 0),
        ))
    return rows


def page(s: Session, flt: HistoryFilter, sort: Sort, offset: int, limit: int,
         with_total: bool = False, after: Sequence[object] | None = None,
         ) -> tuple[list[HistoryRow], int | None, tuple | None]:
    """One page of rows, with ``with_total`` the filter's session count, and the cursor of the next page."""
    ids, total, cursor = page_ids(s, flt, sort, offset, limit, with_total, after)
    return rows_for(s, ids), total, cursor


def _direct_count(flt: HistoryFilter) -> Select | None:
    """For a filter of one site or syringe condition and nothing else: its distinct sessions, counted on
    the covering index alone (5 to 10 times faster than going through the sessions)."""
    if [bool(flt.technique), bool(flt.muscle_id), bool(flt.agent)].count(True) != 1:
        return None
    if HistoryFilter(technique=flt.technique, muscle_id=flt.muscle_id, agent=flt.agent) != flt:
        return None
    if flt.agent:
        return (select(func.count(distinct(Preparation.session_id))).select_from(PreparationComponent)
                .join(Preparation, Preparation.id == PreparationComponent.preparation_id)
                .where(PreparationComponent.item_id.in_(agent_item_ids(flt.agent))))
    column, value = (Site.technique, flt.technique) if flt.technique else (Site.muscle_id, flt.muscle_id)
    return select(func.count(distinct(Site.session_id))).where(column == value)


def count(s: Session, flt: HistoryFilter) -> int:
    """How many sessions ``flt`` matches."""
    query = _direct_count(flt)
    if query is None:
        query = _where(select(func.count()).select_from(PS), flt)
    return s.scalar(query) or 0


# -- the chart ----------------------------------------------------------------------------------------------

def _month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def _months_between(first: date, last: date) -> list[date]:
    months, month = [], _month_start(first)
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def _month_key(s: Session) -> ColumnElement[str]:
    if s.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m", PS.performed_start)
    return func.to_char(PS.performed_start, "YYYY-MM")


def per_month(s: Session, flt: HistoryFilter) -> list[MonthCount]:
    """Sessions per calendar month from the first to the last matching one (empty months included)."""
    if has_child_conditions(flt):
        # A subquery filter is evaluated once and its matches grouped (per-month ranges would re-run it).
        key = _month_key(s)
        found = {str(k): int(n) for k, n in
                 s.execute(_where(select(key, func.count()).select_from(PS), flt).group_by(key))}
        if not found:
            return []
        first, last = (datetime.strptime(k, "%Y-%m").date() for k in (min(found), max(found)))
        return [MonthCount(m.year, m.month, found.get(m.strftime("%Y-%m"), 0)) for m in _months_between(first, last)]
    # On the session row alone: one index range count per month, all in one statement.
    first = s.scalar(_where(select(func.min(PS.performed_start)), flt))
    if first is None:
        return []
    last = s.scalar(_where(select(func.max(PS.performed_start)), flt))
    months = _months_between(_as_date(first), _as_date(last))
    where = conditions(flt)
    parts = [
        select(literal(i).label("i"), func.count().label("n")).select_from(PS)
        .where(PS.performed_start >= datetime.combine(m, datetime.min.time()),
               PS.performed_start < datetime.combine(_next_month(m), datetime.min.time()), *where)
        for i, m in enumerate(months)
    ]
    counts: dict[int, int] = {}
    for chunk in range(0, len(parts), 200):  # SQLite allows 500 terms in one compound SELECT
        counts.update(s.execute(union_all(*parts[chunk:chunk + 200])).all())
    return [MonthCount(m.year, m.month, int(counts.get(i, 0))) for i, m in enumerate(months)]


def _agent_counts(s: Session, sessions: Select | None) -> dict[int, int]:
    """item id → distinct sessions among ``sessions`` (a SELECT of session ids; None: every session)."""
    query = (select(PreparationComponent.item_id, func.count(distinct(Preparation.session_id)))
             .join(Preparation, Preparation.id == PreparationComponent.preparation_id)
             .group_by(PreparationComponent.item_id))
    if sessions is not None:
        query = query.where(Preparation.session_id.in_(sessions))
    return {item: int(n) for item, n in s.execute(query)}


def by_agent(s: Session, flt: HistoryFilter, matching: int | None = None) -> list[AgentCount]:
    """Matching sessions per formulary item (a session counts once per item), most used first.

    ``matching`` (the filter's count, when known) lets a filter on the session row that keeps most of the
    history be counted as everything minus the few sessions it leaves out."""
    if flt.is_empty:
        counts = _agent_counts(s, None)
    elif matching is not None and not has_child_conditions(flt) and \
            matching > COMPLEMENT_SHARE * (s.scalar(select(func.count()).select_from(PS)) or 0):
        left_out = select(PS.id).where(func.coalesce(and_(*conditions(flt)), False).is_(False))
        counts = _agent_counts(s, None)
        for item, n in _agent_counts(s, left_out).items():
            counts[item] -= n
        counts = {item: n for item, n in counts.items() if n > 0}
    else:
        counts = _agent_counts(s, matching_ids(flt))
    if not counts:
        return []
    items = s.execute(select(FormularyItem.id, FormularyItem.code, FormularyItem.name, FormularyItem.agent_class)
                      .where(FormularyItem.id.in_(list(counts))))
    found = [AgentCount(code, name, agent_class, counts[item_id]) for item_id, code, name, agent_class in items]
    return sorted(found, key=lambda a: (-a.sessions, a.name))


# -- filter choices -----------------------------------------------------------------------------------------

def physicians(s: Session) -> list[tuple[int, str]]:
    """(id, "Name, MD") of everyone who holds the physician role or performed a session, by name."""
    query = (select(User.id, User.full_name, User.credentials)
             .where(or_(exists().where(UserRole.user_id == User.id, UserRole.role == "physician"),
                        exists().where(PS.physician_id == User.id)))
             .order_by(User.full_name, User.id))
    return [(uid, f"{name}, {cred}" if cred else name) for uid, name, cred in s.execute(query)]


def user_label(s: Session, user_id: int) -> str:
    row = s.execute(select(User.full_name, User.credentials).where(User.id == user_id)).first()
    if row is None:
        return ""
    return f"{row[0]}, {row[1]}" if row[1] else row[0]


def agent_name(s: Session, code: str) -> str:
    return s.scalar(select(FormularyItem.name).where(FormularyItem.code == code)) or ""
