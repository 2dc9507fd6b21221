"""The demo clinic's keys, root and a few PAdES-signed notes (issue 14 item 2), so `tpi-notes note` on a showcase
session gives a PDF that `tpi-notes check-pdf` validates.

Each demo physician gets an Ed25519 signing key and each demo administrator a copy of a clinic root, all wrapped
under the published demo password, with a certificate per physician. The bulk sessions stay as the demo signs
them (content version 4, hash-only) and render no PDF, which keeps a 100,000-session demo within its time; only
the newest signed session of each physician (SHOWCASE_PDFS in all) is rendered and PAdES-signed with that
physician's key. Their records stay hash-only (the note says so); their PDFs carry a real signature.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tpi_notes.db.models import ProcedureSession
from tpi_notes.db.repositories import reference
from tpi_notes.domain import clinic_certificates as certs
from tpi_notes.domain import signature_keys as keys
from tpi_notes.services import clinic_root, signed_notes, signer_keys
from tpi_notes.services.context import AppContext

SHOWCASE_PDFS = 3
# The demo password is published, so its wrapping gains nothing from a slow derivation: the smallest Argon2id cost
# (the wrapped text records it; the app opens it as any other).
DEMO_KEY_COST = (1, 8 * 1024, 1)


def _derived(seed: int, what: str, size: int = 32) -> bytes:
    """Bytes derived from the seed: the same seed gives the same keys and certificates (the demo is reproducible;
    its password is published, so nothing here is secret)."""
    return hashlib.sha256(f"tpi-notes demo {seed}: {what}".encode()).digest()[:size]


def _private(seed: int, what: str) -> keys.Ed25519PrivateKey:
    return keys.Ed25519PrivateKey.from_private_bytes(_derived(seed, f"{what} key"))


def _wrap(private: keys.Ed25519PrivateKey, password: str, seed: int, what: str) -> tuple[str, str]:
    return keys.wrap(private, password, salt=_derived(seed, f"{what} salt", keys.SALT_BYTES), cost=DEMO_KEY_COST,
                     nonce=_derived(seed, f"{what} nonce", 12))


def add_keys_and_signed_notes(s: Session, ctx: AppContext, staff: dict[str, list[int]], password: str, *,
                              seed: int, when: datetime, newest: dict[int, int] | None = None) -> int:
    """Inside the demo's transaction, after its sessions: keys, the root, certificates (made ``when``, from
    ``seed``) and the showcase PDFs; how many PDFs were signed. ``newest``: each physician's newest signed session
    when the caller knows it (the demo builder does; reading it means a scan of every session at 1,000,000)."""
    private: dict[int, keys.Ed25519PrivateKey] = {}
    for uid in staff["physician"]:
        key = _private(seed, f"signer {uid}")
        wrapped, salt = _wrap(key, password, seed, f"signer {uid}")
        row = signer_keys.register(s, ctx, uid, keys.NewKey(keys.public_bytes(key), wrapped, salt, key), "demo clinic")
        row.created_at = when
        private[uid] = key
    root_key = _private(seed, "root")
    root = clinic_root.create_root(s, ctx, root_key, reference.settings(s).name, now=when,
                                   serial=certs.serial_from(f"demo {seed} root"))
    for uid in staff["admin"]:
        clinic_root.store_copy(s, ctx, root.id, uid, _wrap(root_key, password, seed, f"root copy {uid}"),
                               "demo clinic", now=when)
    clinic_root.issue_pending(s, ctx, root, root_key, now=when, serial_seed=f"demo {seed}")
    s.flush()
    chosen = []
    for uid in staff["physician"]:
        if newest is not None:
            if uid in newest:
                chosen.append((newest[uid], uid))
            continue
        found = s.scalar(select(ProcedureSession.id).where(ProcedureSession.signed_by_id == uid,
                                                            ProcedureSession.status == "signed")
                          .order_by(ProcedureSession.signed_at.desc(), ProcedureSession.id.desc()).limit(1))
        if found is not None:
            chosen.append((found, uid))
    for sid, uid in chosen[:SHOWCASE_PDFS]:
        cert = clinic_root.certificate_for_key(s, keys.public_bytes(private[uid]))
        assert cert is not None
        signed_notes.sign_session_pdf(s, ctx, sid, cert, private[uid], None)
    return len(chosen[:SHOWCASE_PDFS])
