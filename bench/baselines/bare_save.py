"""Bare sqlite3 writes of one session's rows in one transaction: the session row updated, its sites, syringes,
diagnoses and findings deleted and inserted again as they are, one audit row appended. The floor under a save."""

from __future__ import annotations

import hashlib
import sqlite3

CHILDREN = ("site", "session_diagnosis", "session_finding")


def snapshot(conn: sqlite3.Connection, session_id: int) -> dict[str, list[tuple]]:
    """The session's rows as stored (what the bare save writes back)."""
    rows = {table: conn.execute(f"SELECT * FROM {table} WHERE session_id = ?", (session_id,)).fetchall()
            for table in CHILDREN}
    rows["preparation"] = conn.execute("SELECT * FROM preparation WHERE session_id = ?", (session_id,)).fetchall()
    rows["preparation_component"] = conn.execute(
        "SELECT c.* FROM preparation_component c JOIN preparation p ON p.id = c.preparation_id"
        " WHERE p.session_id = ?", (session_id,)).fetchall()
    cursor = conn.execute("SELECT * FROM audit_event ORDER BY id DESC LIMIT 1")
    rows["audit_event"] = cursor.fetchall()
    rows["audit_columns"] = [tuple(c[0] for c in cursor.description)]
    return rows


def save(conn: sqlite3.Connection, session_id: int, rows: dict[str, list[tuple]], n: int) -> None:
    with conn:
        # row_version stays: the app's save, interleaved with this one, holds the draft at its version
        conn.execute("UPDATE procedure_session SET comments = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
                     (f"bare save {n}", session_id))
        conn.execute("DELETE FROM preparation_component WHERE preparation_id IN"
                     " (SELECT id FROM preparation WHERE session_id = ?)", (session_id,))
        for table in CHILDREN:
            conn.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
        conn.execute("DELETE FROM preparation WHERE session_id = ?", (session_id,))
        for table in ("preparation", *CHILDREN, "preparation_component"):
            for row in rows[table]:
                conn.execute(f"INSERT INTO {table} VALUES ({','.join('?' * len(row))})", row)
        event = list(rows["audit_event"][0])
        event[0] = None  # a new id, and a hash of its own (the column is unique)
        event[rows["audit_columns"][0].index("hash")] = hashlib.sha256(f"bare save {n}".encode()).hexdigest()
        conn.execute(f"INSERT INTO audit_event VALUES ({','.join('?' * len(event))})", event)
