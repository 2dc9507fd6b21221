"""The clinic root and its signers' X.509 certificates (issue 14 item 2), so a note PDF's signature can be
checked by anyone who trusts the clinic root: `tpi-notes check-pdf`, or a PDF reader told to trust it.

The root is an Ed25519 key with a self-signed CA certificate named after the clinic, made at setup (or at the
first administrator sign-in of a clinic from before). Its private key is kept only wrapped, like a signer's key
(domain/signature_keys.py), under each administrator's password. Each signer's Ed25519 public key gets an
end-entity certificate issued by the root, for digital signatures and non-repudiation only.

Both are long-lived on purpose: a PDF signed today must still validate in twenty years (a validator checks the
chain at the time of checking, and this clinic runs no revocation or time-stamping service).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

ROOT_YEARS = 60
SIGNER_YEARS = 40
_BACKDATE = timedelta(days=1)  # a workstation whose clock runs a little behind still validates a fresh certificate


def serial_from(text: str) -> int:
    """A positive serial number (at most 128 bits) derived from ``text``: the demo's, reproducible by seed."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:16], "big") >> 1 | 1


def certificate_sha256(der: bytes) -> str:
    """How audit events and verify name a certificate: the SHA-256 of its DER bytes, in hex."""
    return hashlib.sha256(der).hexdigest()


def _name(common_name: str, organization: str) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64] or "tpi-notes")]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]))
    return x509.Name(parts)


def _years(start: datetime, years: int) -> datetime:
    return start.replace(year=start.year + years)


def _utc(moment: datetime | None) -> datetime:
    moment = moment or datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def root_name(clinic_name: str) -> str:
    return f"{clinic_name.strip() or 'Clinic'} root"


def make_root(private_key: Ed25519PrivateKey, clinic_name: str, now: datetime | None = None,
              serial: int | None = None) -> bytes:
    """The clinic root's self-signed CA certificate (DER): it may issue end-entity certificates only."""
    start = _utc(now) - _BACKDATE
    name = _name(root_name(clinic_name), clinic_name.strip())
    public = private_key.public_key()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public)
            .serial_number(serial or x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(_years(start, ROOT_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(private_key, None))
    return cert.public_bytes(Encoding.DER)


def issue_signer(root_key: Ed25519PrivateKey, root_der: bytes, signer_public: bytes, signer_name: str,
                 clinic_name: str, now: datetime | None = None, serial: int | None = None) -> bytes:
    """An end-entity certificate (DER) for a signer's Ed25519 public key (32 raw bytes), issued by the root
    (``now`` and ``serial``: given only by the demo, which must come out the same for the same seed)."""
    root = x509.load_der_x509_certificate(root_der)
    start = _utc(now) - _BACKDATE
    public = Ed25519PublicKey.from_public_bytes(signer_public)
    cert = (x509.CertificateBuilder().subject_name(_name(signer_name, clinic_name.strip()))
            .issuer_name(root.subject).public_key(public).serial_number(serial or x509.random_serial_number())
            .not_valid_before(start).not_valid_after(min(_years(start, SIGNER_YEARS), root.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root.public_key()),  # type: ignore[arg-type]
                           critical=False)
            .sign(root_key, None))
    return cert.public_bytes(Encoding.DER)


@dataclass(frozen=True)
class CertificateFacts:
    """What a stored certificate says, for verify and for the command line."""

    subject: str
    issuer: str
    public_key: bytes  # 32 raw Ed25519 bytes
    sha256: str
    common_name: str = ""


def facts(der: bytes) -> CertificateFacts:
    cert = x509.load_der_x509_certificate(der)
    public = cert.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return CertificateFacts(cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(), public,
                            certificate_sha256(der), str(names[0].value) if names else "")


def issued_by(der: bytes, root_der: bytes) -> bool:
    """Whether ``der`` carries a valid signature of the root ``root_der``."""
    try:
        x509.load_der_x509_certificate(der).verify_directly_issued_by(x509.load_der_x509_certificate(root_der))
    except (ValueError, TypeError, Exception):  # noqa: BLE001 - InvalidSignature and malformed input alike
        return False
    return True


def to_pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)


def from_pem_or_der(data: bytes) -> bytes:
    """DER bytes of a certificate given as PEM or DER; ValueError when it is neither."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
    return x509.load_der_x509_certificate(data).public_bytes(Encoding.DER)


def root_registration_detail(root_der: bytes, clinic_name: str) -> str:
    """The audit detail registering the root: the trail (and an anchor of it) covers the certificate."""
    return f"clinic root certificate for {clinic_name!r}: sha256 {certificate_sha256(root_der)}"


def signer_registration_detail(user_id: int, key_fingerprint: str, der: bytes) -> str:
    return (f"X.509 certificate for user {user_id}'s signing key {key_fingerprint}: "
            f"sha256 {certificate_sha256(der)}")
