"""Appending to the hash-chained audit trail."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from tpi_notes.db.models import AuditEvent
from tpi_notes.domain.audit import GENESIS_HASH, AuditEntry, chain_hash

# The advisory lock that serialises appends on PostgreSQL (any constant bigint unique to this purpose).
AUDIT_APPEND_LOCK = 0x7470_695F_6175_6474  # "tpi_audt"

log = logging.getLogger(__name__)


# In a read transaction (ctx.read()) this ``Session.info`` key holds the audit events the read appends: they are
# written when the read ends, in a short write transaction of their own (AppContext.read), so a long audited read
# (an export, verify) never holds the write lock, and the chain head is never read from an old snapshot.
AFTER_READ = "tpi_audit_after_read"


def _serialise_appends(s: Session) -> None:
    """Two workstations appending at once would both read the same last hash and fork the chain. On SQLite a
    write transaction begins IMMEDIATE (db/sqlite_transactions.py): one writer at a time, from its first read
    (any other transaction is a real snapshot, whose write SQLite refuses if the chain moved on). PostgreSQL
    lets both in, so each append waits here until the other's transaction ends (the lock is released at commit
    or rollback); the newest hash is read after it, in a new snapshot (READ COMMITTED)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_APPEND_LOCK})


# Built once: every action appends, and a save is timed against bare sqlite3 writes (issue 19).
_EVENT = AuditEvent.__table__
_LAST_HASH = select(_EVENT.c.hash).order_by(_EVENT.c.id.desc()).limit(1)
_INSERT = insert(_EVENT)


def last_hash(s: Session) -> str:
    value = s.scalar(_LAST_HASH)
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
) -> AuditEntry | None:
    """Append one event to the chain (None: in a read, the event waits for the read's end; see AFTER_READ)."""
    waiting = s.info.get(AFTER_READ)
    if waiting is not None:
        waiting.append({"actor": actor, "action": action, "entity": entity, "entity_id": entity_id,
                        "patient_id": patient_id, "detail": detail, "user_id": user_id, "at": at or datetime.now()})
        return None
    _serialise_appends(s)
    # The app's log (tpi_notes/logs.py) gets the action and ids only: the actor and detail may name people.
    log.info("Audit event: %s %s %s (user id %s, patient id %s)", action, entity, entity_id, user_id, patient_id)
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
    # a plain INSERT (the ORM's unit of work for one row costs more than the row; issue 19)
    s.connection().execute(_INSERT, {
        "at": entry.at, "user_id": user_id, "actor": actor, "action": action, "entity": entity,
        "entity_id": entity_id, "patient_id": patient_id, "detail": detail, "prev_hash": entry.prev_hash,
        "hash": digest})
    return entry
