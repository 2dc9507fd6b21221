"""Id sequences after rows were written with explicit ids (the demo builder numbers its own rows)."""

from __future__ import annotations

from sqlalchemy import Connection, Integer, text

from tpi_notes.db.models import Base


def advance_id_sequences(conn: Connection) -> None:
    """Move PostgreSQL's id sequences past the highest id in each table, so that the next row the app adds
    does not collide with one written with an explicit id. SQLite needs nothing: it takes max(id) + 1."""
    if conn.dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) != 1 or key[0].name != "id" or not isinstance(key[0].type, Integer):
            continue
        # setval(seq, max, true): the next value is max + 1; an empty table starts again at 1.
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                          f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {table.name}"))
