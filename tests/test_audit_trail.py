"""The audit-trail service: filters, sorting by each column, paging, the CSV export, and who may look."""

from __future__ import annotations

import csv
import io
import sqlite3
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from principals import holding

from tpi_notes.db.repositories import audit
from tpi_notes.domain.audit_query import SORT_KEYS, AuditFilter, AuditRow
from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.patient import PatientInput
from tpi_notes.domain.permissions import PermissionDenied, Principal
from tpi_notes.services import audit_trail, patients, staff
from tpi_notes.services.audit_trail import (
    action_choices,
    entity_choices,
    export_events_csv,
    list_events,
    user_choices,
)
from tpi_notes.services.context import AppContext

FORMULA = "=HYPERLINK(\"http://example.invalid\",\"click\")"
MARCH = AuditFilter(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))


def _patient(ctx: AppContext, mrn: str, family: str, given: str) -> int:
    return patients.create_patient(ctx, PatientInput(mrn=mrn, family_name=family, given_name=given,
                                                     birth_date=date(1970, 1, 1), sex="female")).id


@pytest.fixture
def trail(ctx: AppContext) -> dict[str, int]:
    """Two users, three patients and a dozen events on known days (after the patients' own create events)."""
    ids = {
        "zoe": staff.add_staff(ctx, "Zoe Adams", "RN", ("nurse",)).id,
        "bob": staff.add_staff(ctx, "bob Young", "MD", ("physician",)).id,
        "nguyen": _patient(ctx, "A-100", "Nguyễn", "Thị Ánh"),
        "smith": _patient(ctx, "B-200", "Smith", "Anna"),
        "adler": _patient(ctx, "C-300", "Adler", "Max"),
    }
    events = [
        # (day, user, actor, action, entity, entity_id, patient, detail)
        (date(2026, 3, 1), "zoe", None, "view", "patient", "nguyen", "nguyen", ""),
        (date(2026, 3, 1), "bob", None, "print", "session", 7, "nguyen", "aftercare sheet, language es"),
        (date(2026, 3, 2), "bob", None, "sign", "session", 7, "nguyen", "sha256 abc"),
        (date(2026, 3, 2), None, "os:alice", "export", "history", None, None, "120 sessions to 50%_done.csv"),
        (date(2026, 3, 3), "zoe", None, "change", "patient", "smith", "smith", "fields: phone"),
        (date(2026, 3, 4), "bob", None, "view", "session", 9, "smith", ""),
        (date(2026, 3, 5), "zoe", None, "print", "session", 9, "smith", FORMULA),
        (date(2026, 3, 5), None, "os:alice", "verify", "database", None, None, "all intact"),
        (date(2026, 3, 6), "bob", None, "addendum", "addendum", 1, "adler", "late_entry to session 11"),
        (date(2026, 3, 7), "zoe", None, "view", "patient", "adler", "adler", "Opened From The Search"),
        (date(2026, 3, 8), "bob", None, "login", "user", "bob", None, "login: password accepted"),
        (date(2026, 3, 9), "zoe", None, "create", "patient", "adler", "adler", ""),
    ]
    with ctx.transaction() as s:
        for n, (day, user, actor, action, entity, entity_id, patient, detail) in enumerate(events):
            audit.append(s, actor=actor or f"user:{user}", user_id=ids[user] if user else None, action=action,
                         entity=entity, entity_id=ids.get(entity_id, entity_id) if isinstance(entity_id, str)
                         else entity_id, patient_id=ids[patient] if patient else None, detail=detail,
                         at=datetime(day.year, day.month, day.day, 9, n))
    return ids


def _all(ctx: AppContext, flt: AuditFilter = AuditFilter(), key: str = "time", desc: bool = False) -> list[AuditRow]:
    return list_events(ctx, flt, key, desc, 0, 2000).rows


def _march(rows: list[AuditRow]) -> list[AuditRow]:
    return [r for r in rows if r.entity != "audit_trail" and r.at.year == 2026 and r.at.month == 3]


