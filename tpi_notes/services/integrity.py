"""Is the record intact? Signed sessions against their hashes, addenda against theirs, the audit chain.

Everything streams in id order, a batch at a time, inside one read transaction (a consistent snapshot),
so checking 100,000 sessions needs the memory of one batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tpi_notes.db.models import Addendum, AuditEvent, Patient, ProcedureSession
from tpi_notes.db.repositories import audit, session_records
from tpi_notes.db.repositories import sessions as session_repo
from tpi_notes.domain.addenda import signed_record_problem
from tpi_notes.domain.audit import GENESIS_HASH, AuditEntry, chain_hash
from tpi_notes.domain.errors import NotFoundError
from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext

BATCH = session_repo.BATCH
# The SQLite triggers of migration 0003 (tests hold this list equal to the migration's).
LOCK_TRIGGERS = tuple(
    ["trg_procedure_session_insert_signed", "trg_procedure_session_update_locked",
     "trg_procedure_session_delete_locked"]
    + [f"trg_{table}_{event}_locked" for table in ("site", "preparation", "session_diagnosis", "session_finding",
                                                  "preparation_component") for event in ("insert", "update", "delete")]
    + ["trg_addendum_insert_unsigned", "trg_addendum_update_locked", "trg_addendum_delete_locked",
       "trg_audit_event_update_locked", "trg_audit_event_delete_locked"])
# Migration 0005: reference data a signed note used keeps its identity.
REFERENCE_TRIGGERS = ("trg_formulary_item_code_used", "trg_lot_number_used", "trg_formulary_item_delete_used",
                      "trg_lot_delete_used")
# services.addenda writes "<kind> to session <id>, sha256 …" as the detail of its audit event.
_ADDENDUM_SESSION = re.compile(r"\bto session (\d+)\b")


@dataclass
class VerifyReport:
    sessions_checked: int = 0
    tampered: list[tuple[int, str, str]] = field(default_factory=list)  # (session id, patient MRN, reason)
    audit_events_checked: int = 0
    audit_problems: list[tuple[int, str]] = field(default_factory=list)  # (event id, reason)
    missing_locks: list[str] = field(default_factory=list)  # lock triggers of migration 0003 no longer there

    @property
    def ok(self) -> bool:
        return not self.tampered and not self.audit_problems and not self.missing_locks


def session_is_intact(ctx: AppContext, session_id: int) -> bool:
    """A signed session whose content and addenda still match their hashes (a draft is always intact)."""
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.transaction() as s:
        record = session_records.load(s, session_id)
        if record is None:
            raise NotFoundError(f"Session {session_id} does not exist.")
        if record.status != "signed":
            return True
        addenda = session_repo.stored_addenda(s, [session_id])
        return signed_record_problem(record, record.content_sha256, addenda) is None


def tampered_session_ids(ctx: AppContext, patient_id: int | None = None) -> set[int]:
    """Ids of the signed sessions (of one patient, or all) that no longer match their signature."""
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.transaction() as s:
        return {sid for sid, _mrn, _reason in _tampered(s, patient_id, None)}


def verify_database(ctx: AppContext) -> VerifyReport:
    """Check every signed session and the whole audit chain (read only; see ``record_verification``)."""
    ctx.require(Permission.VERIFY)
    report = VerifyReport()
    with ctx.transaction() as s:
        report.tampered = _tampered(s, None, report)
        report.audit_problems, signed, added = _check_audit_chain(s, report)
        report.tampered += _missing_since_audited(s, signed, added)
        report.missing_locks = _missing_locks(s)
    return report


def record_verification(ctx: AppContext, report: VerifyReport) -> None:
    """The audit event saying that the database was verified, and what was found."""
    ctx.require(Permission.VERIFY)
    detail = (f"{report.sessions_checked} signed sessions, {report.audit_events_checked} audit events: "
              + ("all intact" if report.ok else
                 f"{len(report.tampered)} tampered sessions, {len(report.audit_problems)} audit problems, "
                 f"{len(report.missing_locks)} missing lock triggers"))
    with ctx.transaction() as s:
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="verify", entity="database", detail=detail)


def _tampered(s: Session, patient_id: int | None, report: VerifyReport | None) -> list[tuple[int, str, str]]:
    found = []
    after = 0
    while page := session_repo.signed_page(s, after, BATCH, patient_id):
        mrns = dict(page)
        for sid, reason in session_repo.tampered_among(s, list(mrns)).items():
            found.append((sid, mrns[sid], reason))
        if report is not None:
            report.sessions_checked += len(page)
        after = page[-1][0]
    return sorted(found)


def _check_audit_chain(s: Session, report: VerifyReport) -> tuple[list[tuple[int, str]], dict, dict]:
    """Recompute every event's hash and its link to the one before, in id order.

    Also collects what the trail says was signed (session id → (event id, patient id)) and added
    (addendum id → (event id, patient id, session id)), so that a signed session or an addendum
    deleted since can be named.
    """
    problems: list[tuple[int, str]] = []
    signed: dict[int, tuple[int, int | None]] = {}
    added: dict[int, tuple[int, int | None, int]] = {}
    previous = GENESIS_HASH
    after = 0
    columns = (AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.user_id, AuditEvent.action,
               AuditEvent.entity, AuditEvent.entity_id, AuditEvent.patient_id, AuditEvent.detail,
               AuditEvent.prev_hash, AuditEvent.hash)
    while rows := s.execute(select(*columns).where(AuditEvent.id > after).order_by(AuditEvent.id)
                            .limit(BATCH)).all():
        for (eid, at, actor, user_id, action, entity, entity_id, patient_id, detail, prev_hash, digest) in rows:
            entry = AuditEntry(at=at, actor=actor, user_id=user_id, action=action, entity=entity,
                               entity_id=entity_id, patient_id=patient_id, detail=detail, prev_hash=prev_hash)
            if prev_hash != previous:
                problems.append((eid, "does not link to the event before it (an event was deleted or changed)"))
            if chain_hash(entry) != digest:
                problems.append((eid, "its content does not match its hash (the event was changed)"))
            if action == "sign" and entity == "session" and entity_id is not None:
                signed[entity_id] = (eid, patient_id)
            elif action == "addendum" and entity == "addendum" and entity_id is not None:
                match = _ADDENDUM_SESSION.search(detail)
                added[entity_id] = (eid, patient_id, int(match.group(1)) if match else 0)
            previous = digest
        report.audit_events_checked += len(rows)
        after = rows[-1][0]
    return problems, signed, added


def _present(s: Session, column: Any, ids: list[int], *where: Any) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(ids), BATCH):
        found.update(s.scalars(select(column).where(column.in_(ids[start:start + BATCH]), *where)))
    return found


def _missing_since_audited(s: Session, signed: dict[int, tuple[int, int | None]],
                           added: dict[int, tuple[int, int | None, int]]) -> list[tuple[int, str, str]]:
    """Signed sessions and addenda the audit trail records but the database no longer holds."""
    mrns: dict[int | None, str] = {}

    def mrn(patient_id: int | None) -> str:
        if patient_id not in mrns:
            mrns[patient_id] = (s.scalar(select(Patient.mrn).where(Patient.id == patient_id)) if patient_id
                                else None) or "?"
        return mrns[patient_id]

    problems = []
    still_signed = _present(s, ProcedureSession.id, sorted(signed), ProcedureSession.status == "signed")
    for sid in sorted(set(signed) - still_signed):
        event, patient_id = signed[sid]
        problems.append((sid, mrn(patient_id), f"signed (audit event {event}) but no longer signed in the database"))
    present = _present(s, Addendum.id, sorted(added))
    for aid in sorted(set(added) - present):
        event, patient_id, sid = added[aid]
        problems.append((sid, mrn(patient_id), f"addendum {aid} (audit event {event}) is missing"))
    return problems


def _missing_locks(s: Session) -> list[str]:
    """Lock triggers someone dropped (SQLite; on PostgreSQL only a superuser or the owner can)."""
    if s.get_bind().dialect.name != "sqlite":
        return []
    present = set(s.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    return [name for name in LOCK_TRIGGERS + REFERENCE_TRIGGERS if name not in present]
