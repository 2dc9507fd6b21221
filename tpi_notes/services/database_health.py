"""Is the clinic's database file sound? SQLite's ``PRAGMA quick_check`` on the open clinic.

Run after start-up (in the background, ui/database_check.py) and before every backup (services/backup.py);
`tpi-notes verify` and `tpi-notes backup` check the file before they even open it (db/database_file.py).
Anyone signed in may be told that the file is damaged: no permission is needed to hear it.
"""

from __future__ import annotations

from tpi_notes.db.database_file import quick_check_problems
from tpi_notes.domain.errors import DatabaseDamagedError
from tpi_notes.services.context import AppContext


def quick_check(ctx: AppContext) -> list[str]:
    """SQLite's findings about the clinic's file, one per line; [] when it is fine (and on PostgreSQL, whose
    server checks its own pages). Safe on a worker thread: it takes its own pooled connection and only reads."""
    if ctx.engine.dialect.name != "sqlite":
        return []
    with ctx.engine.connect() as conn:
        return quick_check_problems(conn.connection.dbapi_connection)  # type: ignore[arg-type]


def require_undamaged(ctx: AppContext, consequence: str) -> None:
    """DatabaseDamagedError (saying ``consequence``) when quick_check finds damage."""
    problems = quick_check(ctx)
    if problems:
        raise DatabaseDamagedError(str(ctx.database_path or "the database"), problems, consequence)
