"""The history browser's service: every filter restricts to exactly the matching sessions, sorting and paging
come from the database, the count and the chart agree, applying a filter is audited once, roles are checked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from demo_copies import build_demo_file, open_copy
from principals import ALL_PERMISSIONS, holding
from sqlalchemy import func, select

from tpi_notes.db.models import AuditEvent
from tpi_notes.domain.errors import NotFoundError, ValidationError
from tpi_notes.domain.history import SORT_KEYS, HistoryFilter, HistoryRow, Sort
from tpi_notes.domain.patient import search_key
from tpi_notes.domain.permissions import PermissionDenied, Principal
from tpi_notes.services import history
from tpi_notes.services.context import AppContext

SESSIONS = 420


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo clinic for the module (built once); each test opens its own copy."""
    return build_demo_file(tmp_path_factory, "history", patients=60, sessions=SESSIONS, seed=11)


@pytest.fixture
def clinic(demo_file: Path, tmp_path: Path) -> Iterator[AppContext]:
    yield from open_copy(demo_file, tmp_path)


def everything(ctx: AppContext, flt: HistoryFilter = HistoryFilter(), sort: Sort = Sort()) -> list[HistoryRow]:  # noqa: B008
    rows: list[HistoryRow] = []
    while True:
        page = history.browse(ctx, flt, sort, offset=len(rows), limit=150)
        rows.extend(page.rows)
        if len(page.rows) < 150:
            return rows


def query_events(ctx: AppContext) -> list[AuditEvent]:
    with ctx.transaction() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == "query").order_by(AuditEvent.id)).all()
        s.expunge_all()
        return list(rows)


# -- filters ----------------------------------------------------------------------------------------------------

