"""Appending to the hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tpi_notes.db.models import AuditEvent
from tpi_notes.domain.audit import GENESIS_HASH, AuditEntry, chain_hash

# The advisory lock that serialises appends on PostgreSQL (any constant bigint unique to this purpose).
AUDIT_APPEND_LOCK = 0x7470_695F_6175_6474  # "tpi_audt"


def _serialise_appends(s: Session) -> None:
    """Two workstations appending at once would both read the same last hash and fork the chain. SQLite lets
    one writer at a time in; PostgreSQL lets both, so each append waits here until the other's transaction
    ends (the lock is released at commit or rollback); the newest hash is read after it, in a new snapshot."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_APPEND_LOCK})


def last_hash(s: Session) -> str:
    value = s.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return value or GENESIS_HASH


def append(
    s: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None = None,
    patient_id: int | None = None,
    detail: str = "",
    user_id: int | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    _serialise_appends(s)
    entry = AuditEntry(
        at=(at or datetime.now()).replace(microsecond=0),
        actor=actor,
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        patient_id=patient_id,
        detail=detail,
        prev_hash=last_hash(s),
    )
    digest = chain_hash(entry)
    s.add(
        AuditEvent(
            at=entry.at,
            user_id=user_id,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            patient_id=patient_id,
            detail=detail,
            prev_hash=entry.prev_hash,
            hash=digest,
        )
    )
    s.flush()
    return entry
