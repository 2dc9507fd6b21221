"""The resilience campaigns of issue 12 at a reduced size (tests/resilience; `make resilience` runs them full):
30 kill -9 during saves, signing and addenda; 2 processes x 100 saves on SQLite and on PostgreSQL; 500 bad
inputs through the services and the command line. Each campaign runs once per module; each test asserts one
of the acceptance figures, and a failure lists the first problems the campaign found."""

from __future__ import annotations

import os

import pytest
from resilience import bad_inputs, concurrency, kills

PG_URL = os.environ.get("TPI_NOTES_PG_URL", "")
KILLS, SAVES, INPUTS = 30, 100, 500
# Alone, after the rest of the suite (.ci/pytest-phases.sh): the waits of several processes are what it measures.
pytestmark = pytest.mark.serial


def _problems(figures) -> str:  # noqa: ANN001 - any campaign's figures
    return "\n".join(["", *figures.examples])


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> kills.KillFigures:
    return kills.run(tmp_path_factory.mktemp("kills"), kills=KILLS, max_delay=0.6)


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory: pytest.TempPathFactory) -> concurrency.ConcurrencyFigures:
    return concurrency.run_sqlite(tmp_path_factory.mktemp("concurrent"), saves=SAVES)


@pytest.fixture(scope="module")
def on_postgres(tmp_path_factory: pytest.TempPathFactory) -> concurrency.ConcurrencyFigures:
    if not PG_URL:
        pytest.skip("the PostgreSQL campaign needs TPI_NOTES_PG_URL (.ci/with-postgres.sh starts a throwaway server)")
    return concurrency.run_postgres(PG_URL, tmp_path_factory.mktemp("concurrent-pg"), saves=SAVES)


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> bad_inputs.BadInputFigures:
    return bad_inputs.run(tmp_path_factory.mktemp("bad-inputs"), inputs=INPUTS, cli_processes=1)


# -- (a) kill -9 -----------------------------------------------------------------------------------------------

def test_kills_land_during_saves_signing_and_addenda(killed: kills.KillFigures) -> None:
    assert killed.kills == KILLS and killed.worker_failures == 0, _problems(killed)
    assert killed.reported_commits >= KILLS // 2  # the workers got work done between kills
    assert killed.during["save"] and killed.during["sign"], killed.during


def test_no_committed_record_is_lost_to_a_kill(killed: kills.KillFigures) -> None:
    assert killed.lost == 0, _problems(killed)


def test_a_kill_leaves_no_partial_write(killed: kills.KillFigures) -> None:
    assert killed.partial == 0, _problems(killed)


def test_after_every_kill_the_file_is_intact_and_verifies(killed: kills.KillFigures) -> None:
    assert (killed.integrity_failures, killed.verify_failures) == (0, 0), _problems(killed)


# -- (b) two processes saving at once --------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_saves_lose_nothing_and_refuse_clearly(backend: str, request: pytest.FixtureRequest) -> None:
    figures: concurrency.ConcurrencyFigures = request.getfixturevalue(
        "on_sqlite" if backend == "sqlite" else "on_postgres")
    assert figures.saves == 2 * SAVES and figures.worker_failures == 0, _problems(figures)
    assert figures.saved > SAVES  # most saves go through; the refusals are real conflicts
    assert figures.lost == 0, _problems(figures)
    assert sum(figures.raw_errors.values()) == 0, f"raw errors {dict(figures.raw_errors)}" + _problems(figures)
    assert figures.torn_reads == 0, _problems(figures)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_appends_keep_one_unbroken_audit_chain(backend: str, request: pytest.FixtureRequest) -> None:
    figures: concurrency.ConcurrencyFigures = request.getfixturevalue(
        "on_sqlite" if backend == "sqlite" else "on_postgres")
    assert figures.chain_breaks == 0 and figures.verify_ok, _problems(figures)


# -- (c) bad input ---------------------------------------------------------------------------------------------

def test_bad_input_never_crashes(bad: bad_inputs.BadInputFigures) -> None:
    assert bad.inputs >= INPUTS
    assert bad.crashes == 0, _problems(bad)


