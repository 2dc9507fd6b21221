"""A signed note whose record was changed behind the app's back prints loudly as altered, on every page, and
the print event says so; an intact note does not (peers.md §6: invalid signatures must be loud)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select
from test_report_support import add_patient, flat, pdf_pages, save_session, setup_clinic, sign

from tpi_notes.db.models import AuditEvent
from tpi_notes.services import documents
from tpi_notes.services.context import AppContext


def _signed(ctx: AppContext, sites: int = 3) -> int:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, sites)
    sign(ctx, session_id, doctor)
    return session_id


def _last_print(ctx: AppContext) -> str:
    with ctx.transaction() as s:
        return s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "print")
                         .order_by(AuditEvent.id.desc())).first() or ""


def test_an_intact_signed_note_carries_no_alarm(ctx: AppContext) -> None:
    session_id = _signed(ctx)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert "ALTERED" not in text
    assert "ALTERED" not in _last_print(ctx)


def test_a_note_altered_after_signing_says_so_on_every_page(ctx: AppContext, db_path: Path) -> None:
    session_id = _signed(ctx, sites=12)
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER trg_procedure_session_update_locked")
    conn.execute("UPDATE procedure_session SET pain_after = 0 WHERE id = ?", (session_id,))
    conn.commit()
    conn.close()
    pages = [flat(p) for p in pdf_pages(documents.procedure_note_pdf(ctx, session_id))]
    assert len(pages) >= 2
    for page in pages:  # the footer and the diagonal mark
        assert page.count("ALTERED AFTER SIGNING") >= 2
    assert "this record no longer matches its signature (content does not match its signature" in pages[0]
    assert "ALTERED AFTER SIGNING" in _last_print(ctx)
