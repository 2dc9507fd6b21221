"""Schema migrations at start-up: a backup copy of the file first, then Alembic to head."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError as SADatabaseError

from tpi_notes.db.engine import make_engine, sqlite_path
from tpi_notes.domain.errors import DatabaseOpenError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# PostgreSQL advisory lock held while one workstation upgrades the schema (any constant bigint of its own).
MIGRATION_LOCK = 0x7470_695F_6D69_6772  # "tpi_migr"


def alembic_config(script_location: Path = MIGRATIONS_DIR) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    # Date-stamped file names keep the versions folder in the order the migrations were written.
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    return cfg


def head_revision(script_location: Path = MIGRATIONS_DIR) -> str:
    head = ScriptDirectory.from_config(alembic_config(script_location)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def backup_sqlite(source: Path, target: Path) -> Path:
    """A consistent copy through SQLite's online backup (safe while others read or write)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
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


def prepare_database(url: str, script_location: Path = MIGRATIONS_DIR) -> tuple[Engine, Path | None]:
    """Open ``url``, upgrading its schema to head; returns the engine and any backup made.

    A new or empty file is created at head without a backup. A file from an older revision is
    copied beside itself first. A file that is not ours, or is newer than this program, is refused
    unchanged with a DatabaseOpenError.
    """
    engine = make_engine(url)
    path = sqlite_path(url)
    head = head_revision(script_location)
    script = ScriptDirectory.from_config(alembic_config(script_location))
    try:
        tables = set(inspect(engine).get_table_names())
        current = current_revision(engine) if "alembic_version" in tables else None
    except SADatabaseError as exc:
        engine.dispose()
        raise DatabaseOpenError(f"Cannot open the database: {exc.orig}.") from None
    if current is None and tables - {"alembic_version"}:
        engine.dispose()
        raise DatabaseOpenError("This database was not made by tpi-notes (it has other tables); nothing was changed.")
    if current is not None and current != head:
        try:
            script.get_revision(current)
        except Exception:
            engine.dispose()
            raise DatabaseOpenError(
                f"This database is at schema revision {current}, which this version of tpi-notes does not "
                "know (it was probably made by a newer version); nothing was changed."
            ) from None
    backup = None
    if current is not None and current != head and path is not None:
        backup = backup_sqlite(path, _backup_name(path, current))
    if current != head:
        _upgrade(engine, script_location)
    return engine, backup


def _upgrade(engine: Engine, script_location: Path) -> None:
    cfg = alembic_config(script_location)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if conn.dialect.name == "postgresql":
            # Workstations starting together on a new or older database: one upgrades, the others wait here
            # until it commits and then find the database at head (Alembic reads the revision after the lock).
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        if sqlite:
            # Batch mode rebuilds tables; foreign keys must be off meanwhile and checked afterwards.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
        if sqlite:
            problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            if problems:
                raise DatabaseOpenError(f"The upgrade left {len(problems)} broken references; restore the backup.")
