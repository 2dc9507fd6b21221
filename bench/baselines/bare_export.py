"""A hand-written sqlite3 + csv export of every session: the session's own columns, its patient and physician,
its sites and syringes gathered by session, one csv row each. No ORM, no dose rules, no formatting layer: the
floor under the CSV export (its CPU time is compared, in one process)."""

from __future__ import annotations

import csv
import sqlite3
from collections import defaultdict
from pathlib import Path

BATCH = 2000
SESSION = ("SELECT s.id, s.performed_start, s.performed_end, s.location, s.status, s.pain_before, s.pain_after,"
           " s.relief_pct, s.complications, s.tolerance, s.disposition, s.follow_up, s.signed_at, s.content_sha256,"
           " p.mrn, p.family_name, p.given_name, p.birth_date, p.sex, p.weight_kg, p.anticoagulant, p.diabetes,"
           " u.full_name, u.credentials FROM procedure_session s JOIN patient p ON p.id = s.patient_id"
           " LEFT JOIN app_user u ON u.id = s.physician_id WHERE s.id > ? ORDER BY s.id LIMIT ?")


def export(db: Path, out: Path, width: int) -> int:
    """Write every session to ``out``; ``width``: the app's column count (rows are padded to it)."""
    conn = sqlite3.connect(db)
    rows = 0
    try:
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([f"c{n}" for n in range(width)])
            after = 0
            while page := conn.execute(SESSION, (after, BATCH)).fetchall():
                ids = [r[0] for r in page]
                marks = ",".join("?" * len(ids))
                muscles: dict[int, list[str]] = defaultdict(list)
                volume: dict[int, float] = defaultdict(float)
                for sid, side, muscle, technique, ml in conn.execute(
                        f"SELECT session_id, side, muscle, technique, volume_ml FROM site WHERE session_id IN ({marks})"
                        " ORDER BY session_id, number", ids):
                    muscles[sid].append(f"{side} {muscle} ({technique})")
                    volume[sid] += ml or 0.0
                agents: dict[int, list[str]] = defaultdict(list)
                for sid, code, ml, lot in conn.execute(
                        "SELECT p.session_id, f.code, c.volume_ml, l.lot_number FROM preparation p"
                        " JOIN preparation_component c ON c.preparation_id = p.id"
                        " JOIN formulary_item f ON f.id = c.item_id LEFT JOIN lot l ON l.id = c.lot_id"
                        f" WHERE p.session_id IN ({marks}) ORDER BY p.session_id, c.position", ids):
                    agents[sid].append(f"{code} {ml} mL {lot or ''}")
                codes: dict[int, list[str]] = defaultdict(list)
                for sid, code in conn.execute(f"SELECT session_id, code FROM session_diagnosis WHERE session_id IN"
                                              f" ({marks}) ORDER BY session_id, position", ids):
                    codes[sid].append(code)
                for r in page:
                    sid = r[0]
                    cells = [*r, "; ".join(muscles[sid]), len(muscles[sid]), round(volume[sid], 2),
                             "; ".join(agents[sid]), "; ".join(codes[sid])]
                    writer.writerow(cells + [""] * (width - len(cells)))
                rows += len(page)
                after = page[-1][0]
    finally:
        conn.close()
    return rows
