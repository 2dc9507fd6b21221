"""Appending to the hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tpi_notes.db.models import AuditEvent
from tpi_notes.domain.audit import GENESIS_HASH, AuditEntry, chain_hash


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
