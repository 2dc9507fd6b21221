"""The clinic root and signers' certificates (issue 14 item 2; domain/clinic_certificates.py).

The root's private key is stored only wrapped, one copy per administrator, each under that administrator's
password (Argon2id, as signing keys are: domain/signature_keys.py). It is opened when an administrator signs in
and held in memory for that sign-in only (``held``), so that while they are signed in:

- a signer key without a certificate ("pending": a physician whose key was made when no administrator's root
  key was open, e.g. at their first signature) gets one at once: at the sign-in itself, and when the
  administrator creates a physician or resets their password;
- a new administrator gets their own wrapped copy when created.

A clinic from before the root existed gets one at the next administrator sign-in. A password change re-wraps that
administrator's copy; an administrator's reset of another administrator's password wraps a fresh copy under the
new password if the resetting administrator holds the root, and otherwise drops the copy the new password
cannot open.

Every root and certificate is registered by an audit event naming its SHA-256 (an anchor then covers it); verify
holds the stored ones to those events (``certificate_problems``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tpi_notes.db.models import AuditEvent, ClinicRoot, ClinicRootCopy, SignerCertificate, SignerKey, User
from tpi_notes.db.repositories import audit, reference, staff
from tpi_notes.domain import clinic_certificates as certs
from tpi_notes.domain import signature_keys as keys
from tpi_notes.services.context import AppContext

_HELD = "_held_clinic_root"  # attribute on the AppContext: (principal it was opened for, root id, private key)


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def current_root(s: Session) -> ClinicRoot | None:
    return s.scalar(select(ClinicRoot).order_by(ClinicRoot.id.desc()).limit(1))


def held(ctx: AppContext) -> tuple[int, keys.Ed25519PrivateKey] | None:
    """``(root id, private key)`` opened at this sign-in, or None (another user, signed out, never opened)."""
    found = getattr(ctx, _HELD, None)
    if found is None or found[0] is not ctx.principal:
        return None
    return found[1], found[2]


def _hold(ctx: AppContext, root_id: int, key: keys.Ed25519PrivateKey) -> None:
    setattr(ctx, _HELD, (ctx.principal, root_id, key))


def forget(ctx: AppContext) -> None:
    """Drop the root key held for the signed-in administrator (sign-out)."""
    if hasattr(ctx, _HELD):
        delattr(ctx, _HELD)


def _copy_of(s: Session, root_id: int, user_id: int) -> ClinicRootCopy | None:
    return s.scalar(select(ClinicRootCopy).where(ClinicRootCopy.root_id == root_id, ClinicRootCopy.user_id == user_id))


def store_copy(s: Session, ctx: AppContext, root_id: int, user_id: int, wrapped: tuple[str, str], why: str,
               now: datetime | None = None) -> None:
    row = _copy_of(s, root_id, user_id)
    if row is None:
        row = ClinicRootCopy(root_id=root_id, user_id=user_id, created_at=now or _now())
        s.add(row)
    row.wrapped_private_key, row.salt = wrapped
    s.flush()
    audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="clinic_root",
                 entity_id=root_id, detail=f"clinic root key wrapped for administrator user {user_id} ({why})")


def create_root(s: Session, ctx: AppContext, private_key: keys.Ed25519PrivateKey, clinic_name: str, *,
                now: datetime | None = None, serial: int | None = None) -> ClinicRoot:
    """Store a new root certificate and register it in the audit trail (``now``, ``serial``: the demo's)."""
    der = certs.make_root(private_key, clinic_name, now, serial)
    row = ClinicRoot(certificate=der, sha256=certs.certificate_sha256(der), created_at=now or _now())
    s.add(row)
    s.flush()
    audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="create", entity="clinic_root", entity_id=row.id,
                 detail=certs.root_registration_detail(der, clinic_name))
    return row