def test_rows_name_the_user_and_the_patient(ctx: AppContext, trail: dict[str, int]) -> None:
    rows = _march(_all(ctx))
    assert len(rows) == 12
    first, export = rows[0], rows[3]
    assert (first.user, first.action, first.entity, first.entity_id, first.patient) == (
        "Zoe Adams", "view", "patient", trail["nguyen"], "Nguyễn, Thị Ánh (A-100)")
    assert (export.user, export.patient, export.entity_id) == ("os:alice", "", None)  # no app user: the actor


@pytest.mark.parametrize(("flt", "expected"), [
    (AuditFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 4)), [2, 3, 4, 5]),  # inclusive days
    (AuditFilter(date_from=date(2026, 3, 8)), [10, 11]),
    (AuditFilter(date_to=date(2026, 3, 1)), [0, 1]),
    (AuditFilter(action="print"), [1, 6]),
    (AuditFilter(entity="patient"), [0, 4, 9, 11]),
    (AuditFilter(actor="os:alice"), [3, 7]),
    (AuditFilter(patient_text="smi"), [4, 5, 6]),                 # a name's start
    (AuditFilter(patient_text="nguyen thi"), [0, 1, 2]),          # accents folded, every word
    (AuditFilter(patient_text="c-3"), [8, 9, 11]),                # an MRN's start
    (AuditFilter(detail_text="opened from"), [9]),                # case-insensitive
    (AuditFilter(detail_text="50%_"), [3]),                       # % and _ are plain characters
    (AuditFilter(detail_text="%"), [3]),
    (AuditFilter(action="view", patient_text="adler"), [9]),
    (AuditFilter(date_from=date(2026, 3, 1), detail_text="nothing like this"), []),
])
def test_filters(ctx: AppContext, trail: dict[str, int], flt: AuditFilter, expected: list[int]) -> None:
    every = _march(_all(ctx))
    rows = _march(_all(ctx, flt))
    assert [every.index(r) for r in rows] == expected
    page = list_events(ctx, flt, limit=2000)
    assert page.total == len(page.rows)  # the count matches what is listed


def test_filter_by_user(ctx: AppContext, trail: dict[str, int]) -> None:
    rows = _march(_all(ctx, AuditFilter(user_id=trail["bob"])))
    assert {r.user for r in rows} == {"bob Young"} and len(rows) == 5


def _expected_order(rows: list[AuditRow], key: str, desc: bool) -> list[int]:
    """The order the screen promises: by the column (case-insensitive text), ties by id, blanks last."""
    def value(r: AuditRow) -> tuple:
        if key == "time":
            return (r.at,)
        if key == "user":
            return (r.user.lower(),)
        if key == "action":
            return (r.action,)
        if key == "entity":
            return (r.entity, r.entity_id or 0)
        if key == "patient":
            return (r.patient.lower(),)
        return (r.detail.lower(),)

    def blank(r: AuditRow) -> bool:
        return (key == "patient" and not r.patient) or (key == "detail" and not r.detail)

    filled = sorted((r for r in rows if not blank(r)), key=lambda r: (value(r), r.id), reverse=desc)
    empty = sorted((r for r in rows if blank(r)), key=lambda r: r.id, reverse=desc)
    return [r.id for r in filled + empty]


