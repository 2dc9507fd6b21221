"""The note PDF as signed (issue 14 item 2): rendered and PAdES-signed with the signer's key at signing and at an
addendum's signing, stored with its SHA-256, and printed from then on as stored (domain/pdf_signatures.py).

A signer whose key has no certificate yet (pending: services/clinic_root.py) signs as before, with an Ed25519
signature on the record; the note then says its PDF signature is pending. At that signer's next signature,
once the certificate exists, their pending notes are PAdES-signed too (the PDF then carries the later time).
Sessions signed before PDF signatures existed print as they always did, saying they carry none.

Each stored PDF is registered by an audit event naming its SHA-256 (on the patient's part of the trail); the
stored bytes are held to it when printed and by `verify`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tpi_notes.db.models import (
    Addendum,
    AuditEvent,
    ClinicRoot,
    ProcedureSession,
    SignedNotePdf,
    SignerCertificate,
)
from tpi_notes.db.repositories import audit
from tpi_notes.domain import clinic_certificates as certs
from tpi_notes.domain import pdf_signatures
from tpi_notes.domain import signature_keys as keys
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.session import SessionRecord
from tpi_notes.services import clinic_root
from tpi_notes.services.context import AppContext

_log = logging.getLogger(__name__)

# How many of a signer's pending notes are PAdES-signed at their next signature (the rest at the ones after).
PENDING_PER_SIGNATURE = 5

# In the note's footer, on every page (short: it must not move anything on the page).
SIGNED = "PAdES-signed PDF"
NO_PDF_SIGNATURE = "no PDF signature"  # signed before PDF signatures (the footer says "hash-only (before v5)")
PENDING = "PDF signature pending"  # the signer's certificate was not issued yet
NOT_AS_STORED = "NO VALID PDF SIGNATURE"  # the stored signed PDF is not its registered one (verify names it)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def preload() -> None:
    """Import pyHanko (over a second) before a write transaction, not inside it."""
    with contextlib.suppress(ImportError):  # sign_pdf says so, and the clinical signature goes on without it
        import pyhanko.sign.signers  # noqa: F401


def sign_note(s: Session, ctx: AppContext, session_id: int, signer_id: int, private_key: keys.Ed25519PrivateKey,
              *, addendum_id: int | None = None) -> SignedNotePdf | None:
    """Inside the signing transaction: render the note as it now stands and PAdES-sign it with ``private_key``;
    None when the key has no certificate yet (pending). Then sign up to PENDING_PER_SIGNATURE of the signer's
    earlier notes left pending."""
    cert = clinic_root.certificate_for_key(s, keys.public_bytes(private_key))
    if cert is None:
        return None
    made = sign_session_pdf(s, ctx, session_id, cert, private_key, addendum_id)
    for other in _pending_sessions(s, signer_id, cert, exclude=session_id):
        sign_session_pdf(s, ctx, other, cert, private_key, None)
    return made


def sign_session_pdf(s: Session, ctx: AppContext, session_id: int, cert: SignerCertificate,
                     private_key: keys.Ed25519PrivateKey, addendum_id: int | None) -> SignedNotePdf | None:
    """Render the signed session's note, PAdES-sign it, store and register it; None (nothing signed) when the
    record no longer matches its signature."""
    from tpi_notes.services.documents import render_signed_note

    root = s.get(ClinicRoot, cert.root_id)
    assert root is not None
    rendered = render_signed_note(s, session_id, SIGNED)
    if rendered is None:
        return None
    pdf, patient_id, clinic = rendered
    try:
        signed = pdf_signatures.sign_pdf(pdf, private_key, cert.certificate, root.certificate,
                                         reason=f"Procedure note, session {session_id}", location=clinic)
    except pdf_signatures.PdfSignatureError as exc:
        # The clinical signature never waits on the PDF's: the note stays "PDF signature pending", and the signer's
        # next signature tries again. Logged by id only (tpi_notes/logs.py: no names).
        _log.warning("session %s: note PDF not PAdES-signed (%s)", session_id, type(exc.__cause__).__name__)
        return None
    shown = s.scalar(select(func.count(Addendum.id)).where(Addendum.session_id == session_id)) or 0
    row = SignedNotePdf(session_id=session_id, addendum_id=addendum_id, certificate_id=cert.id, addenda=shown,
                        pdf=signed, sha256=_sha(signed), created_at=datetime.now().replace(microsecond=0))
    s.add(row)
    s.flush()
    what = f"addendum {addendum_id}" if addendum_id else "signing"
    audit.append(s, actor=ctx.actor, user_id=cert.user_id, action="create", entity="signed_pdf", entity_id=row.id,
                 patient_id=patient_id, detail=f"PAdES-signed procedure note of session {session_id} ({what}), "
                                              f"{len(signed)} bytes: sha256 {row.sha256}")
    return row


def _pending_sessions(s: Session, signer_id: int, cert: SignerCertificate, *, exclude: int) -> list[int]:
    """Sessions this signer signed with this certificate's key (Ed25519 signature) that have no signed PDF, and
    sessions with an addendum they signed with it that no signed PDF shows yet."""
    from sqlalchemy.orm import aliased

    from tpi_notes.db.models import SignerKey

    public = s.scalar(select(SignerKey.public_key).where(SignerKey.id == cert.signer_key_id))
    if public is None:
        return []
    prefix = f"{keys.SIGNATURE_PREFIX}:{keys.fingerprint(bytes.fromhex(public))}:"
    has_pdf = select(SignedNotePdf.id).where(SignedNotePdf.session_id == ProcedureSession.id).exists()
    found = list(s.scalars(select(ProcedureSession.id)
                           .where(ProcedureSession.signed_by_id == signer_id, ProcedureSession.status == "signed",
                                  ProcedureSession.signature.startswith(prefix, autoescape=True),
                                  ProcedureSession.id != exclude, ~has_pdf)
                           .order_by(ProcedureSession.id).limit(PENDING_PER_SIGNATURE)))
    other = aliased(Addendum)
    shown = (select(func.max(SignedNotePdf.addenda)).where(SignedNotePdf.session_id == Addendum.session_id)
             .scalar_subquery())
    total = select(func.count(other.id)).where(other.session_id == Addendum.session_id).scalar_subquery()
    for sid in s.scalars(select(Addendum.session_id)
                         .where(Addendum.author_id == signer_id, Addendum.signature.startswith(prefix, autoescape=True),
                                Addendum.session_id != exclude, func.coalesce(shown, -1) < total)
                         .distinct().order_by(Addendum.session_id).limit(PENDING_PER_SIGNATURE)):
        if sid not in found:
            found.append(sid)
    return found[:PENDING_PER_SIGNATURE]


@dataclass(frozen=True)
class StoredPdf:
    pdf: bytes
    created_at: datetime
    problem: str | None  # the stored bytes are not the ones signed and registered
    outdated: bool = False  # an addendum came after it (its author's certificate was pending): not the whole note

    @property
    def printable(self) -> bool:
        return self.problem is None and not self.outdated


def stored_pdf(s: Session, session_id: int, patient_id: int) -> StoredPdf | None:
    """The newest signed PDF of the session (the last addendum's, if any), held to its row and audit event."""
    row = s.scalar(select(SignedNotePdf).where(SignedNotePdf.session_id == session_id)
                   .order_by(SignedNotePdf.id.desc()).limit(1))
    if row is None:
        return None
    details = s.scalars(select(AuditEvent.detail).where(AuditEvent.patient_id == patient_id,
                                                        AuditEvent.entity == "signed_pdf",
                                                        AuditEvent.entity_id == row.id))
    sha = _sha(row.pdf)
    registered = any(d and d.endswith(f"sha256 {sha}") for d in details)
    problem = None if sha == row.sha256 and registered else (
        f"the signed PDF stored for it (made {row.created_at}) is not the one its audit event registered")
    addenda = s.scalar(select(func.count(Addendum.id)).where(Addendum.session_id == session_id)) or 0
    return StoredPdf(row.pdf, row.created_at, problem, addenda > row.addenda)


def status_line(s: Session, record: SessionRecord, stored: StoredPdf | None) -> str:
    """What a note printed from the record (not from a stored signed PDF) says about its PDF signature."""
    if stored is not None and stored.problem:
        return NOT_AS_STORED
    if stored is not None and stored.outdated:
        return PENDING  # for the addendum that came after the signed PDF
    if keys.parse_signature(record.signature or "") is None:
        return NO_PDF_SIGNATURE  # hash-only, or signed before signing keys
    return PENDING


def pdf_problems(s: Session) -> list[str]:
    """Stored signed PDFs whose bytes are not the ones registered in the audit trail (for verify)."""
    registered = clinic_root.registered_hashes(s, "signed_pdf")
    problems = []
    last = 0
    while True:
        page = s.execute(select(SignedNotePdf.id, SignedNotePdf.session_id, SignedNotePdf.pdf, SignedNotePdf.sha256)
                         .where(SignedNotePdf.id > last).order_by(SignedNotePdf.id).limit(200)).all()
        if not page:
            return problems
        for pdf_id, session_id, pdf, sha in page:
            actual = _sha(pdf)
            if actual != sha or actual not in registered.get(pdf_id, set()):
                problems.append(f"the signed PDF {pdf_id} of session {session_id} is not the one the audit trail "
                                "registered (changed behind the app's back)")
        last = page[-1][0]


def clinic_roots(ctx: AppContext) -> list[bytes]:
    """`tpi-notes check-pdf`: the clinic's root certificates (DER, newest first) a signed note is checked
    against; a root that is not the one the audit trail registered is refused (verify says more)."""
    ctx.require(Permission.VERIFY)
    with ctx.read() as s:
        problems = [p for p in clinic_root.certificate_problems(s) if p.startswith("clinic root")]
        if problems:
            raise TpiError(f"{problems[0]}; run tpi-notes verify.")
        return clinic_root.root_certificates(s)


def export_root(ctx: AppContext) -> bytes:
    """`tpi-notes export-root`: the clinic root certificate as PEM, for a PDF reader to trust; audited."""
    ctx.require(Permission.VERIFY)
    with ctx.transaction() as s:
        root = clinic_root.current_root(s)
        if root is None:
            raise TpiError("This clinic has no root certificate yet: an administrator's next sign-in makes it.")
        if any(p.startswith(f"clinic root certificate {root.id} ") for p in clinic_root.certificate_problems(s)):
            raise TpiError("The clinic root certificate is not the one the audit trail registered; nothing was "
                           "written. Run tpi-notes verify.")
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="export", entity="clinic_root",
                     entity_id=root.id, detail=f"clinic root certificate exported (sha256 {root.sha256})")
        return certs.to_pem(root.certificate)
