"""The clinic outcomes report's aggregates (issue 17 item 4), computed by the database: one GROUP BY over the
recorded responses whose treated session falls in the date range, never the sessions themselves.

A row of the result: (key, day, responses, sum of relief %, good, partial, none, PEG pairs, sum of PEG changes), the
day that of the treated session (domain/outcomes_report.py adds days up for a date range), where
the PEG change of a response is the PEG at the visit that recorded it minus the PEG at the treated session. Both
sessions are signed. Sums rather than means, so that rows (muscles into their group) add up exactly.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

_GOOD = "r.relief_pct >= 50 AND COALESCE(r.duration_weeks, 0) >= 6"
_COLUMNS = f"""COUNT(*) AS n, SUM(r.relief_pct) AS relief,
    SUM(CASE WHEN {_GOOD} THEN 1 ELSE 0 END) AS good,
    SUM(CASE WHEN r.relief_pct >= 30 AND NOT ({_GOOD}) THEN 1 ELSE 0 END) AS partial,
    SUM(CASE WHEN r.relief_pct < 30 THEN 1 ELSE 0 END) AS none_,
    COUNT(b.score - a.score) AS peg_n, SUM(b.score - a.score) AS peg_change"""
_FROM = """FROM prior_response r
    JOIN procedure_session p ON p.id = r.prior_session_id
    JOIN procedure_session s ON s.id = r.session_id
    LEFT JOIN session_scale a ON a.session_id = r.prior_session_id AND a.scale = 'peg'
    LEFT JOIN session_scale b ON b.session_id = r.session_id AND b.scale = 'peg'
    WHERE p.performed_start >= :start AND p.performed_start < :end AND p.status = 'signed'
      AND s.status = 'signed' AND r.relief_pct IS NOT NULL"""
# What a response is grouped by: its muscle (the caller folds muscles into their groups), the technique its muscle
# was treated with in that session (injection before dry needling when both), or each agent injected into it.
_KEYS = {
    "muscle": "r.muscle_id",
    "technique": ("(SELECT MIN(t.technique) FROM site t WHERE t.session_id = r.prior_session_id"
                  " AND t.muscle_id = r.muscle_id AND t.side = r.side)"),
}
_AGENTS = """SELECT agent, day, COUNT(*) AS n, SUM(relief_pct) AS relief,
    SUM(CASE WHEN relief_pct >= 50 AND COALESCE(duration_weeks, 0) >= 6 THEN 1 ELSE 0 END) AS good,
    SUM(CASE WHEN relief_pct >= 30 AND NOT (relief_pct >= 50 AND COALESCE(duration_weeks, 0) >= 6)
        THEN 1 ELSE 0 END) AS partial,
    SUM(CASE WHEN relief_pct < 30 THEN 1 ELSE 0 END) AS none_,
    COUNT(change) AS peg_n, SUM(change) AS peg_change
FROM (SELECT DISTINCT r.id AS rid, COALESCE(f.name, '') AS agent, date(p.performed_start) AS day,
        r.relief_pct AS relief_pct,
        r.duration_weeks AS duration_weeks, b.score - a.score AS change
    FROM prior_response r
    JOIN procedure_session p ON p.id = r.prior_session_id
    JOIN procedure_session s ON s.id = r.session_id
    JOIN site t ON t.session_id = r.prior_session_id AND t.muscle_id = r.muscle_id AND t.side = r.side
    LEFT JOIN preparation_component c ON c.preparation_id = t.preparation_id
    LEFT JOIN formulary_item f ON f.id = c.item_id
    LEFT JOIN session_scale a ON a.session_id = r.prior_session_id AND a.scale = 'peg'
    LEFT JOIN session_scale b ON b.session_id = r.session_id AND b.scale = 'peg'
    WHERE p.performed_start >= :start AND p.performed_start < :end AND p.status = 'signed'
      AND s.status = 'signed' AND r.relief_pct IS NOT NULL) AS x
GROUP BY agent, day"""

Row = tuple[str, date, int, float, int, int, int, int, float]


def aggregates(s: Session, by: str, start: datetime, end: datetime) -> list[Row]:
    """The report's rows by ``muscle``, ``technique`` or ``agent`` (an empty agent: dry needling, no syringe)."""
    sql = _AGENTS if by == "agent" else (f"SELECT {_KEYS[by]} AS k, date(p.performed_start) AS day, {_COLUMNS} "
                                          f"{_FROM} GROUP BY k, day")
    return [(str(k or ""), _day(day), int(n), float(relief or 0), int(good or 0), int(partial or 0),
             int(none_ or 0), int(peg_n or 0), float(peg_change or 0))
            for k, day, n, relief, good, partial, none_, peg_n, peg_change in s.execute(
                text(sql), {"start": start, "end": end})]


def _day(value: object) -> date:
    """SQLite's date() gives text, PostgreSQL's a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
