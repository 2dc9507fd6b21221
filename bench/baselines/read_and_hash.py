"""A read-and-hash pass over every signed session: read each one's rows (session, sites, syringes, diagnoses,
findings, addenda, functional scales, responses to earlier sessions) in id order a page at a time with bare sqlite3,
serialise them and take a SHA-256. The floor under `verify`'s session check (no record building, no rules, no
signatures).

Extended in issue 19 (H15) with the same bare work for what `verify` must also read: the outcome rows (functional
scales and responses, under the signature since content version 6, migration 0022) and the audit trail, every
event read in id order and hashed once (verify recomputes each event's hash and its link to the one before).
Nothing else was changed: same queries, same serialisation, same page size."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import defaultdict
from pathlib import Path

BATCH = 500
CHILDREN = {
    "site": "SELECT * FROM site WHERE session_id IN ({}) ORDER BY session_id, number",
    "preparation": "SELECT p.session_id, p.label, c.* FROM preparation p JOIN preparation_component c"
                   " ON c.preparation_id = p.id WHERE p.session_id IN ({}) ORDER BY p.session_id, p.label, c.position",
    "diagnosis": "SELECT * FROM session_diagnosis WHERE session_id IN ({}) ORDER BY session_id, position",
    "finding": "SELECT * FROM session_finding WHERE session_id IN ({}) ORDER BY session_id, id",
    "addendum": "SELECT * FROM addendum WHERE session_id IN ({}) ORDER BY session_id, id",
    "scale": "SELECT * FROM session_scale WHERE session_id IN ({}) ORDER BY session_id, scale",
    "response": "SELECT * FROM prior_response WHERE session_id IN ({}) ORDER BY session_id, id",
}


def check(db: Path) -> int:
    """Hash every signed session; returns how many (the digests are compared with nothing: a floor)."""
    conn = sqlite3.connect(db)
    checked, after = 0, 0
    try:
        while page := conn.execute("SELECT * FROM procedure_session WHERE id > ? ORDER BY id LIMIT ?",
                                   (after, BATCH)).fetchall():
            after = page[-1][0]
            signed = [r for r in page if "signed" in r]
            ids = [r[0] for r in signed]
            parts: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
            marks = ",".join("?" * len(ids))
            for name, query in CHILDREN.items():
                for row in conn.execute(query.format(marks), ids):
                    parts[row[1] if name != "preparation" else row[0]][name].append(row)
            for r in signed:
                body = json.dumps({"session": r, **parts[r[0]]}, sort_keys=True, default=str).encode()
                hashlib.sha256(body).hexdigest()
            checked += len(signed)
        after = 0
        while events := conn.execute("SELECT * FROM audit_event WHERE id > ? ORDER BY id LIMIT ?",
                                     (after, BATCH)).fetchall():
            after = events[-1][0]
            for event in events:
                hashlib.sha256(json.dumps(event, default=str).encode()).hexdigest()
    finally:
        conn.close()
    return checked
