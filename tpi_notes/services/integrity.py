"""Is the record intact? Signed sessions against their hashes, addenda against theirs, the audit chain.

A hash anyone holding the file can recompute; from content version 5 each signed session and addendum also
carries its signer's Ed25519 signature, checked against the signer's public key (registered in the audit trail)
and against the hash its signing audit event recorded (services/signature_check.py). Sessions signed before
version 5 are "hash-only signature (before v5)": they are held to their hash and, where there is one, to their
signing audit event.

Everything streams in id order, a batch at a time, inside one read transaction (a consistent snapshot),
so checking 100,000 sessions needs the memory of one batch.

The chain alone cannot show that its newest events were deleted, or that it was rewritten with every
later hash recomputed; an anchor kept outside the database can (``chain_head``, ``write_anchor``,
``check_anchor``; domain/audit_anchor.py, docs/audit-anchor.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from tpi_notes import open_databases
from tpi_notes.db import encryption
from tpi_notes.db.models import Addendum, AuditEvent, ClinicSettings, Patient, ProcedureSession
from tpi_notes.db.repositories import audit, session_records, signed_rows, site_counts
from tpi_notes.db.repositories import sessions as session_repo
from tpi_notes.domain import canonical_rows
from tpi_notes.domain.addenda import hash_problem, signed_record_problem
from tpi_notes.domain.audit import GENESIS_HASH, AuditEntry, chain_hash
from tpi_notes.domain.audit_anchor import Anchor, ChainHead, write_anchor_file
from tpi_notes.domain.errors import NotFoundError, TpiError
from tpi_notes.domain.numbers import plural
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.session import SessionRecord
from tpi_notes.domain.signature_keys import SignEvent, sign_event
from tpi_notes.services import clinic_root, signature_check, signed_notes
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
# Migration 0022: a signed session's outcome rows (functional scales, response per muscle) are locked the same way.
OUTCOME_TRIGGERS = tuple(f"trg_{table}_{event}_locked" for table in ("session_scale", "prior_response")
                         for event in ("insert", "update", "delete"))
PG_OUTCOME_TRIGGERS = tuple(f"trg_{table}_{kind}" for table in ("session_scale", "prior_response")
                            for kind in ("locked", "no_truncate"))
# Migration 0005: reference data a signed note used keeps its identity.
REFERENCE_TRIGGERS = ("trg_formulary_item_code_used", "trg_lot_number_used", "trg_formulary_item_delete_used",
                      "trg_lot_delete_used")
# The same locks on PostgreSQL: one trigger per table and kind of statement (0003) and the two of 0005.
PG_LOCK_TRIGGERS = tuple(
    [f"trg_{table}_locked" for table in ("procedure_session", "site", "preparation", "session_diagnosis",
                                          "session_finding", "preparation_component", "addendum", "audit_event")]
    + [f"trg_{table}_no_truncate" for table in ("procedure_session", "site", "preparation", "preparation_component",
                                                "session_diagnosis", "session_finding", "addendum", "audit_event")]
    + ["trg_formulary_item_code_used", "trg_lot_number_used"])
# services.addenda writes "<kind> to session <id>, sha256 …" as the detail of its audit event.
_ADDENDUM_SESSION = re.compile(r"\bto session (\d+)\b")


@dataclass
class VerifyReport:
    sessions_checked: int = 0
    tampered: list[tuple[int, str, str]] = field(default_factory=list)  # (session id, patient MRN, reason)
    audit_events_checked: int = 0
    audit_problems: list[tuple[int, str]] = field(default_factory=list)  # (event id, reason)
    missing_locks: list[str] = field(default_factory=list)  # lock triggers of migration 0003 no longer there
    head: ChainHead | None = None  # the newest event checked (None: the trail is empty)
    key_problems: list[str] = field(default_factory=list)  # stored signing keys the audit trail did not register
    hash_only: int = 0  # intact signed sessions with a hash-only signature (before content version 5)
    # sessions whose kept site count (migration 0025, the history's Sites sort) is not their site rows' number
    miscounted: list[site_counts.CountProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.tampered and not self.audit_problems and not self.missing_locks and not self.key_problems \
            and not self.miscounted


def signature_problem(s: Session, record: SessionRecord) -> str | None:
    """Why a signed session (read in ``s``) no longer matches its signature; None when intact or a draft."""
    if not record.is_signed:
        return None
    problem = signed_record_problem(record, record.content_sha256, session_repo.stored_addenda(s, [record.id]))
    if problem:
        return problem
    return signature_check.check_sessions(s, [record.id], signature_check.key_index(s)).problems.get(record.id)


def session_is_intact(ctx: AppContext, session_id: int) -> bool:
    """A signed session whose content and addenda still match their hashes (a draft is always intact)."""
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        record = session_records.load(s, session_id)
        if record is None:
            raise NotFoundError(f"Session {session_id} does not exist.")
        return signature_problem(s, record) is None


def tampered_session_ids(ctx: AppContext, patient_id: int | None = None) -> set[int]:
    """Ids of the signed sessions (of one patient, or all) that no longer match their signature."""
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        return {sid for sid, _mrn, _reason in _tampered(s, patient_id, None, signature_check.key_index(s))}


def verify_database(ctx: AppContext) -> VerifyReport:
    """Check every signed session and the whole audit chain (read only; see ``record_verification``)."""
    ctx.require(Permission.VERIFY)
    report = VerifyReport()
    with ctx.read() as s:
        claims: dict[str, dict[int, SignEvent]] = {"signed": {}, "added": {}}
        report.audit_problems, signed, added = _check_audit_chain(s, report, claims)
        index = signature_check.key_index(s)
        report.key_problems = index.problems
        # PAdES (issue 14 item 2): the clinic root, signer certificates and signed note PDFs, each held to the
        # SHA-256 its audit event registered (services/clinic_root.py, services/signed_notes.py).
        report.key_problems += clinic_root.certificate_problems(s) + signed_notes.pdf_problems(s)
        report.tampered = _tampered(s, None, report, index, claims)
        report.tampered += _missing_since_audited(s, signed, added)
        report.missing_locks = _missing_locks(s)
        report.miscounted = site_counts.out_of_step(s)
    return report


def record_verification(ctx: AppContext, report: VerifyReport, *, anchors: int = 0, anchor_problems: int = 0) -> None:
    """The audit event saying that the database was verified, and what was found (``anchors``: how many
    anchor files were checked as well, with how many problems)."""
    ctx.require(Permission.VERIFY)
    detail = (f"{plural(report.sessions_checked, 'signed session')}, "
              f"{plural(report.audit_events_checked, 'audit event')}: "
              + ("all intact" if report.ok else
                 f"{len(report.tampered)} tampered sessions, {len(report.audit_problems)} audit problems, "
                 f"{len(report.missing_locks)} missing lock triggers"
                 + (f", {len(report.key_problems)} signing key problems" if report.key_problems else "")
                 + (f", {len(report.miscounted)} site counts out of step" if report.miscounted else "")))
    if anchors:
        detail += (f"; {anchors} anchor{'s' if anchors != 1 else ''}: "
                   + (f"{anchor_problems} problem{'s' if anchor_problems != 1 else ''}" if anchor_problems
                      else "all match"))
    with ctx.transaction() as s:
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="verify", entity="database", detail=detail)


def _tampered(s: Session, patient_id: int | None, report: VerifyReport | None, index: signature_check.KeyIndex,
              claims: dict[str, dict[int, SignEvent]] | None = None) -> list[tuple[int, str, str]]:
    """Signed sessions whose content no longer matches its hash, or whose hash is not the one its signer signed
    (``claims``: the signing events of the whole trail, read by a full verify; None: read per page).

    One streaming pass (db/repositories/signed_rows.py): each page's rows are read in one query a table and
    hashed straight from the rows (domain/canonical_rows.py, the same bytes as the SessionRecord path)."""
    found = []
    for page in signed_rows.pages(s, BATCH, patient_id):
        problems, checked = _page_problems(s, page, index, claims)
        found += [(x.id, x.mrn, problems[x.id]) for x in page.sessions if x.id in problems]
        if report is not None:
            report.sessions_checked += len(page.sessions)
            report.hash_only += checked.hash_only
    return sorted(found)


_COLUMN = {name: i for i, name in enumerate(canonical_rows.SESSION_COLUMNS)}
_SIGNED = tuple(_COLUMN[name] for name in ("content_version", "signed_by_id", "signed_at", "patient_id"))


def _page_problems(s: Session, page: signed_rows.SignedPage, index: signature_check.KeyIndex,
                   claims: dict[str, dict[int, SignEvent]] | None) -> tuple[dict[int, str],
                                                                             signature_check.PageResult]:
    """Why each tampered session of the page is: its content hash first, then its signature."""
    problems: dict[int, str] = {}
    signatures = []
    version, signer, at, patient = _SIGNED
    for x in page.sessions:
        sid, row = x.id, x.row
        computed = "" if not x.content_sha256 else canonical_rows.session_sha256(
            row, page.diagnoses.get(sid, ()), page.preparations.get(sid, ()), page.sites.get(sid, ()),
            page.findings.get(sid, ()), page.scales.get(sid, ()), page.responses.get(sid, ()))
        if problem := hash_problem(x.content_sha256, computed, page.addenda.get(sid, ())):
            problems[sid] = problem
        signatures.append((sid, x.content_sha256, row[version], x.signature, row[signer], row[at], row[patient]))
    addenda = sorted((a.id, a.session_id, a.content_sha256, a.author_id, a.created_at, page.addendum_signatures[a.id],
                      a.kind) for stored in page.addenda.values() for a in stored)
    if claims is not None:
        events, notes = claims["signed"], claims["added"]
    else:
        patients = [r[-1] for r in signatures]
        events = signature_check.sign_events(s, [r[0] for r in signatures], patients)
        notes = signature_check.addendum_events(s, [a[0] for a in addenda], patients)
    checked = signature_check.check_rows(signatures, addenda, index, events, notes, full=claims is not None)
    for sid, reason in checked.problems.items():
        problems.setdefault(sid, reason)
    return problems, checked


def _check_audit_chain(s: Session, report: VerifyReport,
                       claims: dict[str, dict[int, SignEvent]]) -> tuple[list[tuple[int, str]], dict, dict]:
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
                if claim := sign_event(eid, detail):  # the hash (and key) signed, for the signature check
                    claims["signed"][entity_id] = claim
            elif action == "addendum" and entity == "addendum" and entity_id is not None:
                match = _ADDENDUM_SESSION.search(detail)
                added[entity_id] = (eid, patient_id, int(match.group(1)) if match else 0)
                if claim := sign_event(eid, detail):
                    claims["added"][entity_id] = claim
            previous = digest
        report.audit_events_checked += len(rows)
        after = rows[-1][0]
        report.head = ChainHead(after, rows[-1][1], rows[-1][-1])
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
    """Lock triggers someone dropped (migrations 0003 and 0005, each database's own set of names)."""
    dialect = s.get_bind().dialect.name
    if dialect == "sqlite":
        present = set(s.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        return [name for name in LOCK_TRIGGERS + OUTCOME_TRIGGERS + REFERENCE_TRIGGERS if name not in present]
    if dialect == "postgresql":
        present = set(s.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
        return [name for name in PG_LOCK_TRIGGERS + PG_OUTCOME_TRIGGERS if name not in present]
    return []


# -- the anchor: the chain head kept outside the database (docs/audit-anchor.md) ---------------------------

def chain_head(ctx: AppContext) -> ChainHead | None:
    """The newest audit event (id, time, hash) as stored; None while the trail is empty. Read only."""
    ctx.require(Permission.VERIFY)
    with ctx.read() as s:
        return _head(s)


def write_anchor(ctx: AppContext, path: Path | str, *, force: bool = False) -> Anchor:
    """Write the anchor of the current chain head to ``path``, whole or not at all; audited as "verify".

    The anchor names the head *before* its own audit event, so it stays in the trail and a later check
    passes. An existing file is replaced only with ``force``. The file holds no patient data."""
    ctx.require(Permission.VERIFY)
    target = Path(path).expanduser()
    open_databases.refuse_as_target(target)  # never over the database (or its -wal), even with --force
    placed = False
    try:
        with ctx.transaction() as s:
            head = _head(s)
            if head is None:
                raise TpiError("The audit trail is empty: there is no event to anchor yet.")
            anchor = Anchor.of(head, _clinic_name(s), datetime.now().astimezone().replace(microsecond=0))
            audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="verify", entity="audit_anchor",
                         entity_id=head.event_id, detail=f"anchor of the audit chain written to {target}: "
                                                         f"event {head.event_id}, SHA-256 {head.sha256}")
            write_anchor_file(anchor, target, overwrite=force)
            placed = True
    except BaseException:
        if placed:  # the file is there but its audit event is not: take the file back
            target.unlink(missing_ok=True)
        raise
    return anchor


def check_anchor(ctx: AppContext, anchor: Anchor) -> list[str]:
    """What is wrong between the trail and one anchor, in words (empty: the trail still reaches the anchored
    hash at the anchored event). Read only."""
    return check_anchors(ctx, [anchor])[0]


def check_anchors(ctx: AppContext, anchors: Sequence[Anchor]) -> list[list[str]]:
    """``check_anchor`` for several anchors, reading the trail once.

    The chain is recomputed from each event's content (not from the stored hashes) up to the newest
    anchored event: a trail edited with every later hash recomputed reaches another hash, and so does one
    edited without recomputing anything."""
    ctx.require(Permission.VERIFY)
    if not anchors:
        return []
    wanted = {a.event_id for a in anchors}
    found: dict[int, tuple[datetime, str]] = {}
    with ctx.read() as s:
        clinic = _clinic_name(s)
        last = _head(s)
        running, after, until = GENESIS_HASH, 0, max(wanted)
        columns = (AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.user_id, AuditEvent.action,
                   AuditEvent.entity, AuditEvent.entity_id, AuditEvent.patient_id, AuditEvent.detail)
        while rows := s.execute(select(*columns).where(AuditEvent.id > after, AuditEvent.id <= until)
                                .order_by(AuditEvent.id).limit(BATCH)).all():
            for eid, at, actor, user_id, action, entity, entity_id, patient_id, detail in rows:
                running = chain_hash(AuditEntry(at=at, actor=actor, user_id=user_id, action=action, entity=entity,
                                                entity_id=entity_id, patient_id=patient_id, detail=detail,
                                                prev_hash=running))
                if eid in wanted:
                    found[eid] = (at, running)
            after = rows[-1][0]
    return [_anchor_problems(a, found.get(a.event_id), last, clinic) for a in anchors]


def anchor_of_copy(path: Path, taken_at: datetime | None = None) -> Anchor | None:
    """The anchor of a database file that no one else uses (a fresh backup copy), read without migrating
    or changing it; None when its trail is empty. No permission: the caller already made the copy."""
    engine = create_engine(encryption.sqlalchemy_url(path, encryption.key_of(path)))  # a copy is keyed alike
    try:
        with Session(engine) as s:
            head = _head(s)
            clinic = _clinic_name(s)
    finally:
        engine.dispose()
    if head is None:
        return None
    return Anchor.of(head, clinic, taken_at or datetime.now().astimezone().replace(microsecond=0))


def _head(s: Session) -> ChainHead | None:
    row = s.execute(select(AuditEvent.id, AuditEvent.at, AuditEvent.hash).order_by(AuditEvent.id.desc())
                    .limit(1)).first()
    return ChainHead(row[0], row[1], row[2]) if row else None


def _clinic_name(s: Session) -> str:
    return s.scalar(select(ClinicSettings.name).where(ClinicSettings.id == 1)) or ""


def _anchor_problems(anchor: Anchor, found: tuple[datetime, str] | None, last: ChainHead | None,
                     clinic: str) -> list[str]:
    n = anchor.event_id
    written = _when(anchor.event_at)
    if found is None:
        if last is None:
            return [f"event {n} of the anchor is missing: the audit trail is empty (it was cut back to nothing; "
                    f"the anchored event was written {written})"]
        if last.event_id < n:
            return [f"event {n} of the anchor is missing: the audit trail was cut back to before {written} "
                    f"(it now ends at event {last.event_id} of {_when(last.at)})"]
        return [f"event {n} of the anchor is missing although later events exist: it was deleted from the trail "
                f"(it was written {written})"]
    at, recomputed = found
    if recomputed == anchor.sha256:
        return []
    notes = [f"recomputed SHA-256 {recomputed[:16]}…, anchored {anchor.sha256[:16]}…"]
    if at != anchor.event_at:
        notes.append(f"the event is now dated {_when(at)}, the anchor says {written}: the trail may have been "
                     "cut back and written again")
    if anchor.clinic != clinic:
        notes.append(f"the anchor was taken for clinic {anchor.clinic!r}, this database is {clinic!r}: "
                     "is it the right anchor?")
    return [f"event {n} no longer has the anchored hash: the trail was rewritten ({'; '.join(notes)})"]


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")
