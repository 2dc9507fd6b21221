"""Opening a clinic database: the one object every service function takes."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tpi_notes.db import transactions
from tpi_notes.db.engine import make_session_factory, resolve_database_url, sqlite_path
from tpi_notes.db.migrate import open_database, prepare_database
from tpi_notes.db.models import User, UserRole
from tpi_notes.db.repositories import audit, reference
from tpi_notes.domain.formulary import load_default_formulary
from tpi_notes.domain.permissions import Permission, PermissionDenied, Principal


class AccessChanged(PermissionDenied):
    """The signed-in user's account was deactivated, locked or lost a role on some workstation since they
    signed in: nothing was done, and the app asks them to sign in again."""

    # Told by the screen lock (``AppContext.on_access_changed``): one escaping a Qt slot is no crash (tpi_notes/logs.py).
    shown_elsewhere = True


@dataclass
class AppContext:
    """An open clinic database and who is acting (a signed-in app user, or the operating-system user)."""

    url: str
    engine: Engine
    factory: sessionmaker[Session]
    principal: Principal
    backup: Path | None = None

    @property
    def actor(self) -> str:
        return self.principal.actor

    @property
    def user_id(self) -> int | None:
        return self.principal.user_id

    # Told (from whichever thread ran the action) when check_access finds the signed-in user's access changed:
    # the app covers its windows and asks them to sign in again (ui/screen_lock.py).
    on_access_changed: Callable[[str], None] | None = field(default=None, repr=False)

    def require(self, permission: Permission) -> None:
        """Raise PermissionDenied unless the acting principal may do this (every service action checks).

        A signed-in user's account is read again first (check_access), so a deactivation, a lock or a role
        taken away on any workstation refuses their next action, not their next sign-in."""
        self.check_access()
        self.principal.require(permission)

    def check_access(self) -> None:
        """Raise AccessChanged when the signed-in user is no longer active, is locked, or lost a role they
        signed in with (one small SELECT). The operating-system user and test principals have no account
        row and are not checked. A role added since sign-in is not used until the next sign-in."""
        principal = self.principal
        if principal.user_id is None:
            return
        problem = self._access_problem(principal)
        if problem is None:
            return
        if self.on_access_changed is not None:
            self.on_access_changed(problem)
        raise AccessChanged(f"Your access changed since you signed in ({problem}). Sign in again to go on.")

    def _access_problem(self, principal: Principal) -> str | None:
        query = (select(User.active, User.locked_at, UserRole.role)
                 .outerjoin(UserRole, UserRole.user_id == User.id).where(User.id == principal.user_id))
        with transactions.plain_refusals(), self.factory() as s:
            s.connection(execution_options=transactions.options(self.engine.dialect.name, write=False))
            rows = s.execute(query).all()
        if not rows or not rows[0].active:
            return "the account is deactivated"
        if rows[0].locked_at is not None:
            return "the account is locked"
        lost = set(principal.roles) - {row.role for row in rows}
        if lost:
            return f"role taken away: {', '.join(sorted(lost))}"
        return None

    def can(self, permission: Permission) -> bool:
        return self.principal.can(permission)

    def act_as(self, principal: Principal) -> None:
        """Sign a user in (after login), or back to the operating-system user (after sign-out)."""
        self.principal = principal

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One user action = one transaction: committed on success, rolled back on any error.

        It may write: on SQLite it takes the write lock at once (BEGIN IMMEDIATE), so what it reads (a row
        version, the audit chain's head) stays true until it commits. A lost race reaches the user as
        ConcurrentEditError, a lock wait that ran out as DatabaseBusyError (db/transactions.py)."""
        with transactions.plain_refusals(), self.factory.begin() as s:
            s.connection(execution_options=transactions.options(self.engine.dialect.name, write=True))
            yield s

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read: one consistent snapshot that never holds the write lock, so a long export or verify never
        makes a Save wait and a session read in several SELECTs is never half of a concurrent save.

        Nothing in it is committed. The audit events it appends (an audited view, print or export) are written
        when it ends, in a short write transaction of their own (repositories/audit.py, AFTER_READ)."""
        pending: list[dict] = []
        with transactions.plain_refusals(), self.factory() as s:
            s.info[audit.AFTER_READ] = pending
            s.connection(execution_options=transactions.options(self.engine.dialect.name, write=False))
            yield s
        if pending:
            with self.transaction() as s:
                for event in pending:
                    audit.append(s, **event)

    @property
    def database_path(self) -> Path | None:
        return sqlite_path(self.url)

    def today(self) -> date:
        return date.today()

    def close(self) -> None:
        self.engine.dispose()


def os_user() -> Principal:
    """The operating-system user the command line acts as (product.md §7)."""
    try:
        login = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        login = "unknown"
    return Principal.operating_system(login)


def open_clinic(db: str | None = None, *, principal: Principal | None = None) -> AppContext:
    """Resolve ``db``, migrate it to head (backing it up first) and load first-run reference data.

    The context acts as ``principal``, by default the operating-system user; the app signs a user in
    with ``act_as`` after login."""
    url = resolve_database_url(db)
    engine, backup = prepare_database(url)
    ctx = AppContext(url, engine, make_session_factory(engine), principal or os_user(), backup=backup)
    ensure_reference_data(ctx)
    return ctx


def open_existing_clinic(db: str | None = None, *, principal: Principal | None = None,
                         quick_check: bool = False) -> AppContext:
    """The clinic as it is, for the commands that read it (note, export, verify, backup…): never created,
    never upgraded. A missing, empty, foreign or older file is refused before anything touches it (an older one
    with the `tpi-notes upgrade` command to run); with ``quick_check`` a damaged file is refused too."""
    url = resolve_database_url(db)
    opened = open_database(url, create=False, upgrade=False, quick_check=quick_check)
    ctx = AppContext(url, opened.engine, make_session_factory(opened.engine), principal or os_user())
    ensure_reference_data(ctx)
    return ctx


def upgrade_database(db: str | None = None) -> str:
    """`tpi-notes upgrade`: an existing database brought to the current schema, with the backup copy start-up
    makes; returns what was done, in one line."""
    url = resolve_database_url(db)
    opened = open_database(url, create=False)
    opened.engine.dispose()
    where = sqlite_path(url) or make_url(url).render_as_string(hide_password=True)
    if not opened.upgraded:
        return f"{where} is already at the current revision {opened.head}; nothing to do."
    copy = f"; the copy from before the upgrade is {opened.backup}" if opened.backup else ""
    return f"Upgraded {where} from revision {opened.from_revision} to {opened.head}{copy}."


def ensure_reference_data(ctx: AppContext) -> None:
    """First run: the default formulary and the clinic settings row. Later edits are the clinic's."""
    with ctx.transaction() as s:
        settings = reference.settings(s)
        if reference.item_count(s) == 0:
            data = load_default_formulary()
            reference.add_items(s, data.items)
            settings.formulary_version = data.version
