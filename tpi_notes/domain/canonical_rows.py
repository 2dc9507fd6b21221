"""A signed session's canonical bytes built straight from its stored rows: verify's fast path (issue 19).

``signing.record_content`` builds the content from a SessionRecord and ``signing.canonical_bytes`` then walks it
again to normalise every value. Verify reads every signed session of the clinic, and building records and walking
them twice was most of its time (6× a bare read-and-hash). Here each stored value goes into the same shape once,
normalised as it is placed: a value of a type ``signing._normalise`` keeps as it is (str, int, bool, None) is kept,
any other goes through ``_normalise`` itself, so every leaf is what the record path makes of it, and the structure
(keys, order, which optional parts are present) follows ``record_content`` and ``session_content`` rule for rule.

Rows come as sequences in the column orders below, with the values SQLAlchemy's column types give (datetimes,
booleans, decoded JSON, or a JSON column's stored text as :class:`JsonText`), as ``records_for_checking`` reads
them (db/repositories/signed_rows.py). ``tests/test_canonical_rows.py`` holds the bytes equal to the record path's
on every signed session of a clinic with content versions 1, 2, 4, 5 and 6, with and without outcomes and signed
context, e-stim sites, vials opened, overridden findings, microseconds and long floats, JSON as text and decoded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
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

# Dicts are made by copying a template that holds every key in sorted order and assigning the values (which keeps
# the order): no sorting while dumping. The values are placed with C-level zips; a part whose values are all of the
# types _normalise keeps as they are (checked at C speed too) needs nothing more, any other value is normalised.
_TIMES = ("performed_start", "performed_end", "timeout_at", "signed_at")  # datetimes: normalised one by one
_JSON_FIELDS = ("consent_risks", "exam_findings")
SIGNED_FIELDS = tuple(sorted(SESSION_FIELDS + SET_ONLY_SESSION_FIELDS))
_PLAIN_FIELDS = tuple(name for name in SIGNED_FIELDS if name not in _TIMES + _JSON_FIELDS)
# The session row's columns, in this order; the content version and the signed context last.
SESSION_COLUMNS = _PLAIN_FIELDS + _TIMES + _JSON_FIELDS + ("content_version", "signed_context")
_N_PLAIN = len(_PLAIN_FIELDS)
_N_TIMED = _N_PLAIN + len(_TIMES)
_RISKS, _EXAM, _VERSION = (SESSION_COLUMNS.index(name) for name in ("consent_risks", "exam_findings", "content_version"))
_SET_ONLY = tuple((name, SESSION_COLUMNS.index(name)) for name in SET_ONLY_SESSION_FIELDS)
_FIELDS = dict.fromkeys(SIGNED_FIELDS)
# A site row: the plain fields ("preparation" holding the syringe's label, None: none), the floats, then the e-stim
# fields' stored columns (signed only when a frequency is stored).
_ESTIM = ("estim_frequency_hz", "estim_pulse_width_us", "estim_intensity_ma", "estim_minutes", "estim_attended")
_FLOATS = ("x", "y", "volume_ml", "dwell_minutes")
_SITE_PLAIN = tuple(sorted(set(SITE_FIELDS) - set(_FLOATS) - set(_ESTIM)))
SITE_COLUMNS = _SITE_PLAIN + _FLOATS + _ESTIM
_N_SITE = len(_SITE_PLAIN)
_N_FLOAT = _N_SITE + len(_FLOATS)
_SITE = dict.fromkeys(sorted(SITE_FIELDS))
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
# json.dumps(value, ensure_ascii=False, separators=(",", ":")) without a new encoder per call, and without
# checking for circular references (rows make none; the output is the same).
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


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
    plain = session[:_N_PLAIN]
    fields.update(zip(_PLAIN_FIELDS, plain, strict=True))
    if not _AS_IS.issuperset(map(type, plain)):
        fields.update({name: v if type(v) in _AS_IS else _normalise(v) for name, v in zip(_PLAIN_FIELDS, plain, strict=True)})
    fields.update({name: v if type(v) in _AS_IS else _normalise(v)
                   for name, v in zip(_TIMES, session[_N_PLAIN:_N_TIMED], strict=True)})
    exam, risks = session[_EXAM], session[_RISKS]
    fields["exam_findings"] = _exam_text(exam.text) if type(exam) is JsonText else _exam_findings(exam)
    fields["consent_risks"] = _list_text(risks.text) if type(risks) is JsonText else _list(risks)
    for name, at in _SET_ONLY:
        if not session[at]:
            del fields[name]
    content: dict[str, Any] = {
        "diagnoses": [{"code": code, "display": display} for code, display in map(_values, diagnoses)],
        "findings": [{"code": code, "message": message, "override_reason": reason, "severity": severity,
                      "subject": subject}
                     for code, subject, severity, message, reason in map(_values, sorted(
                         findings, key=lambda f: (str(f[0]), str(f[1]))))],
    }
    if version >= OUTCOMES_CONTENT_VERSION or scales or responses:
        content["outcomes"] = {
            "prior_response": [{"duration_weeks": weeks, "lasting": bool(lasting), "muscle_id": muscle,
                                "prior_session_id": prior, "relief_pct": relief, "side": side}
                               for prior, muscle, side, relief, weeks, lasting in map(_values, sorted(
                                   responses, key=lambda r: (r[0], r[1], r[2])))],
            "scales": [{"items": _list_text(items.text) if type(items) is JsonText else _list(items),
                        "measured_at": canonical(at), "measured_by_id": canonical(by), "scale": canonical(scale)}
                       for scale, items, at, by in sorted(scales, key=lambda x: x[0])],
        }
    content["preparations"] = [
        {"components": [{"item_code": code, "lot_number": lot, **({"vials_opened": vials} if vials is not None else {}),
                         "volume_ml": volume}
                        for code, lot, volume, vials in (_values((c[0], c[1] or "", c[2], c[3])) for c in components)],
         "label": canonical(label)}
        for label, components in sorted(preparations, key=lambda p: p[0])]
    content["session"] = fields
    # '{"canonical_version":V,"content":{…,"session":{…}}}' without its last two braces, then the keys that sort
    # after "session": the signed context (its text, made once) and the sites.
    head = _ENCODE({"canonical_version": version, "content": content})[:-2]
    sites_text = _ENCODE([_site(row) for row in sites])
    if version >= 2:
        context = session[_VERSION + 1]
        context_text = _context_text(context.text) if type(context) is JsonText else _context(context)
        return f'{head},"signed_context":{context_text},"sites":{sites_text}}}}}'.encode()
    return f'{head},"sites":{sites_text}}}}}'.encode()


def _site(row: Sequence[Any]) -> dict[str, Any]:
    """One site as signed: e-stim only when a frequency is stored (as ``session_records._site`` reads it)."""
    site = _SITE.copy()
    plain = row[:_N_SITE]
    site.update(zip(_SITE_PLAIN, plain, strict=True))
    if not _AS_IS.issuperset(map(type, plain)):
        site.update({name: v if type(v) in _AS_IS else _normalise(v) for name, v in zip(_SITE_PLAIN, plain, strict=True)})
    site.update({name: v if type(v) in _AS_IS else round(v, 6) if type(v) is float else _normalise(v)
                 for name, v in zip(_FLOATS, row[_N_SITE:_N_FLOAT], strict=True)})
    frequency, width, intensity, minutes, attended = row[_N_FLOAT:]
    if frequency is None:
        site.update(_NO_ESTIM)
    else:
        site.update(estim_frequency_hz=canonical(frequency), estim_pulse_width_us=canonical(width or 0.0),
                    estim_intensity_ma=canonical(intensity or 0.0), estim_minutes=canonical(minutes or 0.0),
                    estim_attended=bool(attended))
    return site
