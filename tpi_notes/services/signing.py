"""Signing: the completeness check, the physician's password again, the content hash, and the lock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import update

from tpi_notes.db.models import ProcedureSession, SessionFinding
from tpi_notes.db.repositories import audit, locks, patients, reference, session_records, staff
from tpi_notes.domain.completeness import MissingItem
from tpi_notes.domain.draft import draft_from_record
from tpi_notes.domain.errors import ConcurrentEditError, NotFoundError, TpiError
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.session import SessionRecord
from tpi_notes.domain.signed_context import SIGNED_CONTEXT_VERSION, capture
from tpi_notes.domain.signing import record_sha256
from tpi_notes.services.assessment import assess_in
from tpi_notes.services.context import AppContext


class NotReadyToSign(TpiError):
    """The note is incomplete or has an open stop; ``missing`` lists what to fix, field by field."""

    def __init__(self, missing: list[MissingItem]) -> None:
        self.missing = missing
        super().__init__("The note cannot be signed yet: " + "; ".join(m.message for m in missing))


def sign_session(ctx: AppContext, session_id: int, physician_id: int, password: str, *,
                 row_version: int) -> SessionRecord:
    """Sign a saved draft as ``physician_id`` (who must be its physician and give their password)."""
    ctx.require(Permission.SIGN)
    from tpi_notes.services.accounts import verify_user_password

    if not verify_user_password(ctx, physician_id, password):
        raise TpiError("The password is not correct; the note was not signed.")
    with ctx.transaction() as s:
        locks.session_row(s, session_id)  # a save of it on another workstation waits (PostgreSQL)
        record = session_records.load(s, session_id)
        if record is None:
            raise NotFoundError(f"Session {session_id} does not exist.")
        if record.status != "draft":
            raise TpiError("This session is already signed.")
        if record.row_version != row_version:
            raise ConcurrentEditError("This session changed on another workstation since you opened it; reload "
                                      "and review it before signing.")
        if not staff.has_role(s, physician_id, "physician"):
            raise TpiError("Only a physician can sign a procedure note.")
        if record.physician_id not in (None, physician_id):
            raise TpiError("A physician signs their own sessions; this one names another physician.")
        draft = replace(draft_from_record(record), physician_id=physician_id)
        assessment = assess_in(s, draft)
        if assessment.missing:
            raise NotReadyToSign(list(assessment.missing))
        row = s.get(ProcedureSession, session_id)
        assert row is not None
        patient = patients.get(s, record.patient_id)
        assert patient is not None
        now = datetime.now().replace(microsecond=0)
        row.physician_id = physician_id
        row.signed_by_id = physician_id
        row.signed_at = now
        # The patient and clinic as they are now, under the signature: a reprint says what was signed.
        row.signed_context = capture(patients.to_record(patient), reference.clinic_info(s))
        row.content_version = SIGNED_CONTEXT_VERSION
        row.findings.clear()
        s.flush()
        row.findings.extend(SessionFinding(rule_code=f.code, subject=f.subject, severity=f.severity,
                                           message=f.message, source=f.source, override_reason=f.override_reason,
                                           overridden_by_id=physician_id if f.override_reason else None,
                                           overridden_at=now if f.override_reason else None)
                            for f in assessment.findings)
        s.flush()
        signed = session_records.load(s, session_id)
        assert signed is not None
        digest = record_sha256(signed)
        # One statement from draft to signed: the database's triggers allow exactly this change.
        s.execute(update(ProcedureSession).where(ProcedureSession.id == session_id,
                                                 ProcedureSession.status == "draft")
                  .values(status="signed", content_sha256=digest, row_version=ProcedureSession.row_version + 1)
                  .execution_options(synchronize_session=False))
        audit.append(s, actor=ctx.actor, user_id=physician_id, action="sign", entity="session",
                     entity_id=session_id, patient_id=record.patient_id, detail=f"sha256 {digest}")
        s.expire_all()
        final = session_records.load(s, session_id)
        assert final is not None
        return final
