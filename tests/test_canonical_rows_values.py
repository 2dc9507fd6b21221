"""Whatever a stored cell holds, verify's writer (domain/canonical_rows.py) gives the bytes the record path gives.

canonical_rows writes the JSON text itself, one encoding per column type, and hands any value of another type to
the record path's own normaliser: a slip there (a float not rounded, a quote or control character not escaped, None
written for "", a bool for 1) would make intact notes read as tampered, or a changed one pass. Hypothesis builds
rows of every shape (content versions 1 to 6, e-stim or not, vials or not, outcomes or none) out of odd values,
and each must come out as ``signing.canonical_bytes(session_content(…))``, the record path's definition, built
here from the same values by ``record_content``'s rules. (tests/test_canonical_rows.py holds the two paths equal
through the database on a whole clinic; this one covers the values a clinic rarely holds.)"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tpi_notes.domain import canonical_rows
from tpi_notes.domain.canonical_rows import SESSION_COLUMNS, SITE_COLUMNS, JsonText
from tpi_notes.domain.session import ExamFinding
from tpi_notes.domain.signing import (
    OUTCOMES_CONTENT_VERSION,
    SESSION_FIELDS,
    SET_ONLY_SESSION_FIELDS,
    canonical_bytes,
    exam_finding_content,
    session_content,
)

# Text a note can hold: non-ASCII (accents, Vietnamese, Arabic, emoji), quotes, backslashes, every control
# character, the JS line separators.
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", "Nguyễn Thị Ánh", 'say "no"', "back\\slash", "tab\there", "nul\x00", "\u2028\u2029", "ﻣﺮﺣﺒﺎ", "🙂", "\x7f"])
_FLOAT = st.floats(allow_nan=False) | st.sampled_from(
    [0.1, 1.0, 2.5, 2.50, -0.0, 0.0, -3.25, 0.1 + 0.2, 1e-7, 123456.1234567, 1e300, float("inf"), float("-inf")])
_INT = st.integers() | st.sampled_from([0, -1, 2**63, -(2**70)])
_TIME = st.datetimes(min_value=datetime(1, 1, 1, 0, 0, 1)) | st.datetimes(timezones=st.sampled_from(
    [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30, seconds=7, microseconds=9))]))
# A value of another type than its column's: what a cell changed outside the program can hold.
_ODD = st.none() | st.booleans() | _INT | _FLOAT | _TEXT | st.dates() | st.lists(_TEXT, max_size=2)


def _column(name: str) -> st.SearchStrategy:
    if name in ("performed_start", "performed_end", "timeout_at", "signed_at"):
        return st.one_of(_TIME, st.none(), st.dates())
    if name == "timeout_done":
        return st.one_of(st.booleans(), st.none(), _INT)
    if name.endswith("_id") or name in ("pain_before", "pain_after", "relief_pct", "observation_minutes"):
        return st.one_of(_INT, st.none(), _TEXT)
    return st.one_of(_TEXT, st.none(), _ODD)


_FINDING = st.fixed_dictionaries(
    {"region_code": _TEXT}, optional={"taut_band": st.booleans() | _INT, "twitch": st.booleans(),
                                      "referred_pain": st.booleans(), "hypersensitive_spot": st.booleans() | _FLOAT,
                                      "muscle_id": _TEXT | _INT, "side": _TEXT, "jump_sign": st.booleans() | _INT})
_CONTEXT = st.recursive(st.none() | st.booleans() | _INT | _FLOAT | _TEXT,
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
                        max_leaves=8)


@st.composite
def _session(draw: st.DrawFn) -> tuple[Any, ...]:
    row = {name: draw(_column(name)) for name in SESSION_COLUMNS if name not in
           ("consent_risks", "exam_findings", "content_version", "signed_context")}
    row["content_version"] = draw(st.sampled_from([None, 1, 2, 4, 5, 6]))
    row["consent_risks"] = draw(st.lists(_TEXT | _FLOAT | st.none(), max_size=3) | st.none())
    row["exam_findings"] = draw(st.lists(_FINDING, max_size=3) | st.none())
    row["signed_context"] = draw(st.none() | st.dictionaries(_TEXT, _CONTEXT, max_size=3))
    as_text = draw(st.booleans())  # SQLite hands JSON columns over as text, PostgreSQL decoded
    for name in ("consent_risks", "exam_findings", "signed_context"):
        if as_text:
            row[name] = JsonText(json.dumps(row[name]))
    return tuple(row[name] for name in SESSION_COLUMNS)


@st.composite
def _site(draw: st.DrawFn, number: int, labels: list[Any]) -> list[Any]:
    site = {name: draw(_column(name)) for name in SITE_COLUMNS}
    site["number"] = number
    site["preparation"] = draw(st.sampled_from([None, *labels]))
    for name in ("x", "y", "volume_ml", "dwell_minutes", "estim_pulse_width_us", "estim_intensity_ma",
                 "estim_minutes"):
        site[name] = draw(st.one_of(_FLOAT, st.none(), _ODD))
    site["estim_frequency_hz"] = draw(st.one_of(st.none(), _FLOAT, _INT))
    site["estim_attended"] = draw(st.one_of(st.none(), st.booleans(), _INT))
    for name in ("aspiration", "twitch"):
        site[name] = draw(st.one_of(st.none(), st.booleans(), _INT))
    return [site[name] for name in SITE_COLUMNS]


@st.composite
def _rows(draw: st.DrawFn) -> tuple[Any, ...]:
    session = draw(_session())
    labels = draw(st.lists(_TEXT, max_size=2, unique=True))
    preparations = [(label, draw(st.lists(st.tuples(_TEXT, _TEXT | st.none(), _FLOAT | st.none() | _INT,
                                                    st.none() | _INT | _FLOAT), max_size=2)))
                    for label in labels]
    sites = [draw(_site(number, labels)) for number in range(1, draw(st.integers(0, 3)) + 1)]
    diagnoses = draw(st.lists(st.tuples(_TEXT, _TEXT | st.none()), max_size=2))
    findings = draw(st.lists(st.tuples(_TEXT, _TEXT, _TEXT, _TEXT, _TEXT | st.none()), max_size=3))
    scales = [(name, draw(st.lists(_INT | st.none() | _FLOAT, max_size=3)), draw(_TIME), draw(_INT | st.none()))
              for name in draw(st.lists(st.sampled_from(["peg", "ndi", "odi"]), max_size=2, unique=True))]
    if draw(st.booleans()):
        scales = [(name, JsonText(json.dumps(items)), at, by) for name, items, at, by in scales]
    responses = draw(st.lists(st.tuples(st.integers(1, 3), st.sampled_from(["a", "b"]), st.sampled_from("LR"),
                                        _INT | st.none(), _INT | st.none(), st.booleans() | st.none() | _INT),
                              max_size=3, unique_by=lambda r: r[:3]))
    return session, diagnoses, preparations, sites, findings, scales, responses


def _decoded(value: Any) -> Any:
    return json.loads(value.text) if isinstance(value, JsonText) else value


def _record_path(session: tuple[Any, ...], diagnoses: list, preparations: list, sites: list, findings: list,
                 scales: list, responses: list) -> bytes:
    """``canonical_bytes(record_content(record))`` for the record these rows load as (session_records' reading:
    a site's e-stim only with a frequency, its missing parts 0.0; a missing lot number ""; lasting a bool)."""
    row = dict(zip(SESSION_COLUMNS, session, strict=True))
    version = row["content_version"] or 1
    fields = {name: row[name] for name in SESSION_FIELDS + SET_ONLY_SESSION_FIELDS}
    fields["exam_findings"] = [exam_finding_content(ExamFinding(**f)) for f in _decoded(row["exam_findings"]) or ()]
    fields["consent_risks"] = list(_decoded(row["consent_risks"]) or ())
    site_dicts = []
    for values in sites:
        site = dict(zip(SITE_COLUMNS, values, strict=True))
        if site["estim_frequency_hz"] is None:
            site.update(estim_pulse_width_us=None, estim_intensity_ma=None, estim_minutes=None, estim_attended=None)
        else:
            site.update(estim_pulse_width_us=site["estim_pulse_width_us"] or 0.0,
                        estim_intensity_ma=site["estim_intensity_ma"] or 0.0,
                        estim_minutes=site["estim_minutes"] or 0.0, estim_attended=bool(site["estim_attended"]))
        site_dicts.append(site)
    outcomes = None
    if version >= OUTCOMES_CONTENT_VERSION or scales or responses:
        outcomes = {
            "scales": sorted(({"scale": s, "items": list(_decoded(items)), "measured_at": at, "measured_by_id": by}
                              for s, items, at, by in scales), key=lambda x: x["scale"]),
            "prior_response": sorted(({"prior_session_id": p, "muscle_id": m, "side": side, "relief_pct": relief,
                                       "duration_weeks": weeks, "lasting": bool(lasting)}
                                      for p, m, side, relief, weeks, lasting in responses),
                                     key=lambda x: (x["prior_session_id"], x["muscle_id"], x["side"]))}
    content = session_content(
        fields, [{"code": code, "display": display} for code, display in diagnoses],
        [(label, [{"item_code": code, "lot_number": lot or "", "volume_ml": volume, "vials_opened": vials}
                  for code, lot, volume, vials in components]) for label, components in preparations],
        site_dicts,
        [{"code": c, "subject": s, "severity": sev, "message": m, "override_reason": r} for c, s, sev, m, r in findings],
        signed_context=(_decoded(row["signed_context"]) or {}) if version >= 2 else None, outcomes=outcomes)
    return canonical_bytes(content, version)


@settings(max_examples=150, deadline=None)
@given(_rows())
def test_any_stored_values_give_the_record_paths_bytes(rows: tuple[Any, ...]) -> None:
    assert canonical_rows.session_bytes(*rows) == _record_path(*rows)


def _plain_session(**values: Any) -> tuple[Any, ...]:
    row = dict.fromkeys(SESSION_COLUMNS, "")
    row.update(performed_start=datetime(2026, 3, 4, 9, 30, 12, 999), performed_end=None, timeout_at=None,
               signed_at=datetime(2026, 3, 4, 10, 0), patient_id=1, physician_id=2, signed_by_id=2, assistant_id=None,
               pain_before=7, pain_after=None, relief_pct=0, observation_minutes=15, timeout_done=True,
               consent_risks=[], exam_findings=[], content_version=4, signed_context={}, follow_up_in=None)
    row.update(values)
    return tuple(row[name] for name in SESSION_COLUMNS)


def _site_row(**values: Any) -> list[Any]:
    site = dict.fromkeys(SITE_COLUMNS)
    site.update(number=1, x=0.1, y=1.0, volume_ml=2.50, dwell_minutes=None, muscle="Trapèze", note='a "b" \\ c\n')
    site.update(values)
    return [site[name] for name in SITE_COLUMNS]


@example(_plain_session(comments='He said "stop"\\\n\t\x01', indication="Douleur à l'épaule", location=""))
@example(_plain_session(comments=None, pain_before=-3, patient_id=2**70, content_version=6))
@example(_plain_session(relief_pct=1.0, timeout_done=1, pain_after=True, content_version=1))
@given(_session())
def test_odd_session_values_with_odd_sites(session: tuple[Any, ...]) -> None:
    sites = [_site_row(), _site_row(number=2, x=-0.0, y=0.1 + 0.2, volume_ml=1e-7, estim_frequency_hz=2,
                                    estim_minutes=12.3456789, estim_attended=0, twitch=1, aspiration=False),
             _site_row(number=3, x=float("inf"), y=123456789.123456789, note=None, muscle="")]
    rows = (session, [("M79.18", "Myalgia, “other” site")], [("A", [("lido", None, 0.1, None), ("bupi", "L1", 2, 3)])],
            sites, [("R1", "site 1", "warn", "Line\nbreak", None)], [], [])
    assert canonical_rows.session_bytes(*rows) == _record_path(*rows)


def test_a_date_where_a_datetime_belongs_and_an_empty_list_are_written_as_the_record_path_writes_them() -> None:
    rows = (_plain_session(performed_end=date(2026, 3, 4), consent_risks=None, exam_findings=None), [], [], [], [],
            [], [])
    assert canonical_rows.session_bytes(*rows) == _record_path(*rows)
    assert b'"performed_end":"2026-03-04"' in canonical_rows.session_bytes(*rows)
    assert b'"consent_risks":[]' in canonical_rows.session_bytes(*rows)
