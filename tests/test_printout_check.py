"""Checking a paper note against the record (Clinic → Check a printed note…): the QR payload or the footer's
session number and hash say whether the paper is what was signed and whether the record is still intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select
from test_report_support import PASSWORD, add_patient, save_session, setup_clinic, sign

from tpi_notes.db.models import AuditEvent
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.printout import PrintedNote, parse_printout
from tpi_notes.services.addenda import add_addendum
from tpi_notes.services.context import AppContext
from tpi_notes.services.printout_check import (
    DIFFERENT,
    MATCHES,
    NOT_SIGNED,
    RECORD_ALTERED,
    UNKNOWN,
    check_printout,
)
from tpi_notes.services.sessions import get_session

HASH = "2c3ce37289ed2c3214c54a8d95b2c1793640c1cfc9d49e09ad52dbb4beae1431"


@pytest.mark.parametrize("text", [f"tpi-notes:session:21:sha256:{HASH}", f"  TPI-NOTES:SESSION:21:SHA256:{HASH.upper()}\n",
                                  f"tpi-notes:session:21:sha256:{HASH[:32]} {HASH[32:]}"])
def test_a_scanned_payload_is_read_whole(text: str) -> None:
    assert parse_printout(text) == PrintedNote(21, HASH)


@pytest.mark.parametrize("text", ["21 2c3ce37289ed2c32", "#21 2c3ce37289ed2c32…", "21, SHA-256 2c3ce37289ed2c32...",
                                  "21 sha256 2c3ce37289ed"])
def test_a_typed_footer_gives_the_session_and_a_prefix(text: str) -> None:
    printed = parse_printout(text)
    assert printed.session_id == 21 and HASH.startswith(printed.sha256) and not printed.complete


@pytest.mark.parametrize("text, says", [("", "Scan the note's QR code"), ("hello", "not a tpi-notes QR code"),
                                        ("21 2c3ce372", "at least 12 characters"),
                                        ("tpi-notes:session:21:sha256:xyz", "not a tpi-notes QR code")])
def test_unreadable_input_says_what_to_do(text: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        parse_printout(text)


def _signed(ctx: AppContext) -> tuple[int, str]:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 2)
    sign(ctx, session_id, doctor)
    return session_id, get_session(ctx, session_id).content_sha256 or ""


def test_the_genuine_paper_matches_by_qr_or_footer(ctx: AppContext) -> None:
    session_id, digest = _signed(ctx)
    whole = check_printout(ctx, f"tpi-notes:session:{session_id}:sha256:{digest}")
    assert whole.verdict == MATCHES and whole.ok and "record is intact." in whole.message
    assert whole.patient == "Nguyễn, Thị Ánh · MRN P-100"
    typed = check_printout(ctx, f"{session_id} {digest[:16]}")
    assert typed.verdict == MATCHES and "first 16 characters" in typed.message
    with ctx.transaction() as s:
        details = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "view",
                                                            AuditEvent.entity_id == session_id)).all()
    assert details.count("printed note checked against the record") == 2


def test_a_paper_with_another_hash_is_not_genuine(ctx: AppContext) -> None:
    session_id, digest = _signed(ctx)
    forged = ("0" if digest[0] != "0" else "1") + digest[1:]
    result = check_printout(ctx, f"tpi-notes:session:{session_id}:sha256:{forged}")
    assert result.verdict == DIFFERENT and not result.ok and "not genuine" in result.message


def test_an_altered_record_is_named_even_when_the_paper_is_genuine(ctx: AppContext, db_path: Path) -> None:
    session_id, digest = _signed(ctx)
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER trg_procedure_session_update_locked")
    conn.execute("UPDATE procedure_session SET pain_after = 0 WHERE id = ?", (session_id,))
    conn.commit()
    conn.close()
    result = check_printout(ctx, f"{session_id} {digest[:16]}")
    assert result.verdict == RECORD_ALTERED and "has been altered since" in result.message


def test_addenda_since_signing_are_mentioned(ctx: AppContext) -> None:
    session_id, digest = _signed(ctx)
    doctor = get_session(ctx, session_id).signed_by_id
    add_addendum(ctx, session_id, "late_entry", "Time-out confirmed with nurse.", doctor, PASSWORD)
    result = check_printout(ctx, f"{session_id} {digest[:16]}")
    assert result.verdict == MATCHES and result.addenda == 1
    assert "The record has 1 addendum" in result.message and "does not show it" in result.message


def test_drafts_and_unknown_sessions(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    draft = save_session(ctx, patient.id, doctor, 1)
    assert check_printout(ctx, f"{draft} {HASH[:16]}").verdict == NOT_SIGNED
    assert check_printout(ctx, f"999 {HASH[:16]}").verdict == UNKNOWN


def test_the_dialog_checks_a_scan_and_shows_the_verdict(qtbot, ctx: AppContext) -> None:  # noqa: ANN001
    from tpi_notes.ui.printout_dialog import PrintoutCheckDialog

    session_id, digest = _signed(ctx)
    dialog = PrintoutCheckDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.field, "hello")
    qtbot.keyClick(dialog.field, "\r")  # a scanner ends with Enter
    assert not dialog.error.isHidden() and "not a tpi-notes QR code" in dialog.error.text()
    assert dialog.field.property("invalid")
    dialog.field.clear()
    qtbot.keyClicks(dialog.field, f"tpi-notes:session:{session_id}:sha256:{digest}")
    qtbot.keyClick(dialog.field, "\r")
    assert dialog.error.isHidden() and not dialog.verdict.isHidden()
    assert dialog.result is not None and dialog.result.verdict == MATCHES
    assert dialog.verdict.text().startswith(f"Genuine: this is session {session_id}")
    assert "Nguyễn, Thị Ánh" in dialog.patient.text()
    assert dialog.field.selectedText() == dialog.field.text()  # the next scan replaces it


def test_the_command_line_check_exits_by_verdict(ctx: AppContext, db_path: Path) -> None:
    import subprocess
    import sys

    session_id, digest = _signed(ctx)
    main = Path(__file__).resolve().parents[1] / "main.py"

    def run(*text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(main), "check-printout", "--db", str(db_path), *text],
                              capture_output=True, text=True, timeout=120)

    genuine = run(f"tpi-notes:session:{session_id}:sha256:{digest}")
    assert genuine.returncode == 0 and genuine.stdout.startswith(f"Genuine: this is session {session_id}")
    assert "Patient: Nguyễn, Thị Ánh · MRN P-100" in genuine.stdout
    forged = run(str(session_id), "0" * 16)
    assert forged.returncode == 1 and "not genuine" in forged.stdout
    unreadable = run("hello")
    assert unreadable.returncode == 2 and "not a tpi-notes QR code" in unreadable.stderr
    assert "Traceback" not in genuine.stderr + forged.stderr + unreadable.stderr