@pytest.mark.parametrize("desc", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("key", SORT_KEYS)
def test_sort_by_each_column_both_ways(ctx: AppContext, trail: dict[str, int], key: str, desc: bool) -> None:
    flt = AuditFilter(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    rows = _all(ctx, flt, key, desc)
    assert len(rows) == 12
    assert [r.id for r in rows] == _expected_order(rows, key, desc)
    firsts = {("user", False): "bob Young", ("user", True): "Zoe Adams", ("action", False): "addendum",
              ("action", True): "view", ("patient", False): "Adler, Max (C-300)",
              ("patient", True): "Smith, Anna (B-200)"}
    if (key, desc) in firsts:
        assert firsts[key, desc] in (rows[0].user, rows[0].action, rows[0].patient)
    if key == "patient":
        assert rows[-1].patient == ""  # events without a patient last, either way


def test_an_unknown_sort_key_or_a_backwards_period_is_refused(ctx: AppContext) -> None:
    with pytest.raises(ValidationError) as refused:
        list_events(ctx, AuditFilter(), "hash")
    assert "sort_key" in refused.value.errors
    with pytest.raises(ValidationError) as refused:
        list_events(ctx, AuditFilter(date_from=date(2026, 3, 5), date_to=date(2026, 3, 4)))
    assert refused.value.errors == {"date_to": "The end date is before the start date."}
    with pytest.raises(ValidationError):
        list_events(ctx, AuditFilter(detail_text="x" * 201))


def test_pages_add_up_and_do_not_shift_when_events_arrive(ctx: AppContext, trail: dict[str, int]) -> None:
    flt = MARCH
    first = list_events(ctx, flt, "time", True, 0, 5)
    assert first.total == 12 and len(first.rows) == 5
    # Someone else works meanwhile: newer events than the first page saw.
    with ctx.transaction() as s:
        for n in range(3):
            audit.append(s, actor="user:zoe", user_id=trail["zoe"], action="view", entity="patient",
                         patient_id=trail["smith"], detail=f"meanwhile {n}")
    held = replace(flt, up_to_id=first.up_to_id)
    second = list_events(ctx, held, "time", True, 5, 5)
    third = list_events(ctx, held, "time", True, 10, 5)
    ids = [r.id for r in first.rows + second.rows + third.rows]
    assert len(ids) == len(set(ids)) == 12 and second.total == third.total == 12
    assert ids == [r.id for r in _all(ctx, held, "time", True)]
    assert list_events(ctx, held, "time", True, 15, 5).rows == []
    assert list_events(ctx, AuditFilter(detail_text="meanwhile"), "time", True, 0, 5).total == 3  # a fresh look


def _events(db: Path, entity: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT action, user_id, actor, patient_id, detail FROM audit_event WHERE entity = ?"
                            " ORDER BY id", (entity,)).fetchall()
    finally:
        conn.close()


def test_looking_at_the_trail_is_itself_audited(ctx: AppContext, trail: dict[str, int], db_path: Path) -> None:
    flt = AuditFilter(date_from=date(2026, 3, 1), user_id=trail["zoe"], action="print", patient_text="smith")
    page = list_events(ctx, flt, "patient", False, 0, 50)
    assert _events(db_path, "audit_trail") == [
        ("view", None, "test:fixture", None, "from 2026-03-01 to today; user Zoe Adams; action print; "
         "patient “smith”; sorted by patient ascending; 1 event")]
    assert all(r.entity != "audit_trail" for r in page.rows)  # the view is not part of what it saw
    list_events(ctx, replace(flt, up_to_id=page.up_to_id), "patient", False, 50, 50)  # scrolling on: no event
    assert len(_events(db_path, "audit_trail")) == 1
    list_events(ctx, AuditFilter())
    assert _events(db_path, "audit_trail")[-1][4].startswith("all events; sorted by time descending; ")


def _read_csv(path: Path) -> tuple[bytes, list[list[str]]]:
    raw = path.read_bytes()
    return raw[:3], list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_export_csv(ctx: AppContext, trail: dict[str, int], tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "trail.csv"
    out.write_text("an older export")
    assert export_events_csv(ctx, MARCH, out) == 12
    bom, rows = _read_csv(out)
    assert bom == b"\xef\xbb\xbf"
    assert rows[0] == ["id", "time", "user", "actor", "user_id", "action", "entity", "entity_id", "patient_id",
                       "patient", "detail", "prev_hash", "hash"]
    body = rows[1:]
    assert len(body) == 12 and [int(r[0]) for r in body] == sorted(int(r[0]) for r in body)  # chain order
    formula = next(r for r in body if r[10].startswith("'"))
    assert formula[10] == "'" + FORMULA and formula[2] == "Zoe Adams" and formula[9] == "Smith, Anna (B-200)"
    assert body[0][1] == "2026-03-01 09:00:00" and body[3][2:4] == ["os:alice", "os:alice"]
    conn = sqlite3.connect(db_path)
    stored = {str(i): (p, h) for i, p, h in conn.execute("SELECT id, prev_hash, hash FROM audit_event")}
    conn.close()
    assert all(stored[r[0]] == (r[11], r[12]) for r in body)
    for earlier, later in zip(body, body[1:], strict=False):  # consecutive events of the trail link up
        if int(later[0]) == int(earlier[0]) + 1:
            assert later[11] == earlier[12]
    [event] = _events(db_path, "audit_trail")
    assert event[0] == "export" and event[4] == f"12 events (from 2026-03-01 to 2026-03-31) to {out}"
    assert [p.name for p in folder.iterdir()] == ["trail.csv"]  # no temporary file left


def test_export_with_a_filter_and_nothing_matching(ctx: AppContext, trail: dict[str, int], tmp_path: Path) -> None:
    assert export_events_csv(ctx, AuditFilter(action="print", date_from=date(2026, 3, 1)), tmp_path / "p.csv") == 2
    assert [r[5] for r in _read_csv(tmp_path / "p.csv")[1][1:]] == ["print", "print"]
    assert export_events_csv(ctx, AuditFilter(detail_text="no such text"), tmp_path / "none.csv") == 0
    assert len(_read_csv(tmp_path / "none.csv")[1]) == 1  # the header alone


def test_an_export_that_cannot_be_written_leaves_nothing(ctx: AppContext, trail: dict[str, int], tmp_path: Path,
                                                         db_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(TpiError, match="does not exist or is not writable"):
        export_events_csv(ctx, AuditFilter(), folder / "missing" / "trail.csv")
    with pytest.raises(TpiError, match="it is a folder"):
        export_events_csv(ctx, AuditFilter(), folder)
    with pytest.raises(ValidationError):
        export_events_csv(ctx, AuditFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 1)), folder / "x.csv")
    assert _events(db_path, "audit_trail") == [] and list(folder.iterdir()) == []


def test_filter_choices(ctx: AppContext, trail: dict[str, int]) -> None:
    actions = action_choices(ctx)
    assert actions == sorted(actions) and {"view", "print", "sign", "addendum", "export", "verify"} <= set(actions)
    assert {"patient", "session", "history", "database", "user"} <= set(entity_choices(ctx))
    users = user_choices(ctx)
    assert [u.label for u in users] == ["bob Young (byoung)", "Zoe Adams (zadams)", "os:alice", "test:fixture"]
    assert users[0].user_id == trail["bob"] and users[2].actor == "os:alice" and users[2].user_id is None


@pytest.mark.parametrize("role", ["nurse", "physician"])
def test_nurses_and_physicians_may_not_see_the_trail(ctx: AppContext, trail: dict[str, int], tmp_path: Path,
                                                     db_path: Path, role: str) -> None:
    ctx.act_as(holding(ctx, Principal.for_user(trail["zoe"], "zoe", "Zoe Adams", (role,))))
    out = tmp_path / "t.csv"
    for attempt in (lambda: list_events(ctx, AuditFilter()), lambda: action_choices(ctx),
                    lambda: entity_choices(ctx), lambda: user_choices(ctx),
                    lambda: export_events_csv(ctx, AuditFilter(), out)):
        with pytest.raises(PermissionDenied, match="may not view and export the audit trail"):
            attempt()
    assert _events(db_path, "audit_trail") == [] and not out.exists()


def test_an_admin_and_the_command_line_may(ctx: AppContext, trail: dict[str, int], tmp_path: Path) -> None:
    ctx.act_as(holding(ctx, Principal.for_user(trail["zoe"], "zoe", "Zoe Adams", ("admin",))))
    assert list_events(ctx, AuditFilter(action="sign")).total == 1
    ctx.act_as(Principal.operating_system("alice"))
    assert export_events_csv(ctx, AuditFilter(action="sign"), tmp_path / "t.csv") == 1


def test_limits_are_checked(ctx: AppContext) -> None:
    for offset, limit in ((-1, 10), (0, 0), (0, audit_trail.MAX_PAGE + 1)):
        with pytest.raises(ValidationError):
            list_events(ctx, AuditFilter(), "time", True, offset, limit)


def test_sorting_by_user_is_the_same_with_a_long_staff_list(ctx: AppContext, trail: dict[str, int],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A clinic's few users go into the query by name; past a threshold the query looks them up instead."""
    from tpi_notes.db.repositories import audit_query

    short = [[r.id for r in _all(ctx, MARCH, "user", desc)] for desc in (False, True)]
    monkeypatch.setattr(audit_query, "_CASE_USERS", 1)
    assert [[r.id for r in _all(ctx, MARCH, "user", desc)] for desc in (False, True)] == short
