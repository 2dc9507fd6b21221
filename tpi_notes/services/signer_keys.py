"""Signers' key pairs: made when a physician's password is set, re-wrapped when they change it, replaced when an
administrator resets it, and unlocked by the password to sign (domain/signature_keys.py).

These are helpers of the account and signing actions, inside their transactions; the slow part (Argon2id) is
done before the transaction where the caller can (:func:`prepare`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tpi_notes.db.models import SignerKey, SigningPin
from tpi_notes.db.repositories import audit, staff
from tpi_notes.domain import signature_keys as keys
from tpi_notes.domain.errors import TpiError
from tpi_notes.services.context import AppContext


def active_key(s: Session, user_id: int) -> SignerKey | None:
    """The user's current key (the newest one not retired), or None."""
    return s.scalar(select(SignerKey).where(SignerKey.user_id == user_id, SignerKey.retired_at.is_(None))
                    .order_by(SignerKey.id.desc()).limit(1))


def is_signer(s: Session, user_id: int) -> bool:
    return staff.has_role(s, user_id, "physician") or active_key(s, user_id) is not None


@dataclass(frozen=True)
class KeyChange:
    """What a password change does to the user's key, worked out (slowly) before the write transaction."""

    rewrapped: tuple[int, str, str] | None = None  # (key id, wrapped, salt): the same key under the new password
    new: keys.NewKey | None = None  # a fresh pair: first password, an administrator's reset, or no usable key


def prepare(s: Session, user_id: int, new_password: str, *, current_password: str | None, reset: bool) -> KeyChange:
    """Read in ``s``; derive what the change needs. ``reset``: an administrator sets the password without the
    old one, so the old key cannot be opened: a new pair is issued (the old public key stays for old signatures)."""
    if not is_signer(s, user_id):
        return KeyChange()
    current = active_key(s, user_id)
    if current is not None and not reset and current_password is not None:
        try:
            wrapped, salt = keys.rewrap(current.wrapped_private_key, current.salt, current_password, new_password)
        except keys.KeyUnlockError:
            pass  # the current password is wrong (the attempt is refused) or the key is damaged: a new pair
        else:
            return KeyChange(rewrapped=(current.id, wrapped, salt))
    return KeyChange(new=keys.new_key(new_password))


def apply(s: Session, ctx: AppContext, user_id: int, change: KeyChange, why: str) -> None:
    """Write a prepared change inside the caller's (password-changing) transaction."""
    if change.rewrapped is not None:
        key_id, wrapped, salt = change.rewrapped
        row = s.get(SignerKey, key_id)
        if row is not None and row.retired_at is None:
            row.wrapped_private_key, row.salt = wrapped, salt
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="signer_key",
                         entity_id=row.id, detail=f"signing key of user {user_id} re-wrapped under the new password")
        return  # retired meanwhile (an administrator's reset): that reset issued the new key
    if change.new is not None:
        register(s, ctx, user_id, change.new, why)


def register(s: Session, ctx: AppContext, user_id: int, new: keys.NewKey, why: str) -> SignerKey:
    """Retire the user's current key and store ``new``; the audit event carries the public key itself, so the
    trail (and an anchor of it) covers every key a signature may be checked against."""
    now = datetime.now().replace(microsecond=0)
    for old in s.scalars(select(SignerKey).where(SignerKey.user_id == user_id, SignerKey.retired_at.is_(None))):
        old.retired_at = now
    # A signing PIN is a copy of the retired key: it goes with it (a password change re-wraps, never registers).
    if s.execute(delete(SigningPin).where(SigningPin.user_id == user_id)).rowcount:
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="user", entity_id=user_id,
                     detail=f"signing PIN removed (signing key replaced: {why})")
    row = SignerKey(user_id=user_id, public_key=new.public_hex, wrapped_private_key=new.wrapped, salt=new.salt,
                    created_at=now)
    s.add(row)
    s.flush()
    audit.append(s, actor=ctx.actor, user_id=user_id, action="create", entity="signer_key", entity_id=row.id,
                 detail=keys.registration_detail(user_id, new.public_key, why))
    return row


@dataclass(frozen=True)
class Unlocked:
    """A signer's private key opened by their password (``key_id`` None: a new pair to register first)."""

    private_key: keys.Ed25519PrivateKey
    key_id: int | None
    new: keys.NewKey | None = None


def unlock(s: Session, user_id: int, password: str) -> Unlocked | None:
    """The user's private key, opened by ``password`` (None when it does not open it); a signer without a key
    yet (one whose password was set before keys existed) gets a new pair wrapped by it, to ``ensure_registered``
    in the signing transaction, once the password itself was accepted."""
    row = active_key(s, user_id)
    if row is None:
        new = keys.new_key(password)
        return Unlocked(new.private_key, None, new)
    try:
        return Unlocked(keys.unwrap(row.wrapped_private_key, row.salt, password), row.id)
    except keys.KeyUnlockError:
        return None


def key_out_of_step() -> TpiError:
    """The password was right but does not open the stored key (it was changed behind the app's back)."""
    return TpiError("The password does not unlock your signing key; nothing was signed. An administrator can "
                    "reset the password, which issues a new signing key.")


def ensure_registered(s: Session, ctx: AppContext, user_id: int, unlocked: Unlocked) -> None:
    """Store the new pair ``unlock`` made (first signature of a signer who had no key)."""
    if unlocked.new is not None:
        register(s, ctx, user_id, unlocked.new, "made at first signature")
