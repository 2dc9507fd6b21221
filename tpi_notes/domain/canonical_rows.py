"""A signed session's canonical bytes built straight from its stored rows: verify's fast path (issue 19).

``signing.record_content`` builds the content from a SessionRecord and ``signing.canonical_bytes`` then walks it
again to normalise every value. Verify reads every signed session of the clinic, and building records and walking
them twice was most of its time (6× a bare read-and-hash). Here each stored value goes into the same shape once,
normalised as it is placed: a value of a type ``signing._normalise`` keeps as it is (str, int, bool, None) is kept,
any other goes through ``_normalise`` itself, so every leaf is what the record path makes of it, and the structure
(keys, order, which optional parts are present) follows ``record_content`` and ``session_content`` rule for rule.

Rows come as tuples in the column orders below, with the values SQLAlchemy's column types give (datetimes,
booleans, decoded JSON), as ``records_for_checking`` reads them. ``tests/test_canonical_rows.py`` holds the bytes
equal to the record path's for every content version (1, 2, 4, 5, 6), with and without outcomes, e-stim sites,
vials opened, overridden findings and addenda.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from tpi_notes.domain.session import ExamFinding
from tpi_notes.domain.signing import (
    _AS_IS,
    CANONICAL_VERSION,
    OUTCOMES_CONTENT_VERSION,
    SESSION_FIELDS,
    SET_ONLY_SESSION_FIELDS,
    SITE_FIELDS,
    _normalise,
    exam_finding_content,
)

# The session row's columns, in this order: the signed fields in the order of their names (so the dict built from
# them is already sorted), then the content version and the signed context.
SIGNED_FIELDS = tuple(sorted(SESSION_FIELDS + SET_ONLY_SESSION_FIELDS))
SESSION_COLUMNS = SIGNED_FIELDS + ("content_version", "signed_context")
_EXAM = SIGNED_FIELDS.index("exam_findings")
_RISKS = SIGNED_FIELDS.index("consent_risks")
_SET_ONLY = tuple((name, SIGNED_FIELDS.index(name)) for name in SET_ONLY_SESSION_FIELDS)
_VERSION = len(SIGNED_FIELDS)
_FIELDS = dict.fromkeys(SIGNED_FIELDS)
_PLAIN_FIELDS = tuple(name for name in SIGNED_FIELDS if name not in ("exam_findings", "consent_risks"))
_plain = itemgetter(*(SIGNED_FIELDS.index(name) for name in _PLAIN_FIELDS))
# A site row: SITE_FIELDS in the order of their names, "preparation" holding the syringe's label (None: none) and
# the e-stim fields their stored columns (signed only when a frequency is stored).
SITE_COLUMNS = tuple(sorted(SITE_FIELDS))
_ESTIM = ("estim_frequency_hz", "estim_pulse_width_us", "estim_intensity_ma", "estim_minutes", "estim_attended")
_AT = {name: SITE_COLUMNS.index(name) for name in _ESTIM}
_NO_ESTIM = dict.fromkeys(_ESTIM)


def canonical(value: Any) -> Any:
    """``signing._normalise(value)`` with every mapping's keys in sorted order, so that ``json.dumps`` without
    ``sort_keys`` writes what ``canonical_bytes`` writes (sorting each dict while dumping was a third of its time).
    The checks are ``_normalise``'s, in its order."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is dict or (kind is not list and kind is not tuple and not isinstance(value, datetime | date | float)
                        and isinstance(value, Mapping)):
        items = {(k if type(k) is str else str(k)): (v if type(v) in _AS_IS else canonical(v))
                 for k, v in value.items()}
        return {k: items[k] for k in sorted(items)}
    if kind is list or kind is tuple or (not isinstance(value, datetime | date | float)
                                         and isinstance(value, list | tuple)):
        return [v if type(v) in _AS_IS else canonical(v) for v in value]
    return _normalise(value)


def _values(row: Sequence[Any]) -> list[Any]:
    return [v if type(v) in _AS_IS else canonical(v) for v in row]


@dataclass(frozen=True)
class JsonText:
    """A JSON column's text as stored (SQLite hands it over undecoded): decoded here with ``json.loads``, as
    SQLAlchemy's JSON type decodes it, and what is made of it kept by text, so that the signed context every
    session of a patient shares, or the handful of consent-risk lists, is decoded and serialised once."""

    text: str


# A value, or the JsonText of one: the same result; a text seen before costs a dict look-up.
def _exam_findings(value: Any) -> list[Any]:
    return [canonical(exam_finding_content(ExamFinding(**f))) for f in value or ()]


def _list(value: Any) -> list[Any]:
    return _values(value or ())


def _context(value: Any) -> str:
    return _ENCODE(canonical(value or {}))


_CACHE = 4096  # distinct texts kept per kind: a few megabytes
_exam_text = lru_cache(_CACHE)(lambda text: _exam_findings(json.loads(text)))
_list_text = lru_cache(_CACHE)(lambda text: _list(json.loads(text)))
_context_text = lru_cache(_CACHE)(lambda text: _context(json.loads(text)))
# json.dumps(value, ensure_ascii=False, separators=(",", ":")) without a new encoder per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def session_sha256(session: Sequence[Any], diagnoses: Sequence[Sequence[Any]],
                   preparations: Sequence[tuple[Any, Sequence[Sequence[Any]]]], sites: Sequence[Sequence[Any]],
                   findings: Sequence[Sequence[Any]], scales: Sequence[Sequence[Any]],
                   responses: Sequence[Sequence[Any]]) -> str:
    """``signing.record_sha256`` of the session these rows hold (see :func:`session_bytes`)."""
    return hashlib.sha256(session_bytes(session, diagnoses, preparations, sites, findings, scales,
                                        responses)).hexdigest()


