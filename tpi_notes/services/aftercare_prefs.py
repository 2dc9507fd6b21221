"""The patient's aftercare-sheet preference: large print or not, remembered from the last sheet printed.

A patient who needed large print once needs it next time; the print options (and "Sign and print aftercare")
offer the last choice. It is a preference kept on the patient (migration 0021), written without touching the
patient's row version (an open patient form is not disturbed) and outside any signed content.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tpi_notes.db.models import Patient, ProcedureSession
from tpi_notes.domain.errors import NotFoundError
from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext


def large_print_default(ctx: AppContext, session_id: int) -> bool:
    """Whether the last aftercare sheet of this session's patient was printed in large print."""
    ctx.require(Permission.PRINT)
    with ctx.read() as s:
        found = s.execute(select(Patient.aftercare_large_print).join(ProcedureSession,
                                                                     ProcedureSession.patient_id == Patient.id)
                          .where(ProcedureSession.id == session_id)).first()
    if found is None:
        raise NotFoundError(f"Session {session_id} does not exist.")
    return bool(found[0])


def remember(s: Session, patient_id: int, large_print: bool) -> None:
    """Inside the print's transaction: keep this choice as the patient's default (no row-version change)."""
    s.execute(update(Patient).where(Patient.id == patient_id, Patient.aftercare_large_print.is_not(large_print))
              .values(aftercare_large_print=large_print).execution_options(synchronize_session=False))