def _oracle_cases(ctx: AppContext, rows: list[HistoryRow]) -> list[tuple[HistoryFilter, Callable[[HistoryRow], bool]]]:
    """Each filter with the rule it should apply, checked in Python against the unfiltered rows."""
    choices = history.filter_choices(ctx)
    agent_names = {a.code: a.name for a in choices.agents}
    class_names = {c: {a.name for a in choices.agents if a.agent_class == c} for c, _ in choices.agent_classes}
    muscle_names = dict(choices.muscles)
    middle = sorted(r.performed_start.date() for r in rows)[len(rows) // 2]
    start, end = middle - timedelta(days=60), middle + timedelta(days=30)
    physician_id, physician = choices.physicians[1]
    used_muscle = next(m for m in muscle_names if any(muscle_names[m].lower() in x for r in rows for x in r.muscles))
    muscle = muscle_names[used_muscle].lower()
    patient = rows[len(rows) // 3]
    family = patient.patient_name.split(",")[0]
    return [
        (HistoryFilter(date_from=start, date_to=end), lambda r: start <= r.performed_start.date() <= end),
        (HistoryFilter(date_from=middle), lambda r: r.performed_start.date() >= middle),
        (HistoryFilter(date_to=middle), lambda r: r.performed_start.date() <= middle),
        (HistoryFilter(physician_id=physician_id), lambda r: r.physician == physician),
        (HistoryFilter(status="draft"), lambda r: r.status == "draft"),
        (HistoryFilter(status="signed"), lambda r: r.status == "signed"),
        (HistoryFilter(technique="dry_needling"), lambda r: "dry_needling" in r.techniques),
        (HistoryFilter(technique="injection"), lambda r: "injection" in r.techniques),
        (HistoryFilter(agent="lidocaine-1"), lambda r: agent_names["lidocaine-1"] in r.agents),
        (HistoryFilter(agent="corticosteroid"), lambda r: bool(class_names["corticosteroid"] & set(r.agents))),
        (HistoryFilter(muscle_id=used_muscle), lambda r: any(x.split(" ", 1)[1] == muscle for x in r.muscles)),
        (HistoryFilter(patient_id=patient.patient_id), lambda r: r.patient_id == patient.patient_id),
        (HistoryFilter(patient_text=family[:3].lower()),
         lambda r: any(w.lower().startswith(family[:3].lower()) for w in r.patient_name.replace(",", " ").split())
         or r.mrn.lower().startswith(family[:3].lower())),
        (HistoryFilter(patient_text=patient.mrn), lambda r: r.mrn.startswith(patient.mrn)),
        (HistoryFilter(status="signed", physician_id=physician_id, technique="injection", date_from=start),
         lambda r: r.status == "signed" and r.physician == physician and "injection" in r.techniques
         and r.performed_start.date() >= start),
    ]


def test_every_filter_restricts_to_exactly_the_sessions_it_names(clinic: AppContext) -> None:
    rows = everything(clinic)
    assert len(rows) == SESSIONS == len({r.id for r in rows})
    for flt, rule in _oracle_cases(clinic, rows):
        expected = [r.id for r in rows if rule(r)]
        found = everything(clinic, flt)
        assert [r.id for r in found] == expected, flt
        assert 0 < len(expected) < SESSIONS, f"{flt} does not discriminate on this clinic"
        page = history.browse(clinic, flt)
        assert page.total == len(expected)
        assert history.count(clinic, flt) == len(expected)


@pytest.mark.parametrize(("probe_rows", "broad_rows"), [(5, 10**9), (5, 5), (10**9, 5)])
def test_probed_and_broad_filters_give_the_same_rows(clinic: AppContext, monkeypatch: pytest.MonkeyPatch,
                                                     probe_rows: int, broad_rows: int) -> None:
    """The plans for many matches (per-session probes; the count left to the chart) list the same rows."""
    from tpi_notes.db.repositories import session_history

    rows = everything(clinic)
    cases = [(flt, rule) for flt, rule in _oracle_cases(clinic, rows)
             if (flt.technique or flt.agent or flt.muscle_id) and not flt.patient_text]
    assert len(cases) >= 5
    cases.append((HistoryFilter(technique="injection", status="signed"),
                  lambda r: "injection" in r.techniques and r.status == "signed"))
    # on this small clinic every site or syringe filter is past the thresholds
    monkeypatch.setattr(session_history, "PROBE_ROWS", probe_rows)
    monkeypatch.setattr(session_history, "BROAD_ROWS", broad_rows)
    for flt, rule in cases:
        expected = [r.id for r in rows if rule(r)]
        for sort in (Sort(), Sort("patient", False), Sort("status", True), Sort("sites", True)):
            wanted = [r.id for r in everything(clinic, sort=sort) if r.id in set(expected)]
            assert [r.id for r in everything(clinic, flt, sort)] == wanted, (flt, sort)
        page = history.browse(clinic, flt, limit=20)
        full = len(expected) >= 20  # a short first page is the whole answer in any plan
        alone = flt in (HistoryFilter(technique=flt.technique), HistoryFilter(agent=flt.agent),
                        HistoryFilter(muscle_id=flt.muscle_id))  # counted on its index, even when broad
        left_to_chart = full and probe_rows == broad_rows == 5 and not alone
        assert page.total == (None if left_to_chart else len(expected)), flt
        assert history.chart(clinic, flt).total == history.count(clinic, flt) == len(expected)
    narrow = HistoryFilter(agent="lidocaine-1", patient_text=rows[0].patient_name.split(",")[0])
    assert history.browse(clinic, narrow).total is not None  # a name makes any filter narrow


def test_a_filter_nothing_matches_is_empty_not_an_error(clinic: AppContext) -> None:
    page = history.browse(clinic, HistoryFilter(patient_text="zzzzqq"))
    assert page.rows == () and page.total == 0
    chart = history.chart(clinic, HistoryFilter(patient_text="zzzzqq"))
    assert chart.months == () and chart.agents == () and chart.total == 0


def test_rows_carry_what_the_browser_shows(clinic: AppContext) -> None:
    row = next(r for r in everything(clinic) if r.status == "signed" and r.agents)
    assert row.patient_name.count(",") == 1 and row.mrn
    assert row.physician.endswith(("MD", "DO"))
    assert row.site_count >= len(row.muscles) >= 1
    assert all(m.split(" ", 1)[0] in ("L", "R") for m in row.muscles)
    assert set(row.techniques) <= {"injection", "dry_needling"}
    assert row.pain_before is not None and "→" in row.pain_text


# -- sorting and paging -----------------------------------------------------------------------------------------

def test_default_order_is_newest_first(clinic: AppContext) -> None:
    rows = everything(clinic)
    assert [(r.performed_start, r.id) for r in rows] == sorted(((r.performed_start, r.id) for r in rows),
                                                               reverse=True)


@pytest.mark.parametrize("key", SORT_KEYS)
def test_each_sort_key_orders_the_whole_history_both_ways(clinic: AppContext, key: str) -> None:
    def value(r: HistoryRow) -> object:
        return {"performed": r.performed_start, "patient": search_key(*r.patient_name.split(", ", 1)),
                "status": r.status,
                "physician": r.physician, "sites": r.site_count}[key]

    ascending = everything(clinic, sort=Sort(key, descending=False))
    descending = everything(clinic, sort=Sort(key, descending=True))
    assert [value(r) for r in ascending] == sorted(value(r) for r in ascending)
    assert [value(r) for r in descending] == sorted((value(r) for r in descending), reverse=True)
    assert sorted(r.id for r in ascending) == sorted(r.id for r in descending)
    assert len(ascending) == SESSIONS


def test_patients_sort_by_their_folded_names_not_their_bytes(ctx: AppContext) -> None:
    """"Álvarez" sorts with the A's and "de la Cruz" with the D's, as the patient list sorts them."""
    from test_report_support import add_patient, save_session, setup_clinic

    doctor = setup_clinic(ctx)
    for number, (family, given) in enumerate((("Zhou", "Wei"), ("Álvarez", "Lucía"), ("de la Cruz", "Ana"),
                                              ("Bauer", "Jonas"), ("Øvrebø", "Kari"))):
        patient = add_patient(ctx, family, given, mrn=f"S-{number}")
        save_session(ctx, patient.id, doctor, 1)
    names = [r.patient_name.split(",")[0] for r in history.browse(ctx, HistoryFilter(), Sort("patient", False)).rows]
    assert names == ["Álvarez", "Bauer", "de la Cruz", "Øvrebø", "Zhou"]


def test_pages_follow_each_other_without_gaps_or_repeats(clinic: AppContext) -> None:
    whole = [r.id for r in history.browse(clinic, HistoryFilter(), Sort("patient", False), limit=1000).rows]
    pieced: list[int] = []
    for offset in range(0, SESSIONS + 100, 100):
        page = history.browse(clinic, HistoryFilter(), Sort("patient", False), offset=offset, limit=100)
        assert page.offset == offset
        assert page.total == (SESSIONS if offset == 0 else None)  # later pages are not counted again
        pieced.extend(r.id for r in page.rows)
    assert pieced == whole and len(set(pieced)) == SESSIONS


def test_bad_requests_are_refused_with_the_field(clinic: AppContext) -> None:
    with pytest.raises(ValidationError) as refused:
        history.browse(clinic, HistoryFilter(date_from=date(2026, 2, 1), date_to=date(2026, 1, 1)))
    assert "date_to" in refused.value.errors
    with pytest.raises(ValidationError) as refused:
        history.chart(clinic, HistoryFilter(status="cancelled"))
    assert "status" in refused.value.errors
    with pytest.raises(ValidationError) as refused:
        history.browse(clinic, HistoryFilter(), Sort("mrn"))
    assert "sort" in refused.value.errors
    with pytest.raises(ValidationError):
        history.browse(clinic, HistoryFilter(), limit=0)
    with pytest.raises(ValidationError):
        history.browse(clinic, HistoryFilter(), offset=-1)
    with pytest.raises(NotFoundError):
        history.browse(clinic, HistoryFilter(patient_id=999_999))


# -- count and chart --------------------------------------------------------------------------------------------

def test_chart_months_add_up_to_the_total_and_agents_count_sessions(clinic: AppContext) -> None:
    rows = everything(clinic)
    for flt, rule in _oracle_cases(clinic, rows)[:11]:
        matching = [r for r in rows if rule(r)]
        chart = history.chart(clinic, flt)
        assert chart.total == sum(m.sessions for m in chart.months) == len(matching), flt
        by_month: dict[str, int] = {}
        for r in matching:
            by_month[r.performed_start.strftime("%Y-%m")] = by_month.get(r.performed_start.strftime("%Y-%m"), 0) + 1
        assert {m.label: m.sessions for m in chart.months if m.sessions} == by_month
        labels = [m.label for m in chart.months]
        assert labels == sorted(labels) and labels[0] == min(by_month) and labels[-1] == max(by_month)
        assert len(labels) == len(set(labels))  # one bar per calendar month, empty months included
        for agent in chart.agents:
            assert agent.sessions == sum(agent.name in r.agents for r in matching), (flt, agent)
        assert [a.sessions for a in chart.agents] == sorted((a.sessions for a in chart.agents), reverse=True)


def test_empty_months_inside_the_range_are_charted_as_zero(clinic: AppContext) -> None:
    rows = everything(clinic)
    patient = rows[0].patient_id
    months = history.chart(clinic, HistoryFilter(patient_id=patient)).months
    first, last = months[0], months[-1]
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    assert len(months) == span
    assert sum(m.sessions for m in months) == sum(r.patient_id == patient for r in rows)


# -- audit and permissions --------------------------------------------------------------------------------------

def test_applying_a_filter_is_one_audit_event_and_later_pages_are_not(clinic: AppContext) -> None:
    physician_id, physician = history.filter_choices(clinic).physicians[0]
    before = len(query_events(clinic))
    flt = HistoryFilter(physician_id=physician_id, status="signed", date_from=date(2025, 1, 1))
    history.browse(clinic, flt, limit=50)
    history.browse(clinic, flt, offset=50, limit=50)
    history.browse(clinic, flt, offset=100, limit=50)
    history.chart(clinic, flt)
    history.count(clinic, flt)
    events = query_events(clinic)[before:]
    assert len(events) == 1
    event = events[0]
    assert (event.entity, event.actor) == ("history", ALL_PERMISSIONS.actor)
    assert physician in event.detail and "signed" in event.detail and "2025-01-01" in event.detail
    history.browse(clinic, HistoryFilter())
    assert query_events(clinic)[-1].detail == "all sessions"


def test_a_patients_history_is_audited_against_that_patient(clinic: AppContext) -> None:
    patient = everything(clinic)[5].patient_id
    history.browse(clinic, HistoryFilter(patient_id=patient))
    assert query_events(clinic)[-1].patient_id == patient


@pytest.mark.parametrize("roles", [(), ("nurse",), ("admin",), ("physician",)])
def test_only_roles_that_view_records_may_browse(clinic: AppContext, roles: tuple[str, ...]) -> None:
    clinic.act_as(holding(clinic, Principal.for_user(1, "someone", "Some One", roles)))
    calls = [lambda: history.browse(clinic, HistoryFilter()), lambda: history.chart(clinic, HistoryFilter()),
             lambda: history.filter_choices(clinic), lambda: history.count(clinic, HistoryFilter())]
    if not roles:
        with clinic.transaction() as s:
            before = s.scalar(select(func.count(AuditEvent.id)))
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()
        with clinic.transaction() as s:
            assert s.scalar(select(func.count(AuditEvent.id))) == before
    else:
        for call in calls:
            call()


def test_filter_choices_offer_physicians_agents_classes_and_atlas_muscles(clinic: AppContext) -> None:
    choices = history.filter_choices(clinic)
    performing = {r.physician for r in everything(clinic) if r.physician}
    assert performing <= {label for _id, label in choices.physicians}
    assert [c for c, _label in choices.agent_classes] == ["local_anesthetic", "saline", "corticosteroid"]
    assert {"lidocaine-1", "triamcinolone-40"} <= {a.code for a in choices.agents}
    muscles = dict(choices.muscles)
    assert muscles["upper_trapezius"] == "Upper trapezius"
    assert [name.lower() for name in muscles.values()] == sorted(name.lower() for name in muscles.values())


def keyset_walk(ctx: AppContext, flt: HistoryFilter, sort: Sort, size: int) -> list[int]:
    """Every matching session, a page at a time, each page asked for after the last row of the one before."""
    ids: list[int] = []
    page = history.browse(ctx, flt, sort, limit=size)
    while page.rows:
        ids.extend(r.id for r in page.rows)
        assert page.next_after is not None
        page = history.browse(ctx, flt, sort, limit=size, after=page.next_after)
    return ids


@pytest.mark.parametrize("key", SORT_KEYS)
def test_keyset_pages_are_the_offset_pages_for_every_sort(clinic: AppContext, key: str) -> None:
    """Pages found from the previous page's last row list exactly what OFFSET paging lists, in the same order:
    across ties of date (several sessions in one slot), across statuses and physicians (read segment by
    segment) and past the drafts without a physician (last in either direction)."""
    from tpi_notes.db.models import ProcedureSession

    physician_id = history.filter_choices(clinic).physicians[0][0]
    drafts = everything(clinic, HistoryFilter(status="draft"))
    with clinic.transaction() as s:  # drafts nobody is assigned to yet: the physician sort's NULL segment
        for draft in drafts[::3]:
            s.get(ProcedureSession, draft.id).physician_id = None
    assert len([r for r in everything(clinic, HistoryFilter(status="draft")) if not r.physician]) >= 2
    for flt in (HistoryFilter(), HistoryFilter(status="draft"), HistoryFilter(agent="corticosteroid"),
                HistoryFilter(physician_id=physician_id)):
        for descending in (True, False):
            sort = Sort(key, descending)
            offset_ids = [r.id for r in everything(clinic, flt, sort)]
            assert keyset_walk(clinic, flt, sort, 37) == offset_ids, (flt, sort)


def test_a_cursor_of_another_sort_is_refused(clinic: AppContext) -> None:
    page = history.browse(clinic, HistoryFilter(), Sort("patient"), limit=10)
    with pytest.raises(ValidationError):
        history.browse(clinic, HistoryFilter(), Sort("performed"), limit=10, after=page.next_after)


def test_keyset_pages_of_a_broad_filter_probed_in_index_order(clinic: AppContext,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A broad site or syringe filter pages by per-session probes in index order; keyset pages agree there too."""
    from tpi_notes.db.repositories import session_history

    monkeypatch.setattr(session_history, "PROBE_ROWS", 5)
    monkeypatch.setattr(session_history, "BROAD_ROWS", 5)
    for flt in (HistoryFilter(technique="injection", status="signed"), HistoryFilter(agent="corticosteroid")):
        for key in SORT_KEYS:
            sort = Sort(key, key != "patient")
            assert keyset_walk(clinic, flt, sort, 64) == [r.id for r in everything(clinic, flt, sort)], (flt, sort)


def test_a_chart_stopped_from_another_thread_ends_its_statement(clinic: AppContext,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The browser stops a replaced query's chart: a statement under way is interrupted (it would never end on
    its own here) and raises Cancelled; a chart stopped before it starts runs nothing."""
    import threading

    from sqlalchemy import text

    from tpi_notes.db.repositories import session_history

    stopped = history.Cancel()
    stopped.stop()
    with pytest.raises(history.Cancelled):
        history.chart(clinic, HistoryFilter(), stopped)

    running = threading.Event()

    def endless(s, flt):  # noqa: ANN001, ANN202
        running.set()
        return s.scalar(text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"))

    monkeypatch.setattr(session_history, "per_month", endless)
    cancel = history.Cancel()
    outcome: list[BaseException] = []

    def chart() -> None:
        try:
            history.chart(clinic, HistoryFilter(), cancel)
        except BaseException as exc:  # noqa: BLE001 - looked at below
            outcome.append(exc)

    worker = threading.Thread(target=chart)
    worker.start()
    assert running.wait(timeout=20)
    for _ in range(400):  # stop() until the statement has started and been interrupted (each call is one interrupt)
        cancel.stop()
        worker.join(timeout=0.05)
        if not worker.is_alive():
            break
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], history.Cancelled)
