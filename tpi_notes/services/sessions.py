"""Session actions: open a session to read it (drafting and signing come with the session editor)."""

from __future__ import annotations

from tpi_notes.db.repositories import audit, session_records
from tpi_notes.domain.errors import NotFoundError
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.session import SessionRecord
from tpi_notes.services.context import AppContext


def get_session(ctx: AppContext, session_id: int) -> SessionRecord:
    """A whole session (an audited view)."""
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        record = session_records.load(s, session_id)
        if record is None:
            raise NotFoundError(f"Session {session_id} does not exist.")
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="view", entity="session",
                     entity_id=session_id, patient_id=record.patient_id)
        return record
