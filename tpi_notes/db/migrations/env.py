"""Alembic environment: runs on the connection tpi_notes.db.migrate hands it."""

from __future__ import annotations

from alembic import context

from tpi_notes.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the programmatic runner is supported
    raise RuntimeError("Run migrations through tpi_notes.db.migrate, which supplies the connection.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite has no real ALTER TABLE: batch mode rebuilds a table to change it.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
