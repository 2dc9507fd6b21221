"""PAdES signatures on note PDFs (pyHanko): made with a signer's Ed25519 key and certificate, checked against
the clinic root (issue 14 item 2).

The PDF as rendered gets one incremental update holding a PAdES baseline signature (SHA-512, as Ed25519 in CMS
wants) with the signer's certificate and the root embedded, so any validator that trusts the root can check it
without the database. One changed byte of the signed revision breaks it.

pyHanko takes more than a second to import, so it is imported here only when a PDF is signed or checked, never
when the app starts.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from tpi_notes.domain.errors import TpiError

FIELD_NAME = "tpi-notes signature"


class PdfSignatureError(TpiError):
    """The PDF could not be read or signed."""


def sign_pdf(pdf: bytes, private_key: Ed25519PrivateKey, signer_der: bytes, root_der: bytes, *,
             reason: str = "", location: str = "") -> bytes:
    """``pdf`` with a PAdES signature by ``private_key``, whose certificate ``signer_der`` the root issued."""
    try:
        from asn1crypto import keys as akeys
        from asn1crypto import x509 as ax509
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers
        from pyhanko.sign.fields import SigSeedSubFilter
        from pyhanko_certvalidator.registry import SimpleCertificateStore
    except ImportError as exc:  # an installation without pyHanko: the note is signed, its PDF signature waits
        raise PdfSignatureError(f"pyHanko is not installed ({exc.name})") from exc

    key = akeys.PrivateKeyInfo.load(private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()))
    signer = signers.SimpleSigner(signing_cert=ax509.Certificate.load(signer_der), signing_key=key,
                                  cert_registry=SimpleCertificateStore.from_certs([ax509.Certificate.load(root_der)]))
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, subfilter=SigSeedSubFilter.PADES,
                                        md_algorithm="sha512", reason=reason or None, location=location or None)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        return signers.sign_pdf(writer, meta, signer=signer).getvalue()
    except Exception as exc:  # noqa: BLE001 - pyHanko raises many kinds; the user gets one line
        raise PdfSignatureError(f"The note PDF could not be signed: {exc}") from exc


@dataclass(frozen=True)
class PdfSignatureCheck:
    """One embedded signature, checked: who, when (the signer's clock), and what held."""

    signer: str
    signed_at: datetime | None
    intact: bool  # the bytes it covers are the bytes signed
    valid: bool  # the cryptographic signature is good
    trusted: bool  # the signer's certificate chains to a trusted root
    whole_file: bool  # it covers the whole file (nothing was appended after it)
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.whole_file


def check_pdf(pdf: bytes, trusted_roots: list[bytes]) -> list[PdfSignatureCheck]:
    """Every signature embedded in ``pdf``, each checked against ``trusted_roots`` (DER). An empty list: the
    PDF carries no signature. PdfSignatureError: it is not a PDF that can be read."""
    from asn1crypto import x509 as ax509
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    _quiet()
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise PdfSignatureError(f"this is not a PDF that can be read ({exc})") from None
    context = ValidationContext(trust_roots=[ax509.Certificate.load(der) for der in trusted_roots])
    found = []
    for sig in embedded:
        try:
            status = validate_pdf_signature(sig, context)
        except (ValueError, KeyError, TypeError) as exc:  # pyHanko's validation errors are ValueErrors
            found.append(PdfSignatureCheck(_signer_of(sig), None, False, False, False, False, str(exc)))
            continue
        name = _name(status.signing_cert)
        whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        found.append(PdfSignatureCheck(name, status.signer_reported_dt, bool(status.intact), bool(status.valid),
                                       bool(status.trusted), whole,
                                       "" if status.trusted else str(status.trust_problem_indic or "")))
    return found


def _name(cert: object) -> str:
    """"Amelia Hart, MD (Harbor Clinic)": the certificate's common name and organisation."""
    try:
        native = cert.subject.native  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - no certificate, or one too damaged to name its subject
        return "unknown signer"
    name = native.get("common_name") or "unnamed signer"
    return f"{name} ({native['organization_name']})" if native.get("organization_name") else name


def _signer_of(sig: object) -> str:
    try:
        return _name(sig.signer_cert)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a signature too damaged to name its signer
        return "unknown signer"


def _quiet() -> None:
    """pyHanko and its certificate validator log every failed check with a traceback (naming the signer); the
    caller reports the outcome in one line, so their records go nowhere (not to stderr, not to the app's log)."""
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())
        logger.propagate = False
