"""Signed sessions read back as plain rows, a page at a time, for ``verify`` (services/integrity.py).

One keyset pass along the primary key: each page is the next ``batch`` sessions after the last id (drafts dropped
here; asking for ``status = 'signed'`` would let SQLite take the status index and sort every session after the
page, for every page). A page's child rows come in one query a table, by the page's id range (or its ids, for one
patient's sessions), as tuples in the column orders of domain/canonical_rows.py: no ORM objects, no
SessionRecords. The values are those of the columns' SQLAlchemy types, as ``sessions.records_for_checking`` reads
them, so the canonical bytes are the record path's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Text, select, type_coerce
from sqlalchemy.orm import Session

from tpi_notes.db.models import (
    Addendum,
    FormularyItem,
    Lot,
    Patient,
    Preparation,
    PreparationComponent,
    ProcedureSession,
    SessionDiagnosis,
    SessionFinding,
    SessionScale,
    Site,
)
from tpi_notes.db.models import PriorResponse as ResponseRow
from tpi_notes.domain.addenda import StoredAddendum
from tpi_notes.domain.canonical_rows import SESSION_COLUMNS, SITE_COLUMNS, JsonText

_S = ProcedureSession.__table__.c
# id, status, MRN, stored hash, signature, then the canonical session columns.
_HEAD = (_S.id, _S.status, Patient.mrn, _S.content_sha256, _S.signature)
_SITE = Site.__table__.c
_JSON = ("exam_findings", "consent_risks", "signed_context")
_JSON_AT = tuple(SESSION_COLUMNS.index(name) for name in _JSON)
# SITE_COLUMNS with the syringe's id where its label goes.
_SITE_ROW = tuple(_SITE[name if name != "preparation" else "preparation_id"] for name in SITE_COLUMNS)
_LABEL = SITE_COLUMNS.index("preparation")


@dataclass
class SignedSession:
    id: int
    mrn: str
    content_sha256: str | None
    signature: str | None
    row: tuple[Any, ...]  # SESSION_COLUMNS


@dataclass
class SignedPage:
    """The signed sessions of one page and their child rows by session id (canonical_rows' tuple shapes)."""

    sessions: list[SignedSession]
    diagnoses: dict[int, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    preparations: dict[int, list[tuple[Any, list[tuple[Any, ...]]]]] = field(default_factory=lambda: defaultdict(list))
    sites: dict[int, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    findings: dict[int, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    scales: dict[int, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    responses: dict[int, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    addenda: dict[int, list[StoredAddendum]] = field(default_factory=lambda: defaultdict(list))
    addendum_signatures: dict[int, str | None] = field(default_factory=dict)  # addendum id -> signature


def pages(s: Session, batch: int, patient_id: int | None = None) -> Iterator[SignedPage]:
    """The signed sessions (of one patient, or all) in id order, ``batch`` sessions read per page."""
    conn = s.connection()
    raw = conn.dialect.name == "sqlite"  # SQLite hands JSON over as text: canonical_rows decodes it once per text
    query = (select(*_HEAD, *(type_coerce(_S[name], Text) if raw and name in _JSON else _S[name]
                              for name in SESSION_COLUMNS))
             .join(Patient, Patient.id == _S.patient_id).order_by(_S.id).limit(batch))
    if patient_id is not None:
        query = query.where(_S.patient_id == patient_id)
    after = 0
    while rows := conn.execute(query.where(_S.id > after)).all():
        first, after = after, rows[-1][0]
        signed = [SignedSession(r[0], r[2], r[3], r[4], _as_json(r[5:]) if raw else tuple(r[5:]))
                  for r in rows if r[1] == "signed"]
        if not signed:
            continue
        if patient_id is None:
            def where(column: Any, low: int = first, high: int = after) -> ColumnElement[bool]:
                return (column > low) & (column <= high)
        else:
            ids = [x.id for x in signed]

            def where(column: Any, ids: Sequence[int] = ids) -> ColumnElement[bool]:
                return column.in_(ids)
        yield _children(s, SignedPage(signed), where, raw)


def _as_json(row: Sequence[Any]) -> tuple[Any, ...]:
    values = list(row)
    for at in _JSON_AT:
        if type(values[at]) is str:
            values[at] = JsonText(values[at])
    return tuple(values)


def _children(s: Session, page: SignedPage, where: Callable[[Any], ColumnElement[bool]], raw: bool) -> SignedPage:
    conn = s.connection()
    wanted = {x.id for x in page.sessions}
    labels: dict[int, str] = {}
    components: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for sid, pid, code, lot, volume, vials in conn.execute(
            select(Preparation.session_id, PreparationComponent.preparation_id, FormularyItem.code, Lot.lot_number,
                   PreparationComponent.volume_ml, PreparationComponent.vials_opened)
            .join(Preparation, Preparation.id == PreparationComponent.preparation_id)
            .join(FormularyItem, FormularyItem.id == PreparationComponent.item_id)
            .outerjoin(Lot, Lot.id == PreparationComponent.lot_id)
            .where(where(Preparation.session_id))
            .order_by(PreparationComponent.preparation_id, PreparationComponent.position)).all():
        if sid in wanted:
            components[pid].append((code, lot, volume, vials))
    for pid, sid, label in conn.execute(select(Preparation.id, Preparation.session_id, Preparation.label)
                                        .where(where(Preparation.session_id))
                                        .order_by(Preparation.session_id, Preparation.label)):
        if sid in wanted:
            labels[pid] = label
            page.preparations[sid].append((label, components[pid]))
    for sid, *row in conn.execute(select(_SITE.session_id, *_SITE_ROW).where(where(_SITE.session_id))
                                  .order_by(_SITE.session_id, _SITE.number)).all():
        if sid in wanted:
            pid = row[_LABEL]
            row[_LABEL] = labels.get(pid) if pid else None
            page.sites[sid].append(row)
    _group(conn, page.diagnoses, wanted,
           select(SessionDiagnosis.session_id, SessionDiagnosis.code, SessionDiagnosis.display)
           .where(where(SessionDiagnosis.session_id)).order_by(SessionDiagnosis.session_id, SessionDiagnosis.position))
    _group(conn, page.findings, wanted,
           select(SessionFinding.session_id, SessionFinding.rule_code, SessionFinding.subject, SessionFinding.severity,
                  SessionFinding.message, SessionFinding.override_reason)
           .where(where(SessionFinding.session_id)).order_by(SessionFinding.session_id, SessionFinding.id))
    for sid, scale, items, at, by in conn.execute(
            select(SessionScale.session_id, SessionScale.scale,
                   type_coerce(SessionScale.items, Text) if raw else SessionScale.items, SessionScale.measured_at,
                   SessionScale.measured_by_id)
            .where(where(SessionScale.session_id)).order_by(SessionScale.session_id, SessionScale.scale)).all():
        if sid in wanted:
            page.scales[sid].append((scale, JsonText(items) if raw and type(items) is str else items, at, by))
    _group(conn, page.responses, wanted,
           select(ResponseRow.session_id, ResponseRow.prior_session_id, ResponseRow.muscle_id, ResponseRow.side,
                  ResponseRow.relief_pct, ResponseRow.duration_weeks, ResponseRow.lasting)
           .where(where(ResponseRow.session_id)))
    for aid, sid, kind, text, author, created, sha, signature in conn.execute(
            select(Addendum.id, Addendum.session_id, Addendum.kind, Addendum.text, Addendum.author_id,
                   Addendum.created_at, Addendum.content_sha256, Addendum.signature)
            .where(where(Addendum.session_id)).order_by(Addendum.created_at, Addendum.id)).all():
        if sid in wanted:
            page.addenda[sid].append(StoredAddendum(aid, sid, kind, text, author, created, sha))
            page.addendum_signatures[aid] = signature
    return page


def _group(conn: Any, into: dict[int, list[Any]], wanted: set[int], query: Any) -> None:
    for sid, *row in conn.execute(query).all():
        if sid in wanted:
            into[sid].append(row)
