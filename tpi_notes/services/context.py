"""Opening a clinic database: the one object every service function takes."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tpi_notes.db.engine import make_session_factory, resolve_database_url, sqlite_path
from tpi_notes.db.migrate import prepare_database
from tpi_notes.db.repositories import reference
from tpi_notes.domain.formulary import load_default_formulary


@dataclass
class AppContext:
    """An open clinic database and who is acting (an app user, or the operating-system user)."""

    url: str
    engine: Engine
    factory: sessionmaker[Session]
    actor: str
    user_id: int | None = None
    backup: Path | None = None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One user action = one transaction: committed on success, rolled back on any error."""
        with self.factory.begin() as s:
            yield s

    @property
    def database_path(self) -> Path | None:
        return sqlite_path(self.url)

    def today(self) -> date:
        return date.today()

    def close(self) -> None:
        self.engine.dispose()


def os_user() -> str:
    try:
        return f"os:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "os:unknown"


def open_clinic(db: str | None = None, *, actor: str | None = None) -> AppContext:
    """Resolve ``db``, migrate it to head (backing it up first) and load first-run reference data."""
    url = resolve_database_url(db)
    engine, backup = prepare_database(url)
    ctx = AppContext(url, engine, make_session_factory(engine), actor or os_user(), backup=backup)
    ensure_reference_data(ctx)
    return ctx


def ensure_reference_data(ctx: AppContext) -> None:
    """First run: the default formulary and the clinic settings row. Later edits are the clinic's."""
    with ctx.transaction() as s:
        settings = reference.settings(s)
        if reference.item_count(s) == 0:
            data = load_default_formulary()
            reference.add_items(s, data.items)
            settings.formulary_version = data.version