def test_refused_input_writes_nothing(bad: bad_inputs.BadInputFigures) -> None:
    assert bad.refused > bad.accepted  # the generated input is bad: most of it is refused
    assert bad.partial_writes == 0, _problems(bad)


def test_refused_files_stay_untouched(bad: bad_inputs.BadInputFigures) -> None:
    assert bad.refused_files >= INPUTS // 10
    assert bad.modified_refused == 0, _problems(bad)
    assert bad.refused_files_accepted == 0, _problems(bad)


def test_the_table_names_every_figure(killed: kills.KillFigures, on_sqlite: concurrency.ConcurrencyFigures,
                                      bad: bad_inputs.BadInputFigures) -> None:
    """`make resilience` prints these figures as one table with a verdict per target."""
    import io

    from resilience import run

    rows = run.kill_rows(killed, KILLS) + run.concurrency_rows(on_sqlite, "SQLite", 2 * SAVES) \
        + run.concurrency_rows(None, "PostgreSQL", 2 * SAVES) + run.bad_input_rows(bad, INPUTS)
    out = io.StringIO()
    run.print_table(rows, out)
    table = out.getvalue()
    for figure in ("committed records lost", "partial writes", "integrity_check failures", "verify failures",
                   "lost updates", "raw errors", "audit chain breaks", "crashes", "modified refused files"):
        assert figure in table
    assert "skipped: no TPI_NOTES_PG_URL" in table


# -- the campaigns' own checks catch what they count ------------------------------------------------------------

def test_the_kill_checks_catch_a_lost_commit_and_a_half_written_session(tmp_path) -> None:  # noqa: ANN001
    from resilience.common import PRINCIPAL, build_clinic, signable_draft
    from sqlalchemy import text

    from tpi_notes.services import drafts
    from tpi_notes.services.context import open_clinic

    db = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(db), principal=PRINCIPAL)
    clinic = build_clinic(ctx, 1)
    saved = drafts.save_draft(ctx, signable_draft(ctx, clinic, clinic.patient_ids[0], "x", 1))  # two sites
    with ctx.engine.begin() as conn:
        conn.execute(text("DELETE FROM site WHERE session_id = :s AND number = 2"), {"s": saved.id})
    ctx.close()
    figures = kills.KillFigures()
    reported = [["save", str(saved.id), str(saved.row_version), saved.comments], ["sign", str(saved.id)],
                ["save", "999", "1", "never written"]]
    kills._check(db, 0, reported, 3, 0, figures)
    assert (figures.partial, figures.lost, figures.reported_commits) == (1, 2, 3), figures.examples


def test_the_lost_update_count_catches_two_saves_of_one_version() -> None:
    figures = concurrency.ConcurrencyFigures("test")
    # both saves of session 5 reported version 3; the session went from 1 to 3 with two audited saves
    assert concurrency._lost(5, 1, (3, "b"), [(2, "a"), (3, "b"), (3, "c")], 2, figures) == 1
    assert concurrency._lost(5, 1, (3, "b"), [(2, "a"), (3, "b")], 2, figures) == 0
    assert concurrency._lost(5, 1, (3, "x"), [(2, "a"), (3, "b")], 2, figures) == 1  # the final content differs
    assert concurrency._lost(5, 1, (3, "b"), [(2, "a"), (3, "b")], 3, figures) == 1  # the history says 3 saves


