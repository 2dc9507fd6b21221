"""The signing PIN: a physician signs with a short PIN instead of their password, inside their own session.

The PIN unwraps a second wrapped copy of the same Ed25519 signing key (domain/signature_keys.py: Argon2id, then
AES-256-GCM), so a signature made with it is the physician's own, checked like any other. It is set from the
account menu with the password (which opens the key to copy), works only when the signed-in user is the signer
(a PIN typed at a colleague's workstation signs nothing), and five wrong PINs in a row lock it: the password
still signs, and setting a new PIN (which needs the password) unlocks it. Only a guess that could be a PIN counts:
a slip no PIN can be (a letter, a space, too few or too many digits) is refused uncounted. The lock is on the
PIN's row, so it holds on every workstation and after a restart; an administrator cannot lift it (only the
physician, with the password, by setting a new PIN). A password change keeps it (the key is the same); an
administrator's reset issues a new key and so removes it (services/signer_keys.register).

Every attempt is audited like a password check ("login" events, purpose "signing PIN").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tpi_notes.db.models import SignerKey, SigningPin
from tpi_notes.db.repositories import audit, staff
from tpi_notes.domain import signature_keys as keys
from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.permissions import PermissionDenied
from tpi_notes.domain.signing_pin import MAX_PIN_FAILURES, pin_format_problem, pin_problem
from tpi_notes.services import signer_keys
from tpi_notes.services.context import AppContext

NONE, READY, LOCKED = "none", "ready", "locked"
OWN_SESSION_ONLY = ("A signing PIN works only in the physician's own signed-in session; sign with the password "
                    "here.")
PIN_LOCKED = (f"The signing PIN is locked after {MAX_PIN_FAILURES} wrong PINs; sign with your password, and set a "
              "new PIN from the account menu.")


class WrongPinError(TpiError):
    """The PIN does not open the signing key; the failure was counted."""


@dataclass(frozen=True)
class PinState:
    """The signed-in user's PIN: ``NONE`` (never set, or its key was replaced), ``READY`` or ``LOCKED``."""

    state: str
    failed_attempts: int = 0


def _own_user(ctx: AppContext) -> int:
    if ctx.user_id is None:
        raise PermissionDenied("Only a physician signed in to the app has a signing PIN.")
    return ctx.user_id


def _usable(s: Session, user_id: int) -> tuple[SigningPin, SignerKey] | None:
    """The user's PIN row and the key it copies, when that key is still their current one."""
    row = s.scalar(select(SigningPin).where(SigningPin.user_id == user_id))
    key = signer_keys.active_key(s, user_id)
    if row is None or key is None or row.signer_key_id != key.id:
        return None
    return row, key


def pin_state(ctx: AppContext) -> PinState:
    """Whether the signed-in user can sign with a PIN now (the signing dialog asks before offering it)."""
    if ctx.user_id is None:
        return PinState(NONE)
    with ctx.read() as s:
        found = _usable(s, ctx.user_id)
    if found is None:
        return PinState(NONE)
    row, _key = found
    return PinState(LOCKED if row.locked_at is not None else READY, row.failed_attempts)


