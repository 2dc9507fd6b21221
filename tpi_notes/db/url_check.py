"""Whether a ``--db`` value can name a tpi-notes database, read from the text alone (cli_args.py, engine.py).

Apart from engine.py so that checking the usual file path needs no SQLAlchemy: the app checks its ``--db`` before
it paints its first window, and loads the database layer only after (issue 19). A URL is parsed by SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path

from tpi_notes import clinic_location

SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def database_url_problem(db: str) -> str | None:
    """Why ``db`` (a ``--db`` value: a file path or an SQLAlchemy URL) cannot name a tpi-notes database, or
    None. Reads nothing and opens nothing: a mistyped value is a usage error, told before anything starts."""
    if not db.strip():
        return "--db is empty; give a database file path or a URL"
    if "\0" in db:
        return "--db contains a NUL character"
    if "://" not in db:  # an SQLite file on a network share is refused too (tpi_notes/clinic_location.py)
        return _path_problem(db) or clinic_location.network_problem(Path(db).expanduser().resolve())
    from sqlalchemy.engine import make_url  # only for a URL: a plain path is checked without SQLAlchemy
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(db)
        url.get_dialect()  # an unknown kind of database (a typo in the scheme) fails here, not at connect
    except (ArgumentError, ValueError) as exc:  # NoSuchModuleError is an ArgumentError; a bad port a ValueError
        return f"{db!r} is not a valid database URL: {exc}"
    if url.get_backend_name() not in SUPPORTED_BACKENDS:
        return (f"{db!r} names a {url.get_backend_name()} database; tpi-notes works with SQLite files and "
                "PostgreSQL servers (postgresql+psycopg://…)")
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return clinic_location.network_problem(Path(url.database).expanduser())
    return None


def _path_problem(db: str) -> str | None:
    """A file path the system cannot name (a part longer than its folder allows, or the whole too long)."""
    path = Path(db).expanduser()
    try:
        path.resolve().exists()
    except OSError as exc:  # ENAMETOOLONG, ELOOP: said before anything starts, not as "unexpected error"
        shown = db if len(db) <= 60 else f"{db[:57]}…"
        return f"--db {shown!r} cannot name a file: {exc.strerror or exc}"
    return None
