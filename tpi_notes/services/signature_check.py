"""Holding signed sessions and addenda to their Ed25519 signatures and signing audit events (read helpers of
services/integrity.py; the rules are domain/signature_keys.py).

A content hash anyone can recompute; these checks are what someone holding the file and the program cannot
satisfy without the signer's password: the signature over the hash, under a key the audit trail registered,
and the hash the signing audit event recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tpi_notes.db.models import Addendum, AuditEvent, ProcedureSession, SignerKey
from tpi_notes.domain import signature_keys as keys
from tpi_notes.domain.printed_context import PRINTED_CONTEXT_VERSION

BATCH = 500


@dataclass
class KeyIndex:
    """Every stored public key by fingerprint, and the keys that are not the ones the audit trail registered."""

    known: dict[str, keys.KnownKey]
    problems: list[str]


def key_index(s: Session) -> KeyIndex:
    registered: dict[tuple[int | None, str], int] = {}
    for eid, user_id, detail in s.execute(select(AuditEvent.id, AuditEvent.user_id, AuditEvent.detail)
                                          .where(AuditEvent.entity == "signer_key", AuditEvent.action == "create")
                                          .order_by(AuditEvent.id)):
        for word in (detail or "").replace(",", " ").split():
            if len(word) == 64:
                registered.setdefault((user_id, word), eid)
    known, problems = {}, []
    for key_id, user_id, public_hex in s.execute(select(SignerKey.id, SignerKey.user_id, SignerKey.public_key)
                                                 .order_by(SignerKey.id)):
        try:
            public = bytes.fromhex(public_hex)
        except ValueError:
            problems.append(f"signing key {key_id} of user {user_id} is damaged")
            continue
        event = registered.get((user_id, public_hex))
        if event is None:
            problems.append(f"signing key {key_id} of user {user_id} is not the key the audit trail registered "
                            "for them (it was replaced or added behind the app's back)")
        known[keys.fingerprint(public)] = keys.KnownKey(user_id, public, event)
    return KeyIndex(known, problems)


def _events(s: Session, action: str, entity: str, ids: Sequence[int],
            patients: Sequence[int]) -> dict[int, keys.SignEvent]:
    """The signing events of ``ids``, looked up through their patients (the audit trail's patient index: a clinic
    has one signing event per signed session, too many to scan for one session)."""
    found: dict[int, keys.SignEvent] = {}
    wanted = set(ids)
    people = sorted(set(patients))
    for start in range(0, len(people), BATCH):
        for eid, entity_id, detail in s.execute(
                select(AuditEvent.id, AuditEvent.entity_id, AuditEvent.detail)
                .where(AuditEvent.patient_id.in_(people[start:start + BATCH]), AuditEvent.action == action,
                       AuditEvent.entity == entity).order_by(AuditEvent.id)):
            if entity_id not in wanted:
                continue
            event = keys.sign_event(eid, detail)
            if event is not None:
                found[entity_id] = event
    return found


def sign_events(s: Session, session_ids: Sequence[int], patients: Sequence[int]) -> dict[int, keys.SignEvent]:
    return _events(s, "sign", "session", session_ids, patients)


def addendum_events(s: Session, addendum_ids: Sequence[int], patients: Sequence[int]) -> dict[int, keys.SignEvent]:
    return _events(s, "addendum", "addendum", addendum_ids, patients)


@dataclass
class PageResult:
    problems: dict[int, str]  # session id -> reason
    hash_only: int  # signed sessions with a hash-only signature (before content version 5)


def check_sessions(s: Session, ids: Sequence[int], index: KeyIndex, *,
                   signed: Mapping[int, keys.SignEvent] | None = None,
                   added: Mapping[int, keys.SignEvent] | None = None) -> PageResult:
    """The signed sessions among ``ids`` (and their addenda) against their signatures and signing events.

    ``signed`` / ``added``: the signing events already read from the whole trail (a full verify, which then also
    requires one for every signature); None: read them here for these ids."""
    full = signed is not None
    rows = s.execute(select(ProcedureSession.id, ProcedureSession.content_sha256, ProcedureSession.content_version,
                            ProcedureSession.signature, ProcedureSession.signed_by_id, ProcedureSession.signed_at,
                            ProcedureSession.patient_id)
                     .where(ProcedureSession.id.in_(list(ids)), ProcedureSession.status == "signed")).all()
    patients = [r[-1] for r in rows]
    events = signed if signed is not None else sign_events(s, [r[0] for r in rows], patients)
    addenda = s.execute(select(Addendum.id, Addendum.session_id, Addendum.content_sha256, Addendum.author_id,
                               Addendum.created_at, Addendum.signature, Addendum.kind)
                        .where(Addendum.session_id.in_([r[0] for r in rows])).order_by(Addendum.id)).all()
    notes = added if added is not None else addendum_events(s, [a[0] for a in addenda], patients)
    return check_rows(rows, addenda, index, events, notes, full=full)


def check_rows(rows: Sequence[Sequence], addenda: Sequence[Sequence], index: KeyIndex,
               events: Mapping[int, keys.SignEvent], notes: Mapping[int, keys.SignEvent], *, full: bool) -> PageResult:
    """:func:`check_sessions` on rows already read: sessions (id, content hash, content version, signature,
    signer, signed at, patient id) and their addenda (id, session id, content hash, author, created at,
    signature, kind) in id order; ``events`` / ``notes``: their signing events (``full``: one is required)."""
    problems: dict[int, str] = {}
    hash_only = 0
    for sid, sha, version, signature, signer, at, _patient in rows:
        version = version or 1
        # Without a signature the payload is never looked at (hash-only, or "missing"): not built for nothing.
        payload = keys.session_payload(sid, version, sha or "", signer or 0, at) if signature else b""
        problem = keys.signature_problem(payload=payload, content_sha256=sha, signature=signature, signer_id=signer,
                                         required=version >= PRINTED_CONTEXT_VERSION, event=events.get(sid),
                                         event_required=full, known=index.known)
        if problem:
            problems[sid] = problem
        elif not signature:
            hash_only += 1
    for aid, sid, sha, author, created, signature, kind in addenda:
        problem = keys.signature_problem(payload=keys.addendum_payload(sid, sha, author, created), content_sha256=sha,
                                         signature=signature, signer_id=author, required=False,
                                         event=notes.get(aid), event_required=full, known=index.known)
        if problem and sid not in problems:
            problems[sid] = f"{kind.replace('_', ' ')} {aid}: {problem}"
    return PageResult(problems, hash_only)
