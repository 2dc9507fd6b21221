"""Schema migrations at start-up: a backup copy of the file first, then Alembic to head."""

from __future__ import annotations

import ast
import glob
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError as SADatabaseError

from tpi_notes.atomic_output import atomic_path
from tpi_notes.db import encryption, sqlite_transactions
from tpi_notes.db.database_file import inspect_file
from tpi_notes.db.engine import make_engine, sqlite_path
from tpi_notes.domain.errors import DatabaseOpenError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# PostgreSQL advisory lock held while one workstation upgrades the schema (any constant bigint of its own).
MIGRATION_LOCK = 0x7470_695F_6D69_6772  # "tpi_migr"


def alembic_config(script_location: Path = MIGRATIONS_DIR) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    # Date-stamped file names keep the versions folder in the order the migrations were written.
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    return cfg


_ASSIGNED = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _read_revisions(versions: Path) -> dict[str, tuple[str, ...]] | None:
    """Each revision in ``versions`` with the revisions it follows, read from the files' text: Alembic itself
    (0.15 s of imports, and the scripts executed) is only needed for an upgrade, not for every start at head
    (issue 19). None when a file says something this plain reading cannot follow; Alembic decides then."""
    found: dict[str, tuple[str, ...]] = {}
    for file in sorted(versions.glob("*.py")):
        values = dict(_ASSIGNED.findall(file.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(values["revision"])
            down = ast.literal_eval(values["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        downs = (down,) if isinstance(down, str) else tuple(down or ())
        if not isinstance(revision, str) or revision in found or not all(isinstance(d, str) for d in downs):
            return None
        found[revision] = downs
    return found or None


def _revisions(script_location: Path) -> tuple[frozenset[str], str | None]:
    """The known revisions and the single head, from the files' text; a head of None sends the caller to
    Alembic (no readable files, several heads, a down-revision that names no file); about a millisecond."""
    found = _read_revisions(script_location / "versions")
    if found is None:
        return frozenset(), None
    named = {down for downs in found.values() for down in downs}
    heads = [rev for rev in found if rev not in named]
    if len(heads) != 1 or not named <= found.keys():
        return frozenset(found), None
    return frozenset(found), heads[0]


def head_revision(script_location: Path = MIGRATIONS_DIR) -> str:
    head = _revisions(script_location)[1]
    if head is None:
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(alembic_config(script_location)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision: one ``SELECT version_num`` (what Alembic's MigrationContext reads), None when
    the table is missing or empty."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:
        raise DatabaseOpenError("This database has several schema revisions at once; nothing was changed.")
    return rows[0] if rows else None


def _known_revision(script_location: Path, revision: str) -> bool:
    known, head = _revisions(script_location)
    if head is not None:
        return revision in known
    from alembic.script import ScriptDirectory

    try:
        ScriptDirectory.from_config(alembic_config(script_location)).get_revision(revision)
    except Exception:  # noqa: BLE001 - Alembic's own errors for a revision it does not know
        return False
    return True


def backup_sqlite(source: Path, target: Path) -> Path:
    """A consistent copy through SQLite's online backup (safe while others read or write). The copy of an
    encrypted file is encrypted with the same key (SQLCipher copies pages between databases keyed alike)."""
    key = encryption.key_of(source)
    src = encryption.connect_file(source, query="mode=ro", key=key)
    try:
        dst = sqlite3.connect(target) if key is None else encryption.connect(str(target), key, check=False)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def _backup_name(path: Path, revision: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.stem}.before-upgrade-{revision}-{stamp}{path.suffix or '.sqlite'}")


@dataclass(frozen=True)
class OpenedDatabase:
    """An engine on a database at head, and what opening it did."""

    engine: Engine
    backup: Path | None  # the copy written before an upgrade
    from_revision: str | None  # the revision found (None: a new database, created at head)
    head: str

    @property
    def upgraded(self) -> bool:
        return self.from_revision != self.head


def prepare_database(url: str, script_location: Path = MIGRATIONS_DIR) -> tuple[Engine, Path | None]:
    """Open ``url``, creating or upgrading it to head (start-up); returns the engine and any backup made."""
    opened = open_database(url, script_location)
    return opened.engine, opened.backup


def open_database(url: str, script_location: Path = MIGRATIONS_DIR, *, create: bool = True,
                  upgrade: bool = True, quick_check: bool = False) -> OpenedDatabase:
    """Open ``url`` at head.

    A new or empty file is created at head without a backup (only with ``create``). A file from an older
    revision is copied beside itself first, then upgraded (only with ``upgrade``; otherwise it is refused
    with the command that upgrades it). A file that is not ours, or is newer than this program, is refused
    unchanged with a DatabaseOpenError. An SQLite file is inspected read-only (db/database_file.py) before
    any engine touches it, so whatever is refused is left exactly as it was; with ``quick_check`` a damaged
    one is refused too (DatabaseDamagedError).
    """
    path = sqlite_path(url)
    head = head_revision(script_location)
    if path is not None:
        found = inspect_file(path, quick_check=quick_check)
        if found.new and not create:
            raise DatabaseOpenError(found.new_file_problem())
        _refuse_unknown(script_location, found.revision, head)
        _refuse_older(found.revision, head, upgrade, str(path))
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        current = current_revision(engine) if "alembic_version" in tables else None
    except SADatabaseError as exc:
        engine.dispose()
        raise DatabaseOpenError(f"Cannot open the database: {exc.orig}.") from None
    try:
        if current is None and tables - {"alembic_version"}:
            raise DatabaseOpenError("This database was not made by tpi-notes (it has other tables); "
                                    "nothing was changed.")
        if current is None and not create:
            raise DatabaseOpenError("This database holds no tpi-notes tables; it is not a tpi-notes database.")
        _refuse_unknown(script_location, current, head)
        _refuse_older(current, head, upgrade, make_url(url).render_as_string(hide_password=True))
    except DatabaseOpenError:
        engine.dispose()
        raise
    backup = None
    if current is not None and current != head and path is not None:
        backup = _backup_name(path, current)
        for stale in path.parent.glob(f".{glob.escape(path.stem)}.before-upgrade-*.partial"):
            stale.unlink(missing_ok=True)  # left by a start-up killed mid-copy (its name has another time)
        with atomic_path(backup) as partial:  # a kill mid-copy never leaves half a copy under a backup's name
            backup_sqlite(path, partial)
    if current != head:
        _upgrade(engine, script_location)
    return OpenedDatabase(engine, backup, current, head)


def _refuse_unknown(script_location: Path, current: str | None, head: str) -> None:
    if current is None or current == head:
        return
    if not _known_revision(script_location, current):
        raise DatabaseOpenError(
            f"This database is at schema revision {current}, which this version of tpi-notes does not "
            "know (it was probably made by a newer version); nothing was changed."
        )


def _refuse_older(current: str | None, head: str, upgrade: bool, where: str) -> None:
    if upgrade or current is None or current == head:
        return
    raise DatabaseOpenError(f"{where} is at schema revision {current}, older than this version of tpi-notes "
                            f"({head}); upgrade it first with `tpi-notes upgrade --db {where}` (it keeps a backup "
                            "copy); nothing was changed.")


def _upgrade(engine: Engine, script_location: Path) -> None:
    from alembic import command

    cfg = alembic_config(script_location)
    with engine.connect().execution_options(**sqlite_transactions.WRITE) as conn:
        sqlite = conn.dialect.name == "sqlite"
        if conn.dialect.name == "postgresql":
            # Workstations starting together on a new or older database: one upgrades, the others wait here
            # until it commits and then find the database at head (Alembic reads the revision after the lock).
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        if sqlite:
            # Batch mode rebuilds tables; foreign keys must be off meanwhile and checked afterwards (both PRAGMAs
            # outside a transaction: SQLite ignores them inside one).
            sqlite_transactions.outside_transaction(conn, "PRAGMA foreign_keys=OFF")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
        if sqlite:
            problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            conn.rollback()
            sqlite_transactions.outside_transaction(conn, "PRAGMA foreign_keys=ON")
            if problems:
                raise DatabaseOpenError(f"The upgrade left {len(problems)} broken references; restore the backup.")
