"""Addenda: only on signed notes, by a physician with their password, dated now, hashed, and immutable."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tpi_notes.domain.addenda import MAX_TEXT, StoredAddendum, addendum_content_sha256, signed_record_problem
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.signing import record_sha256
from tpi_notes.services import accounts, addenda, integrity, staff
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo
from tpi_notes.services.sessions import get_session

PASSWORD = "Correct horse 9"


@pytest.fixture
def clinic(ctx: AppContext) -> AppContext:
    build_demo(ctx, patients=20, sessions=200, seed=5)
    return ctx


@pytest.fixture
def conn(clinic: AppContext, db_path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(db_path)
    yield connection
    connection.close()


def _session(conn: sqlite3.Connection, status: str) -> tuple[int, int]:
    """A session of that status without addenda yet, and its physician."""
    return conn.execute("SELECT id, physician_id FROM procedure_session s WHERE status = ? AND NOT EXISTS"
                        " (SELECT 1 FROM addendum a WHERE a.session_id = s.id) ORDER BY id LIMIT 1",
                        (status,)).fetchone()


def _failures(conn: sqlite3.Connection, user_id: int) -> int:
    return conn.execute("SELECT failed_attempts FROM app_user WHERE id = ?", (user_id,)).fetchone()[0]


def test_an_addendum_is_added_and_the_original_stays_as_signed(clinic: AppContext, conn: sqlite3.Connection) -> None:
    sid, doctor = _session(conn, "signed")
    accounts.set_password(clinic, doctor, PASSWORD)
    before = get_session(clinic, sid)
    started = datetime.now().replace(microsecond=0)
    added = addenda.add_addendum(clinic, sid, "correction", "  Site 2 was the LEFT trapezius <not right> & so on.\n",
                                 doctor, PASSWORD)
    assert added.kind == "correction" and added.text == "Site 2 was the LEFT trapezius <not right> & so on."
    assert started <= added.created_at <= datetime.now() + timedelta(seconds=1)  # dated now, not back-dated
    assert added.content_sha256 == addendum_content_sha256(sid, before.content_sha256, "correction", added.text,
                                                           doctor, added.created_at)
    after = get_session(clinic, sid)
    # the original is unchanged, and both are readable together
    assert replace(after, addenda=()) == replace(before, addenda=())
    assert after.content_sha256 == before.content_sha256 == record_sha256(after)
    assert [a.text for a in after.addenda] == [added.text] and after.addenda[0].author == added.author
    assert integrity.session_is_intact(clinic, sid)
    row = conn.execute("SELECT kind, text, author_id, content_sha256 FROM addendum WHERE session_id = ?",
                       (sid,)).fetchone()
    assert row == ("correction", added.text, doctor, added.content_sha256)
    events = conn.execute("SELECT entity, user_id, patient_id, detail FROM audit_event WHERE action = 'addendum'"
                          ).fetchall()
    assert [e[:3] for e in events] == [("addendum", doctor, after.patient_id)]
    assert events[0][3].startswith(f"correction to session {sid}, sha256 {added.content_sha256}, Ed25519 key ")


def test_the_addendum_cannot_be_edited_or_deleted_by_sql(clinic: AppContext, conn: sqlite3.Connection) -> None:
    sid, doctor = _session(conn, "signed")
    accounts.set_password(clinic, doctor, PASSWORD)
    added = addenda.add_addendum(clinic, sid, "late_entry", "Patient reported dizziness at 5 min.", doctor, PASSWORD)
    aid = conn.execute("SELECT id FROM addendum WHERE session_id = ?", (sid,)).fetchone()[0]
    for sql in ("UPDATE addendum SET text = 'nothing happened' WHERE id = ?", "DELETE FROM addendum WHERE id = ?",
                "UPDATE addendum SET created_at = '2020-01-01 00:00:00' WHERE id = ?"):
        with pytest.raises(sqlite3.IntegrityError, match="addendum is a signed record"):
            conn.execute(sql, (aid,))
        conn.rollback()
    assert conn.execute("SELECT text FROM addendum WHERE id = ?", (aid,)).fetchone() == (added.text,)


def test_an_addendum_on_a_draft_is_refused(clinic: AppContext, conn: sqlite3.Connection) -> None:
    sid, doctor = _session(conn, "draft")
    accounts.set_password(clinic, doctor, PASSWORD)
    with pytest.raises(addenda.AddendumRefused, match="draft"):
        addenda.add_addendum(clinic, sid, "addendum", "Results came back.", doctor, PASSWORD)
    assert conn.execute("SELECT count(*) FROM addendum WHERE session_id = ?", (sid,)).fetchone() == (0,)


def test_a_wrong_password_is_refused_and_counted(clinic: AppContext, conn: sqlite3.Connection) -> None:
    sid, doctor = _session(conn, "signed")
    accounts.set_password(clinic, doctor, PASSWORD)
    with pytest.raises(accounts.WrongPasswordError):
        addenda.add_addendum(clinic, sid, "addendum", "Results came back.", doctor, "Not my password 1")
    assert conn.execute("SELECT count(*) FROM addendum WHERE session_id = ?", (sid,)).fetchone() == (0,)
    assert _failures(conn, doctor) == 1
    for n in range(2, 6):
        with pytest.raises(accounts.WrongPasswordError):
            addenda.add_addendum(clinic, sid, "addendum", "Results came back.", doctor, f"guess {n} again")
    with pytest.raises(accounts.AccountLockedError):
        addenda.add_addendum(clinic, sid, "addendum", "Results came back.", doctor, PASSWORD)
    assert _failures(conn, doctor) == 5
    assert conn.execute("SELECT count(*) FROM addendum WHERE session_id = ?", (sid,)).fetchone() == (0,)


def test_only_a_physician_signs_an_addendum(clinic: AppContext, conn: sqlite3.Connection) -> None:
    sid, _doctor = _session(conn, "signed")
    nurse = staff.add_staff(clinic, "Nia Brooks", "RN", ("nurse",)).id
    accounts.set_password(clinic, nurse, PASSWORD)
    with pytest.raises(addenda.AddendumRefused, match="Only a physician"):
        addenda.add_addendum(clinic, sid, "addendum", "I saw it too.", nurse, PASSWORD)


@pytest.mark.parametrize(("kind", "text", "field"), [
    ("note", "text", "kind"),
    ("addendum", "   \n ", "text"),
    ("addendum", "x" * (MAX_TEXT + 1), "text"),
])
def test_bad_input_is_refused_before_anything_is_written(clinic: AppContext, conn: sqlite3.Connection, kind: str,
                                                        text: str, field: str) -> None:
    sid, doctor = _session(conn, "signed")
    accounts.set_password(clinic, doctor, PASSWORD)
    with pytest.raises(ValidationError) as error:
        addenda.add_addendum(clinic, sid, kind, text, doctor, PASSWORD)
    assert field in error.value.errors
    assert _failures(conn, doctor) == 0
    assert conn.execute("SELECT count(*) FROM addendum WHERE session_id = ?", (sid,)).fetchone() == (0,)


def test_text_of_exactly_the_limit_is_accepted(clinic: AppContext, conn: sqlite3.Connection) -> None:
    sid, doctor = _session(conn, "signed")
    accounts.set_password(clinic, doctor, PASSWORD)
    assert len(addenda.add_addendum(clinic, sid, "addendum", "é" * MAX_TEXT, doctor, PASSWORD).text) == MAX_TEXT


def test_the_addendum_hash_binds_it_to_its_session_and_its_content(clinic: AppContext) -> None:
    record = get_session(clinic, 1)
    when = datetime(2026, 11, 2, 10, 0)
    stored = StoredAddendum(1, record.id, "addendum", "Results.", 1, when,
                            addendum_content_sha256(record.id, record.content_sha256, "addendum", "Results.", 1, when))
    assert signed_record_problem(record, record.content_sha256, [stored]) is None
    for changed in (replace(stored, text="Results!"), replace(stored, kind="correction"),
                    replace(stored, author_id=2), replace(stored, created_at=when - timedelta(days=1)),
                    replace(stored, session_id=2)):
        assert "does not match its hash" in (signed_record_problem(record, record.content_sha256, [changed]) or "")
