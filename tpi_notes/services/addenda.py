"""Adding an addendum, correction or late entry to a signed session (clinical-reference §8.1).

The original note stays exactly as signed; the addendum is a new, separately hashed record, dated now
(never back-dated) and signed by a physician with their password: its hash, and from migration 0014 their
Ed25519 signature over it (domain/signature_keys.py).
"""

from __future__ import annotations

from datetime import datetime

from tpi_notes.db.models import Addendum as AddendumRow
from tpi_notes.db.models import ProcedureSession, User
from tpi_notes.db.repositories import audit, staff, stored_export_rows
from tpi_notes.domain import signature_keys as keys
from tpi_notes.domain.addenda import addendum_content_sha256, clean_addendum
from tpi_notes.domain.errors import NotFoundError, TpiError
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.session import Addendum
from tpi_notes.services import signed_notes, signer_keys, signing_pin
from tpi_notes.services.accounts import password_attempt
from tpi_notes.services.context import AppContext


class AddendumRefused(TpiError):
    """An addendum that cannot be added (a draft, a non-physician, a clock behind the signature)."""


def add_addendum(ctx: AppContext, session_id: int, kind: str, text: str, author_id: int,
                 password: str | None, *, pin: str | None = None) -> Addendum:
    """Add an addendum to signed session ``session_id`` as physician ``author_id``, signed with their password
    or, in their own signed-in session, their signing PIN (services/signing_pin.py: a PIN typed for another
    physician's addendum signs nothing).

    Raises ValidationError (kind, text), NotFoundError, AddendumRefused, WrongPasswordError (the wrong
    password is counted), WrongPinError (counted likewise) or AccountLockedError. Nothing is written unless
    everything checks out.
    """
    ctx.require(Permission.ADDENDUM)
    cleaned = clean_addendum(kind, text)
    if pin is not None:  # counted and audited by signing_pin, in its own transaction, like the signing's
        unlocked: signer_keys.Unlocked | None = signing_pin.unlock_with_pin(ctx, author_id, pin)
    else:
        with ctx.read() as s:  # the author's signing key, opened by the password (slow: before the write)
            unlocked = signer_keys.unlock(s, author_id, password or "")
    signed_notes.preload()  # pyHanko's slow import, before the write transaction
    with ctx.transaction() as s:
        session = s.get(ProcedureSession, session_id)
        if session is None:
            raise NotFoundError(f"Session {session_id} does not exist.")
        if session.status != "signed":
            raise AddendumRefused("This session is a draft: edit the draft itself; addenda are for signed notes.")
        if not staff.has_role(s, author_id, "physician"):
            raise AddendumRefused("Only a physician can sign an addendum.")
        now = datetime.now().replace(microsecond=0)
        if session.signed_at is not None and now < session.signed_at:
            raise AddendumRefused("This computer's clock is earlier than the note's signature time; correct the "
                                  "clock before adding an addendum (addenda are never back-dated).")
        attempt = None if pin is not None else password_attempt(s, ctx, author_id, password or "",
                                                                 f"addendum to session {session_id}")
        if attempt is None or attempt.ok:
            if unlocked is None:
                raise signer_keys.key_out_of_step()
            signer_keys.ensure_registered(s, ctx, author_id, unlocked)
            digest = addendum_content_sha256(session_id, session.content_sha256, kind, cleaned, author_id, now)
            signature = keys.sign(unlocked.private_key, keys.addendum_payload(session_id, digest, author_id, now))
            row = AddendumRow(session_id=session_id, kind=kind, text=cleaned, author_id=author_id, created_at=now,
                              content_sha256=digest, signature=signature)
            s.add(row)
            s.flush()
            fingerprint = keys.fingerprint(keys.public_bytes(unlocked.private_key))
            audit.append(s, actor=ctx.actor, user_id=author_id, action="addendum", entity="addendum",
                         entity_id=row.id, patient_id=session.patient_id,
                         detail=f"{kind} to session {session_id}, sha256 {digest}, Ed25519 key {fingerprint}")
            # The note with this addendum, PAdES-signed by its author (None: the certificate is pending).
            signed_notes.sign_note(s, ctx, session_id, author_id, unlocked.private_key, addendum_id=row.id)
            stored_export_rows.refresh(s, [session_id])  # its CSV row counts the addendum (issue 19)
            author = s.get_one(User, author_id)
            label = f"{author.full_name}, {author.credentials}" if author.credentials else author.full_name
    if attempt is not None:
        attempt.raise_if_refused()
    return Addendum(kind, cleaned, label, now, digest)
