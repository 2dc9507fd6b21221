"""Row locks taken by a save before it checks the version it was opened at.

On PostgreSQL two saves of one record run side by side (READ COMMITTED): both would pass the version check
and the second would then fail in the ORM's ``UPDATE … WHERE row_version = …`` (or, had it read the row again
after the first committed, overwrite it). ``SELECT … FOR UPDATE`` makes the second wait until the first ends
and then read the new version, so it is refused cleanly by the check. On SQLite the write transaction
(BEGIN IMMEDIATE) already holds the whole file, and SQLAlchemy sends no FOR UPDATE there.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tpi_notes.db.models import Patient, ProcedureSession


def session_row(s: Session, session_id: int) -> None:
    if s.get_bind().dialect.name == "sqlite":
        return  # BEGIN IMMEDIATE holds the file; SQLite would send a plain SELECT that locks nothing (issue 19)
    s.execute(select(ProcedureSession.id).where(ProcedureSession.id == session_id).with_for_update())


def patient_row(s: Session, patient_id: int) -> None:
    s.execute(select(Patient.id).where(Patient.id == patient_id).with_for_update())
