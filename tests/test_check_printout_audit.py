"""`tpi-notes check-printout` and the audit trail (product.md §9: every view is audited; §10: bad input changes
nothing). Text that is not a note's code names no record: the command says what to type, exits 2 and writes
nothing, without even opening the database. A well-formed code that names a session of the clinic is an access to
that record (the answer names the patient): exactly one audited view, whether the paper matches (exit 0) or not
(exit 1). The command's help says so."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from test_printout_check import _signed

from tpi_notes.services.context import AppContext

CHECKED = "printed note checked against the record"


def _tpi_notes(*argv: str) -> subprocess.CompletedProcess[str]:
    """The installed `tpi-notes` command, as a user runs it."""
    script = Path(sys.executable).with_name("tpi-notes")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "tpi_notes"]
    return subprocess.run([*command, *argv], capture_output=True, text=True, timeout=120, check=False)


def _dump(db: Path) -> str:
    with closing(sqlite3.connect(db)) as conn:
        return "\n".join(conn.iterdump())


def _events_after(db: Path, head: int) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT action, entity, entity_id, detail, substr(actor, 1, 3) FROM audit_event "
                            "WHERE id > ? ORDER BY id", (head,)).fetchall()


def _head(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT max(id) FROM audit_event").fetchone()[0]


def test_junk_writes_nothing_and_a_real_code_writes_one_audited_view(ctx: AppContext, db_path: Path) -> None:
    session_id, digest = _signed(ctx)
    ctx.close()

    # not a code: a clear line, exit 2, the database exactly as it was (no audit event, nothing else)
    before = _dump(db_path)
    for text, says in ((["hello"], "not a tpi-notes QR code"), ([str(session_id)], "not a tpi-notes QR code"),
                       ([str(session_id), "deadbeef"], "at least 12 characters"),
                       ([f"tpi-notes:session:{session_id}:sha256:xyz"], "not a tpi-notes QR code")):
        done = _tpi_notes("check-printout", "--db", str(db_path), *text)
        assert done.returncode == 2 and says in done.stderr, (text, done.stderr)
        assert done.stderr.count("\n") == 1 and done.stdout == ""
    assert _dump(db_path) == before

    # a well-formed code naming no session of this clinic names no record either
    done = _tpi_notes("check-printout", "--db", str(db_path), "999", "0123456789abcdef")
    assert done.returncode == 1 and "There is no session 999" in done.stdout
    assert _dump(db_path) == before

    # the campaign's case: session number and a 20-digit "hash" (digits are hex): a check of that record that
    # fails, audited once
    head = _head(db_path)
    forged = _tpi_notes("check-printout", "--db", str(db_path), str(session_id), "18446744073709551616")
    assert forged.returncode == 1 and "not genuine" in forged.stdout and "MRN P-100" in forged.stdout
    assert _events_after(db_path, head) == [("view", "session", session_id, CHECKED, "os:")]

    head = _head(db_path)
    genuine = _tpi_notes("check-printout", "--db", str(db_path), f"tpi-notes:session:{session_id}:sha256:{digest}")
    assert genuine.returncode == 0 and genuine.stdout.startswith(f"Genuine: this is session {session_id}")
    assert _events_after(db_path, head) == [("view", "session", session_id, CHECKED, "os:")]


def test_junk_is_refused_before_the_database_is_opened(tmp_path: Path) -> None:
    """Unreadable text is a usage error whatever the database: said first, and no file is made or opened."""
    missing = tmp_path / "no-clinic.sqlite"
    done = _tpi_notes("check-printout", "--db", str(missing), "hello")
    assert done.returncode == 2 and "not a tpi-notes QR code" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_help_says_what_is_audited() -> None:
    done = _tpi_notes("check-printout", "--help")
    text = " ".join(done.stdout.split())
    assert done.returncode == 0
    assert "audit trail" in text and "whether or not the paper matches" in text
    assert "writes nothing" in text
