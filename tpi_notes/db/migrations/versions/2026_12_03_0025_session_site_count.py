"""a session's site count, kept on its row (issue 19)

``procedure_session.site_count``: how many ``site`` rows the session has, written by every save of a draft
(db/repositories/session_writer.py) and by the demo, so the history sorted by Sites reads the first page off
``ix_procedure_session_sites`` (site_count, performed_start, id) instead of counting the sites of every session
(0.9–1.9 s at 300,000 sessions, on the window's thread). A signed session's sites never change, so neither
does its count.

Backfilled with one UPDATE. The lock trigger of 0003 refuses any UPDATE of a signed session, so on SQLite it is
dropped for that statement and created again from its own stored text (exactly as it was); on PostgreSQL it is
disabled and enabled again, in the same transaction. Plain ADD COLUMN (no table rebuild), so every other
trigger stays. The downgrade drops the index and the column (a derived count, under no signature). The UPDATE
rewrites every session row with sites: 333 s wall, 55 s CPU at 1,000,000 sessions (6.5 GB) on a busy 2-core machine.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# The count of every session that has sites (the others keep the column's default, 0).
_BACKFILL = ("UPDATE procedure_session SET site_count = "
             "(SELECT count(*) FROM site WHERE site.session_id = procedure_session.id) "
             "WHERE id IN (SELECT session_id FROM site)")
_SQLITE_LOCK = "trg_procedure_session_update_locked"  # 0003: refuses an UPDATE of a signed session
_PG_LOCK = "trg_procedure_session_locked"


def upgrade() -> None:
    op.add_column("procedure_session",
                  sa.Column("site_count", sa.Integer(), server_default="0", nullable=False))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        lock = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
                            {"name": _SQLITE_LOCK}).scalar()
        if lock:
            op.execute(f"DROP TRIGGER {_SQLITE_LOCK}")
        op.execute(_BACKFILL)
        if lock:
            op.execute(lock)
    elif bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE procedure_session DISABLE TRIGGER {_PG_LOCK}")
        op.execute(_BACKFILL)
        op.execute(f"ALTER TABLE procedure_session ENABLE TRIGGER {_PG_LOCK}")
    else:  # pragma: no cover - the product supports SQLite and PostgreSQL only
        op.execute(_BACKFILL)
    op.create_index("ix_procedure_session_sites", "procedure_session", ["site_count", "performed_start", "id"])


def downgrade() -> None:
    op.drop_index("ix_procedure_session_sites", table_name="procedure_session")
    op.drop_column("procedure_session", "site_count")