def issue_pending(s: Session, ctx: AppContext, root: ClinicRoot, root_key: keys.Ed25519PrivateKey, *,
                  now: datetime | None = None, serial_seed: str | None = None) -> int:
    """Issue a certificate for every current signer key that has none; how many were issued (``now`` and
    ``serial_seed``: the demo's, for the same certificates from the same seed)."""
    clinic = reference.settings(s).name
    pending = s.execute(select(SignerKey, User).join(User, User.id == SignerKey.user_id)
                        .outerjoin(SignerCertificate, SignerCertificate.signer_key_id == SignerKey.id)
                        .where(SignerKey.retired_at.is_(None), SignerCertificate.id.is_(None))
                        .order_by(SignerKey.id)).all()
    for key_row, user in pending:
        name = f"{user.full_name}, {user.credentials}" if user.credentials else user.full_name
        public = bytes.fromhex(key_row.public_key)
        serial = certs.serial_from(f"{serial_seed} {key_row.public_key}") if serial_seed else None
        der = certs.issue_signer(root_key, root.certificate, public, name, clinic, now, serial)
        row = SignerCertificate(signer_key_id=key_row.id, user_id=user.id, root_id=root.id, certificate=der,
                                sha256=certs.certificate_sha256(der), issued_at=now or _now())
        s.add(row)
        s.flush()
        audit.append(s, actor=ctx.actor, user_id=user.id, action="create", entity="signer_certificate",
                     entity_id=row.id,
                     detail=certs.signer_registration_detail(user.id, keys.fingerprint(public), der))
    return len(pending)


def issue_pending_if_held(s: Session, ctx: AppContext) -> int:
    """``issue_pending`` when the signed-in administrator holds the root key (else the keys stay pending)."""
    opened = held(ctx)
    root = current_root(s)
    if opened is None or root is None or root.id != opened[0]:
        return 0
    return issue_pending(s, ctx, root, opened[1])


def pending_count(s: Session) -> int:
    return len(s.execute(select(SignerKey.id)
                         .outerjoin(SignerCertificate, SignerCertificate.signer_key_id == SignerKey.id)
                         .where(SignerKey.retired_at.is_(None), SignerCertificate.id.is_(None))).all())


def setup_root(s: Session, ctx: AppContext, admin_id: int, password: str, clinic_name: str) -> None:
    """First-run setup (inside its transaction): the root, wrapped for the first administrator, and a
    certificate for any signer key already made (the first user may be a physician too)."""
    private = keys.Ed25519PrivateKey.generate()
    root = create_root(s, ctx, private, clinic_name)
    store_copy(s, ctx, root.id, admin_id, keys.wrap(private, password), "first-run setup")
    issue_pending(s, ctx, root, private)


def admin_signed_in(ctx: AppContext, user_id: int, password: str) -> None:
    """After an administrator's successful sign-in: open (or, for a clinic without one, make) the root with
    their password, hold it for this sign-in, and issue the pending certificates. Quietly does nothing for a
    user who is no administrator, or an administrator without a copy of the root."""
    with ctx.read() as s:
        if not staff.has_role(s, user_id, "admin"):
            return
        root = current_root(s)
        copy = _copy_of(s, root.id, user_id) if root is not None else None
        wrapped = (copy.wrapped_private_key, copy.salt) if copy is not None else None
        root_id = root.id if root is not None else None
        pending = pending_count(s)
    if root_id is None:
        private = keys.Ed25519PrivateKey.generate()
        sealed = keys.wrap(private, password)  # slow (Argon2id): before the write transaction
        with ctx.transaction() as s:
            if current_root(s) is not None:  # another workstation made it meanwhile: leave it to the next sign-in
                return
            clinic = reference.settings(s).name
            row = create_root(s, ctx, private, clinic)
            store_copy(s, ctx, row.id, user_id, sealed, "root made at sign-in")
            issue_pending(s, ctx, row, private)
            _hold(ctx, row.id, private)
        return
    if wrapped is None:
        return
    try:
        private = keys.unwrap(wrapped[0], wrapped[1], password)
    except keys.KeyUnlockError:
        return  # a copy the password does not open (changed behind the app's back): nothing held
    _hold(ctx, root_id, private)
    if pending:
        with ctx.transaction() as s:
            issue_pending_if_held(s, ctx)


@dataclass(frozen=True)
class CopyChange:
    """What a password change does to the user's copy of the root, worked out before the write transaction."""

    root_id: int
    wrapped: tuple[str, str] | None  # None: drop the copy (the new password cannot open it)
    why: str


def prepare_password_change(s: Session, ctx: AppContext, user_id: int, new_password: str, *,
                            current_password: str | None, reset: bool) -> CopyChange | None:
    """Read in ``s``; derive (slowly) the re-wrapped or new copy of the root for ``user_id``'s new password."""
    root = current_root(s)
    if root is None or not staff.has_role(s, user_id, "admin"):
        return None
    copy = _copy_of(s, root.id, user_id)
    if copy is not None and not reset and current_password is not None:
        try:
            private = keys.unwrap(copy.wrapped_private_key, copy.salt, current_password)
        except keys.KeyUnlockError:
            return None  # a wrong current password: the change is refused anyway
        return CopyChange(root.id, keys.wrap(private, new_password), "password changed")
    opened = held(ctx)
    if opened is not None and opened[0] == root.id:
        return CopyChange(root.id, keys.wrap(opened[1], new_password), "password set by an administrator")
    if copy is not None:
        return CopyChange(root.id, None, "password reset without the root key open")
    return None


