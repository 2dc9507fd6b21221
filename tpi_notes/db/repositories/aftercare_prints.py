"""The aftercare sheets printed for a session: recorded with the print's audit event, read for the note."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tpi_notes.db.models import AftercarePrint, AuditEvent, User
from tpi_notes.db.repositories import audit
from tpi_notes.domain.aftercare import AftercarePrint as PrintedSheet
from tpi_notes.domain.aftercare import matches_detail
from tpi_notes.domain.audit import chain_hash


def record(s: Session, *, actor: str, user_id: int | None, session_id: int, patient_id: int, lang: str,
           large_print: bool, version: str, detail: str) -> None:
    """Append the print's audit event and the row that points at it (in a write transaction)."""
    entry = audit.append(s, actor=actor, user_id=user_id, action="print", entity="session", entity_id=session_id,
                         patient_id=patient_id, detail=detail)
    if entry is None:  # in a read the event waits for the read's end: no event id to point at
        raise RuntimeError("an aftercare print is recorded in a write transaction")
    event_id = s.scalar(select(AuditEvent.id).where(AuditEvent.hash == chain_hash(entry)))
    s.add(AftercarePrint(session_id=session_id, audit_event_id=event_id, lang=lang, large_print=large_print,
                         version=version))
    s.flush()


def for_session(s: Session, session_id: int) -> list[PrintedSheet]:
    """The sheets printed for ``session_id``, oldest first; when and by whom as the audit event says, and
    whether the row still says what its event says (the event is under the hash chain; the row is not)."""
    rows = s.execute(
        select(AuditEvent.at, AftercarePrint.lang, AftercarePrint.large_print, AftercarePrint.version,
               User.full_name, AuditEvent.actor, AuditEvent.detail)
        .join(AuditEvent, AuditEvent.id == AftercarePrint.audit_event_id)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AftercarePrint.session_id == session_id).order_by(AuditEvent.id))
    return [PrintedSheet(at, lang, bool(large), version, name or actor,
                         matches_detail(detail or "", version, lang, bool(large)))
            for at, lang, large, version, name, actor, detail in rows]