def set_signing_pin(ctx: AppContext, password: str, pin: str) -> None:
    """Set (or replace, or unlock by replacing) the signed-in physician's PIN; needs their password."""
    user_id = _own_user(ctx)
    ctx.check_access()
    problem = pin_problem(pin)
    if problem:
        raise ValidationError({"pin": problem})
    with ctx.read() as s:
        if not staff.has_role(s, user_id, "physician"):
            raise PermissionDenied("Only a physician signs notes, so only a physician sets a signing PIN.")
    from tpi_notes.services.accounts import verify_user_password

    if not verify_user_password(ctx, user_id, password, purpose="signing PIN set"):
        raise ValidationError({"password": "The password is not correct; the PIN was not set."})
    with ctx.read() as s:  # the slow parts (Argon2id twice) before the write transaction
        unlocked = signer_keys.unlock(s, user_id, password)
    if unlocked is None:
        raise signer_keys.key_out_of_step()
    wrapped, salt = keys.wrap(unlocked.private_key, pin)
    public = keys.public_bytes(unlocked.private_key).hex()
    with ctx.transaction() as s:
        signer_keys.ensure_registered(s, ctx, user_id, unlocked)
        key = signer_keys.active_key(s, user_id)
        if key is None or key.public_key != public:
            raise TpiError("Your signing key changed meanwhile (an administrator reset the password); the PIN "
                           "was not set.")
        replaced = s.execute(delete(SigningPin).where(SigningPin.user_id == user_id)).rowcount
        s.add(SigningPin(user_id=user_id, signer_key_id=key.id, wrapped_private_key=wrapped, salt=salt,
                         failed_attempts=0, created_at=datetime.now().replace(microsecond=0)))
        audit.append(s, actor=ctx.actor, user_id=user_id, action="change", entity="user", entity_id=user_id,
                     detail=f"signing PIN {'replaced' if replaced else 'set'} (a copy of signing key "
                            f"{keys.fingerprint(bytes.fromhex(public))[:16]}…)")


def _log(s: Session, ctx: AppContext, user_id: int, detail: str) -> None:
    audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="login", entity="user", entity_id=user_id,
                 detail=f"signing PIN: {detail}")


def unlock_with_pin(ctx: AppContext, signer_id: int, pin: str) -> signer_keys.Unlocked:
    """The signer's private key, opened by their PIN: only in their own session, never when locked; a wrong PIN
    is counted (committed) and the fifth in a row locks the PIN."""
    if ctx.user_id is None or ctx.user_id != signer_id:
        raise PermissionDenied(OWN_SESSION_ONLY)
    with ctx.read() as s:
        found = _usable(s, signer_id)
        if found is None:
            raise TpiError("No signing PIN is set for you; sign with your password (the account menu sets one).")
        row, key = found
        pin_id, locked, wrapped, salt, key_id = row.id, row.locked_at is not None, row.wrapped_private_key, \
            row.salt, key.id
    if locked:
        with ctx.transaction() as s:
            _log(s, ctx, signer_id, "refused, PIN locked")
        raise TpiError(PIN_LOCKED)
    slip = pin_format_problem(pin)
    if slip:  # no PIN can match it: refused, audited, never counted (domain/signing_pin.py)
        with ctx.transaction() as s:
            _log(s, ctx, signer_id, "refused unchecked, not a PIN (not counted)")
        raise TpiError(f"{slip.removesuffix('.')}: that was not counted as a try, and nothing was signed.")
    try:
        private = keys.unwrap(wrapped, salt, pin)
    except keys.KeyUnlockError:
        private = None
    with ctx.transaction() as s:
        if private is not None:
            s.execute(update(SigningPin).where(SigningPin.id == pin_id).values(failed_attempts=0)
                      .execution_options(synchronize_session=False))
            _log(s, ctx, signer_id, "accepted")
            return signer_keys.Unlocked(private, key_id)
        s.execute(update(SigningPin).where(SigningPin.id == pin_id)
                  .values(failed_attempts=SigningPin.failed_attempts + 1)
                  .execution_options(synchronize_session=False))
        failures = s.scalar(select(SigningPin.failed_attempts).where(SigningPin.id == pin_id)) or 0
        if failures >= MAX_PIN_FAILURES:
            s.execute(update(SigningPin).where(SigningPin.id == pin_id)
                      .values(locked_at=datetime.now().replace(microsecond=0))
                      .execution_options(synchronize_session=False))
            _log(s, ctx, signer_id, f"wrong PIN ({failures} of {MAX_PIN_FAILURES}), PIN locked")
        else:
            _log(s, ctx, signer_id, f"wrong PIN ({failures} of {MAX_PIN_FAILURES})")
    if failures >= MAX_PIN_FAILURES:
        raise WrongPinError("The PIN is not correct; nothing was signed. " + PIN_LOCKED)
    left = MAX_PIN_FAILURES - failures
    raise WrongPinError(f"The PIN is not correct; nothing was signed ({left} tr{'ies' if left != 1 else 'y'} "
                        "left before the PIN locks).")