def session_bytes(session: Sequence[Any], diagnoses: Sequence[Sequence[Any]],
                  preparations: Sequence[tuple[Any, Sequence[Sequence[Any]]]], sites: Sequence[Sequence[Any]],
                  findings: Sequence[Sequence[Any]], scales: Sequence[Sequence[Any]],
                  responses: Sequence[Sequence[Any]]) -> bytes:
    """``signing.canonical_bytes(record_content(record), version)`` from the rows:

    ``session`` in SESSION_COLUMNS order; ``diagnoses`` (code, display) by position; ``preparations`` (label,
    components) with components (item code, lot number or None, volume, vials opened) by position; ``sites`` in
    SITE_COLUMNS order, by number; ``findings`` (rule code, subject, severity, message, override reason) by id;
    ``scales`` (scale, items, measured at, measured by); ``responses`` (prior session, muscle, side, relief,
    weeks, lasting). JSON columns (exam findings, consent risks, signed context, a scale's items) decoded or as
    :class:`JsonText`.

    Every dict is built with its keys in sorted order (``canonical``), so nothing is sorted while dumping, and the
    payload ``{"canonical_version": …, "content": {…}}`` is written a key at a time, the signed context as the
    text made of it once."""
    version = session[_VERSION] or CANONICAL_VERSION
    fields = _FIELDS.copy()  # every signed field, in sorted order; assigning keeps the order
    fields.update({name: v if type(v) in _AS_IS else round(v, 6) if type(v) is float else _normalise(v)
                   for name, v in zip(_PLAIN_FIELDS, _plain(session), strict=True)})
    exam, risks = session[_EXAM], session[_RISKS]
    fields["exam_findings"] = _exam_text(exam.text) if type(exam) is JsonText else _exam_findings(exam)
    fields["consent_risks"] = _list_text(risks.text) if type(risks) is JsonText else _list(risks)
    for name, at in _SET_ONLY:
        if not session[at]:
            del fields[name]
    parts = ['{"canonical_version":', _ENCODE(version), ',"content":{"diagnoses":',
             _ENCODE([{"code": code, "display": display} for code, display in map(_values, diagnoses)]),
             ',"findings":',
             _ENCODE([{"code": code, "message": message, "override_reason": reason, "severity": severity,
                       "subject": subject}
                      for code, subject, severity, message, reason in map(_values, sorted(
                          findings, key=lambda f: (str(f[0]), str(f[1]))))])]
    if version >= OUTCOMES_CONTENT_VERSION or scales or responses:
        parts += [',"outcomes":', _ENCODE({
            "prior_response": [{"duration_weeks": weeks, "lasting": bool(lasting), "muscle_id": muscle,
                                "prior_session_id": prior, "relief_pct": relief, "side": side}
                               for prior, muscle, side, relief, weeks, lasting in map(_values, sorted(
                                   responses, key=lambda r: (r[0], r[1], r[2])))],
            "scales": [{"items": _list_text(items.text) if type(items) is JsonText else _list(items),
                        "measured_at": canonical(at), "measured_by_id": canonical(by), "scale": canonical(scale)}
                       for scale, items, at, by in sorted(scales, key=lambda x: x[0])],
        })]
    parts += [',"preparations":', _ENCODE([
        {"components": [{"item_code": code, "lot_number": lot, **({"vials_opened": vials} if vials is not None else {}),
                         "volume_ml": volume}
                        for code, lot, volume, vials in (_values((c[0], c[1] or "", c[2], c[3])) for c in components)],
         "label": canonical(label)}
        for label, components in sorted(preparations, key=lambda p: p[0])]), ',"session":', _ENCODE(fields)]
    if version >= 2:
        context = session[_VERSION + 1]
        parts += [',"signed_context":', _context_text(context.text) if type(context) is JsonText else _context(context)]
    parts += [',"sites":', _ENCODE([_site(row) for row in sites]), "}}"]
    return "".join(parts).encode("utf-8")


def _site(row: Sequence[Any]) -> dict[str, Any]:
    """One site as signed: e-stim only when a frequency is stored (as ``session_records._site`` reads it)."""
    site = {name: v if type(v) in _AS_IS else round(v, 6) if type(v) is float else _normalise(v)
            for name, v in zip(SITE_COLUMNS, row, strict=True)}
    frequency = row[_AT["estim_frequency_hz"]]
    if frequency is None:
        site.update(_NO_ESTIM)
    else:
        site.update(estim_frequency_hz=canonical(frequency),
                    estim_pulse_width_us=canonical(row[_AT["estim_pulse_width_us"]] or 0.0),
                    estim_intensity_ma=canonical(row[_AT["estim_intensity_ma"]] or 0.0),
                    estim_minutes=canonical(row[_AT["estim_minutes"]] or 0.0),
                    estim_attended=bool(row[_AT["estim_attended"]]))
    return site
