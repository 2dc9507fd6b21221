"""outcomes: functional scales per session and the response to an earlier session per muscle (issue 17)

Two new tables of session content (db/models/outcomes.py): ``session_scale`` (PEG-3 by default, NDI/ODI when the
clinic enables them: the items as recorded, the score kept for the clinic report's SQL aggregates, when and by whom)
and ``prior_response`` (relief % and weeks per muscle and side of an earlier session). Like the session's other
children they are locked once the session is signed (the triggers of migration 0003, same messages). Nothing
existing changes: no session has rows in them, so every signature made before verifies unchanged.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

TABLES = ("session_scale", "prior_response")
LOCKED = "is signed and locked; changes are made as addenda"
SIGNED = "(SELECT status FROM procedure_session WHERE id = {row}.session_id) = 'signed'"


def _sqlite_triggers() -> None:
    for table in TABLES:
        message = f"tpi-notes: this {table} row belongs to a session that {LOCKED}"
        for name, event, condition in (
            (f"trg_{table}_insert_locked", "INSERT", SIGNED.format(row="NEW")),
            (f"trg_{table}_update_locked", "UPDATE", f"{SIGNED.format(row='OLD')} OR {SIGNED.format(row='NEW')}"),
            (f"trg_{table}_delete_locked", "DELETE", SIGNED.format(row="OLD")),
        ):
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW WHEN {condition} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def upgrade() -> None:
    op.create_table(
        "session_scale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("scale", sa.String(length=8), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("measured_at", sa.DateTime(), nullable=True),
        sa.Column("measured_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("scale IN ('peg', 'ndi', 'odi')", name=op.f("ck_session_scale_scale")),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name=op.f("ck_session_scale_score")),
        sa.ForeignKeyConstraint(["measured_by_id"], ["app_user.id"],
                                name=op.f("fk_session_scale_measured_by_id_app_user"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["session_id"], ["procedure_session.id"],
                                name=op.f("fk_session_scale_session_id_procedure_session"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_scale")),
        sa.UniqueConstraint("session_id", "scale", name=op.f("uq_session_scale_session_id_scale")),
    )
    op.create_index("ix_session_scale_scale_session", "session_scale", ["scale", "session_id", "score"])
    op.create_table(
        "prior_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("prior_session_id", sa.Integer(), nullable=False),
        sa.Column("muscle_id", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=1), nullable=False),
        sa.Column("relief_pct", sa.Integer(), nullable=True),
        sa.Column("duration_weeks", sa.Integer(), nullable=True),
        sa.Column("lasting", sa.Boolean(), nullable=False),
        sa.CheckConstraint("side IN ('L', 'R')", name=op.f("ck_prior_response_side")),
        sa.CheckConstraint("relief_pct IS NULL OR (relief_pct >= 0 AND relief_pct <= 100)",
                           name=op.f("ck_prior_response_relief_pct")),
        sa.CheckConstraint("duration_weeks IS NULL OR (duration_weeks >= 0 AND duration_weeks <= 520)",
                           name=op.f("ck_prior_response_duration_weeks")),
        sa.CheckConstraint("prior_session_id <> session_id", name=op.f("ck_prior_response_not_itself")),
        sa.ForeignKeyConstraint(["prior_session_id"], ["procedure_session.id"],
                                name=op.f("fk_prior_response_prior_session_id_procedure_session"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["session_id"], ["procedure_session.id"],
                                name=op.f("fk_prior_response_session_id_procedure_session"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prior_response")),
        sa.UniqueConstraint("session_id", "prior_session_id", "muscle_id", "side",
                            name=op.f("uq_prior_response_session_id_prior_session_id_muscle_id_side")),
    )
    op.create_index("ix_prior_response_prior", "prior_response", ["prior_session_id", "muscle_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":  # the content lock function of migration 0003
        for table in TABLES:
            op.execute(f"CREATE TRIGGER trg_{table}_locked BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION tpi_lock_signed_content()")
            op.execute(f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION tpi_refuse_truncate()")


def downgrade() -> None:
    # Refuse to drop what a signed note was signed with (as 0012, 0015 and 0017 do).
    conn = op.get_bind()
    signed = conn.scalar(sa.text(
        "SELECT COUNT(*) FROM procedure_session ps WHERE ps.status = 'signed' AND ("
        "EXISTS (SELECT 1 FROM session_scale x WHERE x.session_id = ps.id) OR "
        "EXISTS (SELECT 1 FROM prior_response r WHERE r.session_id = ps.id))"))
    if signed:
        raise RuntimeError(f"{signed} signed notes carry outcomes (PEG or response to earlier injections) under "
                           "their signature; this clinic cannot go back before migration 0022.")
    # Dropping a table drops its triggers (SQLite and PostgreSQL).
    op.drop_index("ix_prior_response_prior", table_name="prior_response")
    op.drop_table("prior_response")
    op.drop_index("ix_session_scale_scale_session", table_name="session_scale")
    op.drop_table("session_scale")
