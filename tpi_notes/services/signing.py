"""Signing: the completeness check, the physician's password again, the content hash, the physician's Ed25519
signature over it (domain/signature_keys.py), and the lock.

Content version 5: the signed context carries everything the note prints by reference (names, formulary items,
lots, finding sources; domain/printed_context.py), and the signature covers the session id, content version,
content hash, signer and time. The "sign" audit event names the hash and the key, so `verify` can hold the
stored hash to the one signed (services/integrity.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tpi_notes.db.models import FormularyItem, Lot, ProcedureSession, SessionFinding
from tpi_notes.db.repositories import (
    audit,
    locks,
    patients,
    reference,
    session_records,
    staff,
    stored_export_rows,
)
from tpi_notes.domain import signature_keys as keys
from tpi_notes.domain.completeness import MissingItem
from tpi_notes.domain.draft import draft_from_record
from tpi_notes.domain.errors import ConcurrentEditError, NotFoundError, TpiError
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.printed_context import capture_printed
from tpi_notes.domain.session import SessionRecord
from tpi_notes.domain.signed_context import capture
from tpi_notes.domain.signing import OUTCOMES_CONTENT_VERSION, record_sha256
from tpi_notes.services import signed_notes, signer_keys, signing_pin
from tpi_notes.services.assessment import assess_in
from tpi_notes.services.context import AppContext


class NotReadyToSign(TpiError):
    """The note is incomplete or has an open stop; ``missing`` lists what to fix, field by field."""

    def __init__(self, missing: list[MissingItem]) -> None:
        self.missing = missing
        super().__init__("The note cannot be signed yet: " + "; ".join(m.message for m in missing))


def not_happened_yet(start: datetime, end: datetime | None, now: datetime) -> list[MissingItem]:
    """A note attests to what was done: a procedure that starts (or ends) after ``now`` cannot be signed yet.
    A draft may still be prepared ahead (drafts.py allows a week); this is the signing rule only. Each item
    names its field, so the editor goes to it."""
    if start > now:
        return [MissingItem("performed_start", f"The procedure starts at {start:%Y-%m-%d %H:%M}, after now "
                                               f"({now:%H:%M}): a note is signed once the procedure is done.")]
    if end is not None and end > now:
        return [MissingItem("performed_end", f"The procedure ends at {end:%Y-%m-%d %H:%M}, after now "
                                             f"({now:%H:%M}): a note is signed once the procedure is done.")]
    return []


def sign_session(ctx: AppContext, session_id: int, physician_id: int, password: str | None, *,
                 row_version: int, pin: str | None = None) -> SessionRecord:
    """Sign a saved draft as ``physician_id`` (who must be its physician and give their password, or, in their
    own signed-in session, their signing PIN: services/signing_pin.py)."""
    ctx.require(Permission.SIGN)
    if pin is not None:  # the slow part (Argon2id) before the write transaction, as for the password
        unlocked = signing_pin.unlock_with_pin(ctx, physician_id, pin)
    else:
        unlocked = _unlock_with_password(ctx, physician_id, password or "")
    signed_notes.preload()  # pyHanko's slow import, before the write transaction
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
        now = datetime.now().replace(microsecond=0)
        missing = list(assessment.missing) + not_happened_yet(record.performed_start, record.performed_end, now)
        if missing:
            raise NotReadyToSign(missing)
        row = s.get(ProcedureSession, session_id)
        assert row is not None
        patient = patients.get(s, record.patient_id)
        assert patient is not None
        row.physician_id = physician_id
        row.signed_by_id = physician_id
        row.signed_at = now
        # The patient and clinic as they are now, under the signature: a reprint says what was signed.
        row.signed_context = capture(patients.to_record(patient), reference.clinic_info(s))
        row.content_version = OUTCOMES_CONTENT_VERSION  # printed context (5) and outcomes (6)
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
        # Everything the note prints by reference, as it is now, under the hash too (content version 5).
        row.signed_context = {**row.signed_context, "printed": _printed(s, signed)}
        s.flush()
        signed = session_records.load(s, session_id)
        assert signed is not None
        digest = record_sha256(signed)
        signer_keys.ensure_registered(s, ctx, physician_id, unlocked)
        signature = keys.sign(unlocked.private_key, keys.session_payload(
            session_id, OUTCOMES_CONTENT_VERSION, digest, physician_id, now))
        # One statement from draft to signed: the database's triggers allow exactly this change.
        s.execute(update(ProcedureSession).where(ProcedureSession.id == session_id,
                                                 ProcedureSession.status == "draft")
                  .values(status="signed", content_sha256=digest, signature=signature,
                          row_version=ProcedureSession.row_version + 1)
                  .execution_options(synchronize_session=False))
        fingerprint = keys.fingerprint(keys.public_bytes(unlocked.private_key))
        audit.append(s, actor=ctx.actor, user_id=physician_id, action="sign", entity="session",
                     entity_id=session_id, patient_id=record.patient_id,
                     detail=f"sha256 {digest}, Ed25519 key {fingerprint}")
        s.expire_all()
        # The note PDF as signed, PAdES-signed with the same key (None: its certificate is pending).
        signed_notes.sign_note(s, ctx, session_id, physician_id, unlocked.private_key)
        stored_export_rows.refresh(s, [session_id])  # its CSV row, worked out once (issue 19)
        final = session_records.load(s, session_id)
        assert final is not None
        return final


def _unlock_with_password(ctx: AppContext, physician_id: int, password: str) -> signer_keys.Unlocked:
    from tpi_notes.services.accounts import verify_user_password

    if not verify_user_password(ctx, physician_id, password):
        raise TpiError("The password is not correct; the note was not signed.")
    with ctx.read() as s:  # the slow part (Argon2id) before the write transaction
        unlocked = signer_keys.unlock(s, physician_id, password)
    if unlocked is None:
        raise signer_keys.key_out_of_step()
    return unlocked


def _printed(s: Session, record: SessionRecord) -> dict:
    """The ``printed`` part of the signed context (domain/printed_context.py) from the stored references."""
    codes = sorted({c.item_code for p in record.preparations for c in p.components})
    items = {item.code: item for item in reference.list_items(s, include_retired=True) if item.code in codes}
    used = {(c.item_code, c.lot_number) for p in record.preparations for c in p.components if c.lot_number}
    lots = [{"item_code": code, "lot_number": number, "expiry": expiry, "ndc": ndc}
            for code, number, expiry, ndc in s.execute(
                select(FormularyItem.code, Lot.lot_number, Lot.expiry, Lot.ndc).join(FormularyItem)
                .where(FormularyItem.code.in_(codes)))
            if (code, number) in used]
    return capture_printed(physician=record.physician, assistant=record.assistant, signer=record.signed_by,
                           items=items, lots=lots,
                           finding_sources=[{"code": f.code, "subject": f.subject, "source": f.source}
                                            for f in record.findings])