def apply_password_change(s: Session, ctx: AppContext, user_id: int, change: CopyChange | None) -> None:
    """Write a prepared change inside the password-changing transaction, then issue any pending certificate
    (an administrator's reset gives a physician a new key)."""
    if change is not None:
        if change.wrapped is not None:
            store_copy(s, ctx, change.root_id, user_id, change.wrapped, change.why)
        elif (row := _copy_of(s, change.root_id, user_id)) is not None:
            s.delete(row)
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="clinic_root",
                         entity_id=change.root_id,
                         detail=f"clinic root copy of administrator user {user_id} dropped ({change.why})")
    issue_pending_if_held(s, ctx)


def wrap_for_new_admin(ctx: AppContext, password: str) -> tuple[int, tuple[str, str]] | None:
    """The held root wrapped under a new administrator's password (slow: before the write transaction)."""
    opened = held(ctx)
    return None if opened is None else (opened[0], keys.wrap(opened[1], password))


def store_new_admin_copy(s: Session, ctx: AppContext, user_id: int,
                         prepared: tuple[int, tuple[str, str]] | None) -> None:
    if prepared is not None:
        store_copy(s, ctx, prepared[0], user_id, prepared[1], "new administrator")


def certificate_for_key(s: Session, public_key: bytes) -> SignerCertificate | None:
    """The certificate issued for this signer key, or None (pending)."""
    return s.scalar(select(SignerCertificate).join(SignerKey, SignerKey.id == SignerCertificate.signer_key_id)
                    .where(SignerKey.public_key == public_key.hex()))


def root_certificates(s: Session) -> list[bytes]:
    """Every root certificate the clinic has had (DER), newest first."""
    return list(s.scalars(select(ClinicRoot.certificate).order_by(ClinicRoot.id.desc())))


def registered_hashes(s: Session, entity: str) -> dict[int, set[str]]:
    """The SHA-256s each "create" audit event of ``entity`` registered, by entity id."""
    found: dict[int, set[str]] = {}
    for entity_id, detail in s.execute(select(AuditEvent.entity_id, AuditEvent.detail)
                                       .where(AuditEvent.entity == entity, AuditEvent.action == "create")):
        words = (detail or "").replace(",", " ").split()
        found.setdefault(entity_id, set()).update(words[i + 1] for i, w in enumerate(words[:-1]) if w == "sha256")
    return found


def certificate_problems(s: Session) -> list[str]:
    """Roots and signer certificates that are not the ones the audit trail registered, or that do not belong
    to their key or root (a certificate swapped behind the app's back)."""
    problems = []
    roots = {row.id: row for row in s.scalars(select(ClinicRoot))}
    registered = registered_hashes(s, "clinic_root")
    for row in roots.values():
        sha = certs.certificate_sha256(row.certificate)
        if sha not in registered.get(row.id, set()) or sha != row.sha256:
            problems.append(f"clinic root certificate {row.id} is not the one the audit trail registered "
                            "(it was replaced behind the app's back)")
    registered = registered_hashes(s, "signer_certificate")
    for row, public_hex in s.execute(select(SignerCertificate, SignerKey.public_key)
                                     .join(SignerKey, SignerKey.id == SignerCertificate.signer_key_id)):
        sha = certs.certificate_sha256(row.certificate)
        where = f"certificate {row.id} of user {row.user_id}"
        if sha not in registered.get(row.id, set()) or sha != row.sha256:
            problems.append(f"{where} is not the one the audit trail registered (it was replaced behind the "
                            "app's back)")
            continue
        try:
            facts = certs.facts(row.certificate)
        except ValueError:
            problems.append(f"{where} cannot be read")
            continue
        root = roots.get(row.root_id)
        if facts.public_key.hex() != public_hex:
            problems.append(f"{where} is for another key than the signer key it is stored with")
        elif root is None or not certs.issued_by(row.certificate, root.certificate):
            problems.append(f"{where} was not issued by the clinic root")
    return problems
