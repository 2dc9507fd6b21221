"""signed sessions are locked in the database

Triggers that make the database itself refuse what the services already refuse (product.md §9):
- a signed procedure_session cannot be changed or deleted, and no session is inserted already signed
  (the one way to a signed session is the signing itself: an UPDATE of a draft to status 'signed');
- the content of a signed session (site, preparation, preparation_component, session_diagnosis,
  session_finding rows) cannot be inserted, changed or deleted;
- an addendum cannot be changed or deleted (it is a signed record), and is added to signed sessions only;
- the audit trail is append-only.

Triggers are not SQLAlchemy metadata, so models and migrations still compare equal. SQLite drops a
table's triggers when batch mode rebuilds it: a later migration that rebuilds one of these tables must
drop these triggers first and create them again afterwards (MIGRATION-NOTES.md).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LOCKED = "is signed and locked; changes are made as addenda"
SESSION_SIGNED = "(SELECT status FROM procedure_session WHERE id = {row}.session_id) = 'signed'"
COMPONENT_SIGNED = ("(SELECT ps.status FROM preparation p JOIN procedure_session ps ON ps.id = p.session_id"
                    " WHERE p.id = {row}.preparation_id) = 'signed'")
# Rows that belong to a session: the table and how to tell that its session is signed.
CONTENT_TABLES = {
    "site": SESSION_SIGNED,
    "preparation": SESSION_SIGNED,
    "session_diagnosis": SESSION_SIGNED,
    "session_finding": SESSION_SIGNED,
    "preparation_component": COMPONENT_SIGNED,
}


def _content_rules() -> list[tuple[str, str, str, str, str]]:
    rules = []
    for table, signed in CONTENT_TABLES.items():
        message = f"tpi-notes: this {table} row belongs to a session that {LOCKED}"
        rules += [
            (f"trg_{table}_insert_locked", table, "INSERT", signed.format(row="NEW"), message),
            (f"trg_{table}_update_locked", table, "UPDATE",
             f"{signed.format(row='OLD')} OR {signed.format(row='NEW')}", message),
            (f"trg_{table}_delete_locked", table, "DELETE", signed.format(row="OLD"), message),
        ]
    return rules


# (trigger name, table, event, WHEN condition, message), for SQLite.
SQLITE_RULES: list[tuple[str, str, str, str, str]] = [
    ("trg_procedure_session_insert_signed", "procedure_session", "INSERT", "NEW.status = 'signed'",
     "tpi-notes: a procedure session cannot be inserted already signed; save it as a draft, then sign it"),
    ("trg_procedure_session_update_locked", "procedure_session", "UPDATE", "OLD.status = 'signed'",
     f"tpi-notes: this procedure session {LOCKED}"),
    ("trg_procedure_session_delete_locked", "procedure_session", "DELETE", "OLD.status = 'signed'",
     f"tpi-notes: this procedure session {LOCKED}; it cannot be deleted"),
    *_content_rules(),
    ("trg_addendum_insert_unsigned", "addendum", "INSERT",
     "(SELECT status FROM procedure_session WHERE id = NEW.session_id) IS NOT 'signed'",
     "tpi-notes: an addendum is added to a signed session only; a draft is edited instead"),
    ("trg_addendum_update_locked", "addendum", "UPDATE", "1",
     "tpi-notes: an addendum is a signed record; it cannot be changed"),
    ("trg_addendum_delete_locked", "addendum", "DELETE", "1",
     "tpi-notes: an addendum is a signed record; it cannot be deleted"),
    ("trg_audit_event_update_locked", "audit_event", "UPDATE", "1",
     "tpi-notes: the audit trail is append-only; an event cannot be changed"),
    ("trg_audit_event_delete_locked", "audit_event", "DELETE", "1",
     "tpi-notes: the audit trail is append-only; an event cannot be deleted"),
]


def _sqlite_upgrade() -> None:
    for name, table, event, condition, message in SQLITE_RULES:
        assert "'" not in message
        op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW WHEN {condition} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _sqlite_downgrade() -> None:
    for name, *_ in reversed(SQLITE_RULES):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


# PostgreSQL: one plpgsql function per rule, attached to its tables. Errors use SQLSTATE 23000
# (integrity_constraint_violation), so drivers raise IntegrityError as on SQLite.
def _pg_refuse(message: str, *args: str) -> str:
    extra = "".join(f", {a}" for a in args)
    return f"RAISE EXCEPTION '{message}'{extra} USING ERRCODE = '23000';"


def _pg_content_body(signed: str) -> str:
    """Refuse when the old row (UPDATE, DELETE) or the new row (INSERT, UPDATE) belongs to a signed session."""
    refuse = _pg_refuse(f"tpi-notes: this % row belongs to a session that {LOCKED}", "TG_TABLE_NAME")
    return f"""
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF {signed.format(row="OLD")} THEN {refuse} END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF {signed.format(row="NEW")} THEN {refuse} END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;"""


PG_FUNCTIONS = {
    "tpi_lock_signed_session": f"""
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'signed' THEN
            {_pg_refuse("tpi-notes: a procedure session cannot be inserted already signed; save it as a draft, "
                        "then sign it")}
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status = 'signed' THEN {_pg_refuse(f"tpi-notes: procedure session % {LOCKED}", "OLD.id")} END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;""",
    "tpi_lock_signed_content": _pg_content_body(SESSION_SIGNED),
    "tpi_lock_signed_component": _pg_content_body(COMPONENT_SIGNED),
    "tpi_lock_addendum": f"""
    IF TG_OP = 'INSERT' THEN
        IF (SELECT status FROM procedure_session WHERE id = NEW.session_id) IS DISTINCT FROM 'signed' THEN
            {_pg_refuse("tpi-notes: an addendum is added to a signed session only; a draft is edited instead")}
        END IF;
        RETURN NEW;
    END IF;
    {_pg_refuse("tpi-notes: an addendum is a signed record; it cannot be changed or deleted")}""",
    "tpi_lock_audit_event": f"""
    {_pg_refuse("tpi-notes: the audit trail is append-only; an event cannot be changed or deleted")}""",
}
# (trigger name, table, events, function); TRUNCATE bypasses row triggers, so it is refused per statement.
PG_TRIGGERS = [
    ("trg_procedure_session_locked", "procedure_session", "INSERT OR UPDATE OR DELETE", "tpi_lock_signed_session"),
    *[(f"trg_{t}_locked", t, "INSERT OR UPDATE OR DELETE", "tpi_lock_signed_content")
      for t in ("site", "preparation", "session_diagnosis", "session_finding")],
    ("trg_preparation_component_locked", "preparation_component", "INSERT OR UPDATE OR DELETE",
     "tpi_lock_signed_component"),
    ("trg_addendum_locked", "addendum", "INSERT OR UPDATE OR DELETE", "tpi_lock_addendum"),
    ("trg_audit_event_locked", "audit_event", "UPDATE OR DELETE", "tpi_lock_audit_event"),
]
PG_NO_TRUNCATE = ("procedure_session", "site", "preparation", "preparation_component", "session_diagnosis",
                  "session_finding", "addendum", "audit_event")


def _pg_upgrade() -> None:
    for name, body in PG_FUNCTIONS.items():
        op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN{body}\nEND;\n$$")
    for name, table, events, function in PG_TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} BEFORE {events} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()")
    op.execute("CREATE OR REPLACE FUNCTION tpi_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
               "    RAISE EXCEPTION 'tpi-notes: % cannot be truncated (signed records and the audit trail are kept)',"
               " TG_TABLE_NAME USING ERRCODE = '23000';\nEND;\n$$")
    for table in PG_NO_TRUNCATE:
        op.execute(f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION tpi_refuse_truncate()")


def _pg_downgrade() -> None:
    for table in PG_NO_TRUNCATE:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_truncate ON {table}")
    for name, table, _events, _function in PG_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for name in (*PG_FUNCTIONS, "tpi_refuse_truncate"):
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _pg_upgrade()
    else:  # pragma: no cover - the product supports SQLite and PostgreSQL only
        raise NotImplementedError(f"signed-session locks are not written for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_downgrade()
    elif dialect == "postgresql":
        _pg_downgrade()