def test_a_checked_printout_may_write_its_one_audited_view_and_nothing_else(tmp_path) -> None:  # noqa: ANN001
    """`check-printout` with a well-formed code naming a real session is an access to that record, audited even
    when the paper does not match (the 3,000-input run's "partial write" was `… 1 18446744073709551616`, a
    20-digit hash prefix, exit 1). That one view event is by design; any other write after a refusal still counts,
    and text that is not a code may write nothing at all."""
    import contextlib
    import sqlite3

    db, sid = bad_inputs._clinic_file(tmp_path / "clinic")

    def judged(argv: list[str], tamper: str = "") -> tuple[int | None, int]:
        """Run ``argv`` as the campaign does; ``tamper``: SQL run after it, as if the command had written it."""
        figures = bad_inputs.BadInputFigures()
        before, head = bad_inputs._file_checksum(db), bad_inputs._audit_head(db)
        outcome = bad_inputs.run_cli(argv)
        if tamper:
            with contextlib.closing(sqlite3.connect(db)) as conn, conn:
                conn.execute(tamper)
        bad_inputs._judge_command(db, argv, outcome, before, head, figures)
        return outcome.code, figures.partial_writes

    def another_view(tag: str) -> str:
        """SQL adding a copy of the last view event (as a second, unwanted one would be)."""
        return ("INSERT INTO audit_event (at, actor, action, entity, entity_id, patient_id, detail, prev_hash, hash) "
                "SELECT at, actor, action, entity, entity_id, patient_id, detail, prev_hash, hash || "
                f"'{tag}' FROM audit_event WHERE action = 'view' ORDER BY id DESC LIMIT 1")

    checked = ["check-printout", "--db", str(db), str(sid), "18446744073709551616"]
    assert judged(checked) == (1, 0)
    conn = sqlite3.connect(db)
    views = conn.execute("SELECT count(*) FROM audit_event WHERE action = 'view' AND entity_id = ?", (sid,)).fetchone()
    conn.close()
    assert views[0] == 1  # it did write its view (so the judge had something to allow)
    # the same run with anything else changed beside the view, or a second event, is a partial write
    assert judged(checked, tamper="UPDATE patient SET family_name = 'Changed'") == (1, 1)
    assert judged(checked, tamper=another_view("a")) == (1, 1)
    # unreadable text and a session that does not exist name no record: no write of theirs is by design
    for argv in (["check-printout", "--db", str(db), "hello"], ["check-printout", "--db", str(db), str(sid)],
                 ["check-printout", "--db", str(db), "999", "18446744073709551616"]):
        code, partial = judged(argv)
        assert code in (1, 2) and partial == 0
        assert judged(argv, tamper=another_view(argv[-1]))[1] == 1


def test_a_password_checks_writes_are_the_only_account_changes_the_services_check_leaves_out(tmp_path) -> None:  # noqa: ANN001
    """The services family forgives a refusal only what a password check writes by design (its "login" event and
    the account's wrong-password count, delay and lock); before, it left the accounts out whole."""
    import sqlite3
    from contextlib import closing

    from resilience.common import PRINCIPAL, build_clinic, table_checksum
    from sqlalchemy import create_engine

    from tpi_notes.services.context import open_clinic

    db = tmp_path / "clinic.sqlite"
    open_clinic(str(db), principal=PRINCIPAL).close()
    ctx = open_clinic(str(db), principal=PRINCIPAL)
    build_clinic(ctx, 1)
    ctx.close()
    engine = create_engine(f"sqlite:///{db}")

    def after(sql: str) -> bool:
        """Whether the checksum that forgives password checks still sees ``sql``'s change."""
        before = table_checksum(engine, skip_logins=True)
        with closing(sqlite3.connect(db)) as conn, conn:
            conn.execute(sql)
        return table_checksum(engine, skip_logins=True) != before

    try:
        assert not after("UPDATE app_user SET failed_attempts = 3, next_attempt_at = '2026-01-01 00:00:00', "
                         "locked_at = '2026-01-01 00:00:00'")
        assert not after("INSERT INTO audit_event (at, actor, action, entity, entity_id, detail, prev_hash, hash) "
                         "VALUES ('2026-01-01', 'os:x', 'login', 'user', 1, 'sign: wrong password', '', 'h1')")
        assert after("UPDATE app_user SET full_name = 'Someone Else'")
        assert after("UPDATE app_user SET active = 0")
        assert after("INSERT INTO audit_event (at, actor, action, entity, entity_id, detail, prev_hash, hash) "
                     "VALUES ('2026-01-01', 'os:x', 'login', 'session', 1, 'not about an account', '', 'h2')")
    finally:
        engine.dispose()
