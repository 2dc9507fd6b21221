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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Text, bindparam, select, type_coerce
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
_PREPARATION = Preparation.__table__
# SITE_COLUMNS, the syringe's label joined where it goes: the label of the session's own syringe of that id (what
# session_records gives a site: the labels of the session's syringes by id), None without one.
_SITE_ROW = tuple(_SITE[name] if name != "preparation" else _PREPARATION.c.label for name in SITE_COLUMNS)
_SITE_PREPARATION = Site.__table__.outerjoin(_PREPARATION, (_PREPARATION.c.id == _SITE.preparation_id)
                                             & (_PREPARATION.c.session_id == _SITE.session_id))
_SESSION_ID = itemgetter(0)


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


class _Rows:
    """Runs a page's statements. On SQLite each one is compiled once and run on the DB-API connection of the same
    transaction, each column given its SQLAlchemy type's own result processor (booleans, datetimes): the values
    of ``conn.execute``, without building a Row per row. Elsewhere (PostgreSQL) through ``conn.execute``."""

    def __init__(self, conn: Any, raw: bool) -> None:
        self.conn, self.raw = conn, raw
        self.compiled: dict[int, tuple[Any, str, list[tuple[int, Any]]]] = {}

    def __call__(self, statement: Any, **params: Any) -> Sequence[Sequence[Any]]:
        if not self.raw:
            return self.conn.execute(statement, params).all()
        if (done := self.compiled.get(id(statement))) is None:
            dialect = self.conn.dialect
            compiled = statement.compile(dialect=dialect)
            processors = [(i, p) for i, column in enumerate(statement.selected_columns)
                          if (p := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None]
            done = self.compiled[id(statement)] = (compiled, str(compiled), processors)
        compiled, sql, processors = done
        values = compiled.construct_params(params)
        rows = self.conn.connection.driver_connection.execute(sql, [values[n] for n in compiled.positiontup]).fetchall()
        if not processors:
            return rows
        if not rows:
            return rows
        # A column at a time: each processor mapped over its column at C speed, the rows zipped back (tuples).
        columns: list[Iterable[Any]] = list(zip(*rows, strict=True))
        for i, process in processors:
            columns[i] = map(process, columns[i])
        return list(zip(*columns, strict=True))


def pages(s: Session, batch: int, patient_id: int | None = None) -> Iterator[SignedPage]:
    """The signed sessions (of one patient, or all) in id order, ``batch`` sessions read per page."""
    conn = s.connection()
    text_json = conn.dialect.name == "sqlite"  # SQLite hands JSON over as text: canonical_rows decodes it once a text
    query = (select(*_HEAD, *(type_coerce(_S[name], Text) if text_json and name in _JSON else _S[name]
                              for name in SESSION_COLUMNS))
             .join(Patient, Patient.id == _S.patient_id).where(_S.id > bindparam("after")).order_by(_S.id).limit(batch))
    if patient_id is not None:  # a page or two: the statements as they come
        query = query.where(_S.patient_id == patient_id)
    run = _Rows(conn, text_json and patient_id is None)
    children = _Children(text_json, patient_id is None)
    after = 0
    while rows := conn.execute(query, {"after": after}).all():  # seen by the engine's events (a test reads its plan)
        first, after = after, rows[-1][0]
        signed = [SignedSession(r[0], r[2], r[3], r[4], _as_json(r[5:]) if text_json else tuple(r[5:]))
                  for r in rows if r[1] == "signed"]
        if signed:
            params = {"low": first, "high": after} if patient_id is None else {"ids": [x.id for x in signed]}
            yield children.read(run, SignedPage(signed), params)


def _as_json(row: Sequence[Any]) -> tuple[Any, ...]:
    values = list(row)
    for at in _JSON_AT:
        if type(values[at]) is str:
            values[at] = JsonText(values[at])
    return tuple(values)


class _Children:
    """The statements of a page's child rows, built once: by the page's id range (``low`` < id <= ``high``), or
    by its ids for one patient's sessions."""

    def __init__(self, text_json: bool, by_range: bool) -> None:
        def where(column: Any) -> ColumnElement[bool]:
            if by_range:
                return (column > bindparam("low")) & (column <= bindparam("high"))
            return column.in_(bindparam("ids", expanding=True))

        self.components = (
            select(Preparation.session_id, PreparationComponent.preparation_id, FormularyItem.code, Lot.lot_number,
                   PreparationComponent.volume_ml, PreparationComponent.vials_opened)
            .join(Preparation, Preparation.id == PreparationComponent.preparation_id)
            .join(FormularyItem, FormularyItem.id == PreparationComponent.item_id)
            .outerjoin(Lot, Lot.id == PreparationComponent.lot_id)
            .where(where(Preparation.session_id))
            .order_by(PreparationComponent.preparation_id, PreparationComponent.position))
        self.preparations = (select(Preparation.id, Preparation.session_id, Preparation.label)
                             .where(where(Preparation.session_id)).order_by(Preparation.session_id, Preparation.label))
        self.sites = (select(_SITE.session_id, *_SITE_ROW).select_from(_SITE_PREPARATION)
                      .where(where(_SITE.session_id)).order_by(_SITE.session_id, _SITE.number))
        self.diagnoses = (select(SessionDiagnosis.session_id, SessionDiagnosis.code, SessionDiagnosis.display)
                          .where(where(SessionDiagnosis.session_id))
                          .order_by(SessionDiagnosis.session_id, SessionDiagnosis.position))
        self.findings = (select(SessionFinding.session_id, SessionFinding.rule_code, SessionFinding.subject,
                                SessionFinding.severity, SessionFinding.message, SessionFinding.override_reason)
                         .where(where(SessionFinding.session_id)).order_by(SessionFinding.session_id, SessionFinding.id))
        self.text_json = text_json
        self.scales = (select(SessionScale.session_id, SessionScale.scale,
                              type_coerce(SessionScale.items, Text) if text_json else SessionScale.items,
                              SessionScale.measured_at, SessionScale.measured_by_id)
                       .where(where(SessionScale.session_id)).order_by(SessionScale.session_id, SessionScale.scale))
        self.responses = (select(ResponseRow.session_id, ResponseRow.prior_session_id, ResponseRow.muscle_id,
                                 ResponseRow.side, ResponseRow.relief_pct, ResponseRow.duration_weeks,
                                 ResponseRow.lasting)
                          .where(where(ResponseRow.session_id)))
        self.addenda = (select(Addendum.id, Addendum.session_id, Addendum.kind, Addendum.text, Addendum.author_id,
                               Addendum.created_at, Addendum.content_sha256, Addendum.signature)
                        .where(where(Addendum.session_id)).order_by(Addendum.created_at, Addendum.id))

    def read(self, run: _Rows, page: SignedPage, params: dict[str, Any]) -> SignedPage:
        wanted = {x.id for x in page.sessions}
        components: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for sid, pid, code, lot, volume, vials in run(self.components, **params):
            if sid in wanted:
                components[pid].append((code, lot, volume, vials))
        for pid, sid, label in run(self.preparations, **params):
            if sid in wanted:
                page.preparations[sid].append((label, components[pid]))
        _group(run(self.sites, **params), page.sites, wanted)
        _group(run(self.diagnoses, **params), page.diagnoses, wanted)
        _group(run(self.findings, **params), page.findings, wanted)
        _group(run(self.responses, **params), page.responses, wanted)
        for sid, scale, items, at, by in run(self.scales, **params):
            if sid in wanted:
                page.scales[sid].append((scale, JsonText(items) if self.text_json and type(items) is str else items,
                                         at, by))
        for aid, sid, kind, text, author, created, sha, signature in run(self.addenda, **params):
            if sid in wanted:
                page.addenda[sid].append(StoredAddendum(aid, sid, kind, text, author, created, sha))
                page.addendum_signatures[aid] = signature
        return page


def _group(rows: Sequence[Sequence[Any]], into: dict[int, list[Any]], wanted: set[int]) -> None:
    """Each row without its leading session id, under that id (rows come by session: one look-up a run)."""
    for sid, run in groupby(rows, _SESSION_ID):
        if sid in wanted:
            into[sid].extend([row[1:] for row in run])
