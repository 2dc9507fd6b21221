"""Signing keys: each signer's Ed25519 key pair, its private half kept only wrapped by their password.

A content hash is something anyone holding the database and the program can recompute; a signature is
something only the signer can make. So each physician has an Ed25519 key pair. The private key is stored
encrypted (AES-256-GCM) under a key derived from the signer's password with Argon2id and a salt of its own:
signing needs the password, and nobody else, an administrator or someone holding the file included, can sign.
The public key is kept in the clear and registered in the audit trail when it is made, so an audit anchor
covers it too.

What a session's signature covers (:func:`session_payload`): the session id, its content version, its content
SHA-256 (domain/signing.py), the signer's user id and the signing time, as canonical JSON. An addendum's
(:func:`addendum_payload`): its session, its own content hash (which binds the session's hash), author and time.

The wrapped key is ``argon2id$v=19$m=…,t=…,p=…$<nonce>$<ciphertext>`` (base64): the cost it was wrapped with
travels with it, so a key wrapped at one cost opens whatever the current default.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from tpi_notes.domain.errors import TpiError

# Argon2id cost for the wrapping key: (time cost, memory in KiB, parallelism). The same as the password hash's
# default (RFC 9106's second choice). tests/conftest.py lowers it for speed; the wrapped text records its own.
KDF_COST: tuple[int, int, int] = (3, 64 * 1024, 4)
SALT_BYTES = 16
SIGNATURE_PREFIX = "ed25519"
_AAD = b"tpi-notes signer key v1"


class KeyUnlockError(TpiError):
    """The password does not open this signing key (or the wrapped key is damaged)."""


@dataclass(frozen=True)
class NewKey:
    """A key pair just made: the public key (32 raw bytes), the wrapped private key and its salt (hex)."""

    public_key: bytes
    wrapped: str
    salt: str
    private_key: Ed25519PrivateKey

    @property
    def public_hex(self) -> str:
        return self.public_key.hex()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def fingerprint(public_key: bytes) -> str:
    """The SHA-256 of the raw public key, in hex: how audit events and signatures name a key."""
    return hashlib.sha256(public_key).hexdigest()


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _derive(password: str, salt: bytes, cost: tuple[int, int, int]) -> bytes:
    time_cost, memory_kib, parallelism = cost
    return hash_secret_raw(password.encode("utf-8"), salt, time_cost=time_cost, memory_cost=memory_kib,
                           parallelism=parallelism, hash_len=32, type=Type.ID)


def wrap(private_key: Ed25519PrivateKey, password: str, salt: bytes | None = None,
         cost: tuple[int, int, int] | None = None, nonce: bytes | None = None) -> tuple[str, str]:
    """``(wrapped text, salt hex)``: the private key encrypted under a key derived from ``password`` (``cost``,
    ``nonce``: KDF_COST and a random nonce unless given; only the demo, whose password is published and which must
    come out the same for the same seed, gives them, with a salt of each key's own)."""
    salt = salt or os.urandom(SALT_BYTES)
    cost = cost or KDF_COST
    nonce = nonce or os.urandom(12)
    raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    sealed = AESGCM(_derive(password, salt, cost)).encrypt(nonce, raw, _AAD)
    t, m, p = cost
    text = (f"argon2id$v=19$m={m},t={t},p={p}$" + base64.b64encode(nonce).decode("ascii") + "$"
            + base64.b64encode(sealed).decode("ascii"))
    return text, salt.hex()


def unwrap(wrapped: str, salt_hex: str, password: str) -> Ed25519PrivateKey:
    """The private key; ``KeyUnlockError`` when the password does not open it."""
    try:
        kind, _version, params, nonce_b64, sealed_b64 = wrapped.split("$")
        values = dict(part.split("=", 1) for part in params.split(","))
        cost = (int(values["t"]), int(values["m"]), int(values["p"]))
        nonce, sealed = base64.b64decode(nonce_b64), base64.b64decode(sealed_b64)
        salt = bytes.fromhex(salt_hex)
    except (ValueError, KeyError):
        raise KeyUnlockError("The stored signing key is damaged; an administrator must reset the password, "
                             "which issues a new key.") from None
    if kind != "argon2id":
        raise KeyUnlockError("The stored signing key is wrapped in a way this tpi-notes does not know.")
    try:
        raw = AESGCM(_derive(password, salt, cost)).decrypt(nonce, sealed, _AAD)
    except InvalidTag:
        raise KeyUnlockError("The password does not unlock the signing key.") from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def new_key(password: str) -> NewKey:
    """A fresh key pair wrapped by ``password`` (slow on purpose: one Argon2id derivation)."""
    private = Ed25519PrivateKey.generate()
    wrapped, salt = wrap(private, password)
    return NewKey(public_bytes(private), wrapped, salt, private)


def rewrap(wrapped: str, salt_hex: str, old_password: str, new_password: str) -> tuple[str, str]:
    """The same key wrapped by ``new_password`` under a new salt (a password change keeps the key)."""
    return wrap(unwrap(wrapped, salt_hex, old_password), new_password)


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(microsecond=0).isoformat()


def session_payload(session_id: int, content_version: int, content_sha256: str, signer_id: int,
                    signed_at: datetime | None) -> bytes:
    """The bytes a session's signature covers."""
    return _canonical({"type": "tpi-notes-session-signature", "session_id": session_id,
                       "content_version": content_version, "content_sha256": content_sha256,
                       "signer_id": signer_id, "signed_at": _when(signed_at)})


def addendum_payload(session_id: int, content_sha256: str, author_id: int, created_at: datetime) -> bytes:
    """The bytes an addendum's signature covers (its content hash binds kind, text and the session's hash)."""
    return _canonical({"type": "tpi-notes-addendum-signature", "session_id": session_id,
                       "content_sha256": content_sha256, "author_id": author_id, "created_at": _when(created_at)})


def signature_text(key_fingerprint: str, signature: bytes) -> str:
    """``ed25519:<key fingerprint>:<base64 signature>``, as stored beside the content hash."""
    return f"{SIGNATURE_PREFIX}:{key_fingerprint}:{base64.b64encode(signature).decode('ascii')}"


def parse_signature(text: str) -> tuple[str, bytes] | None:
    """``(key fingerprint, signature bytes)`` of a stored signature, or None when it is not one."""
    try:
        prefix, fp, b64 = text.split(":")
        raw = base64.b64decode(b64, validate=True)
    except (ValueError, AttributeError):
        return None
    if prefix != SIGNATURE_PREFIX or len(fp) != 64 or len(raw) != 64:
        return None
    return fp, raw


def sign(private_key: Ed25519PrivateKey, payload: bytes) -> str:
    return signature_text(fingerprint(public_bytes(private_key)), private_key.sign(payload))


def signature_valid(public_key: bytes, signature: bytes, payload: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, payload)
    except (InvalidSignature, ValueError):
        return False
    return True


def registration_detail(user_id: int, public_key: bytes, why: str) -> str:
    """The audit detail registering a public key: the key itself is in the trail, so an anchor covers it."""
    return (f"Ed25519 signing key for user {user_id} ({why}): public key {public_key.hex()}, "
            f"fingerprint {fingerprint(public_key)}")


# -- checking: what `verify` holds a stored signature to ------------------------------------------------------

HASH_ONLY = "hash-only signature (before v5)"
_SIGN_DETAIL = re.compile(r"\bsha256 ([0-9a-f]{64})(?:, Ed25519 key ([0-9a-f]{64}))?")


@dataclass(frozen=True)
class KnownKey:
    """A stored public key, whose it is, and the audit event that registered exactly this key (None: none did)."""

    user_id: int
    public_key: bytes
    registered_event: int | None


@dataclass(frozen=True)
class SignEvent:
    """What a "sign" (or "addendum") audit event recorded: its id, the content hash signed, the key named."""

    event_id: int
    sha256: str
    key: str | None


def sign_event(event_id: int, detail: str) -> SignEvent | None:
    """The hash and key a signing audit event names ("sha256 <hex>[, Ed25519 key <hex>]"), or None."""
    found = _SIGN_DETAIL.search(detail or "")
    return SignEvent(event_id, found.group(1), found.group(2)) if found else None


def signature_problem(*, payload: bytes, content_sha256: str | None, signature: str | None, signer_id: int | None,
                      required: bool, event: SignEvent | None, event_required: bool,
                      known: Mapping[str, KnownKey]) -> str | None:
    """Why a stored signature is not the signer's signature of this content, or None.

    ``required``: the record's content version calls for a signature (5 on); a signing audit event that names
    a key calls for one too, so a signature dropped to pass as hash-only is caught. ``event``: the signing audit
    event, whose hash must be the stored one; ``event_required``: there must be one (a full verify, which read the
    whole trail)."""
    if event is not None and content_sha256 != event.sha256:
        return (f"its content hash is not the one signed (signing audit event {event.event_id} recorded "
                f"{event.sha256[:12]}…, the record now holds {(content_sha256 or '—')[:12]}…)")
    if not (required or signature or (event is not None and event.key)):
        return None  # hash-only, as signed before version 5
    if not signature:
        return "its Ed25519 signature is missing"
    parsed = parse_signature(signature)
    if parsed is None:
        return "its signature is not a readable Ed25519 signature"
    fp, raw = parsed
    key = known.get(fp)
    if key is None:
        return f"it is signed with a key no signer has (key {fp[:12]}…)"
    if key.user_id != signer_id:
        return f"it is signed with the key of another user (user {key.user_id})"
    if event is not None and event.key and event.key != fp:
        return f"it is signed with another key than the signing audit event {event.event_id} names"
    if not signature_valid(key.public_key, raw, payload):
        return "its Ed25519 signature does not match its content (changed or re-signed after signing)"
    if event is None and event_required:
        return "no signing audit event records its signature"
    if key.registered_event is None:
        return f"its key {fp[:12]}… is not the one registered in the audit trail"
    if event is not None and key.registered_event > event.event_id:
        return f"its key {fp[:12]}… was registered after it was signed"
    return None
