"""patient follow-up and aftercare prints

The patient's copy (issue 13 item 6):
- ``procedure_session.follow_up_in``: the patient-facing follow-up, a code ("2w", "3m", "as_needed", "none"
  ...) or an ISO date; "" is not set. The aftercare sheet words it in the patient's language; the clinician's
  free-text ``follow_up`` stays on the note only. A signature covers it only when it is set
  (domain/signing.py), so every existing signature (all "" after this upgrade) verifies unchanged.
- ``aftercare_print``: one row per aftercare sheet printed (language, large print, text version), each backed
  by its audit event, which gives the time and who printed it. The note reads them, so a sheet printed after
  signing shows on the note without changing the signed content. Prints audited before this revision
  ("aftercare sheet, library version V (...), language L[, large print]") are taken over from the trail.

Plain ADD COLUMN on ``procedure_session`` (no rebuild), so the lock triggers of 0003 stay in place.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The detail services/documents.py wrote for an aftercare print up to this revision (a frozen copy).
_OLD_DETAIL = re.compile(r"^aftercare sheet, library version (?P<version>\S+) \(.*\), language (?P<lang>[^,\s]+)"
                         r"(?P<large>, large print)?$")


def upgrade() -> None:
    op.add_column("procedure_session",
                  sa.Column("follow_up_in", sa.String(length=16), server_default="", nullable=False))
    op.create_table(
        "aftercare_print",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("audit_event_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=16), nullable=False),
        sa.Column("large_print", sa.Boolean(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["audit_event_id"], ["audit_event.id"],
                                name=op.f("fk_aftercare_print_audit_event_id_audit_event"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["session_id"], ["procedure_session.id"],
                                name=op.f("fk_aftercare_print_session_id_procedure_session"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftercare_print")),
        sa.UniqueConstraint("audit_event_id", name=op.f("uq_aftercare_print_audit_event_id")),
    )
    op.create_index(op.f("ix_aftercare_print_session_id"), "aftercare_print", ["session_id"], unique=False)
    bind = op.get_bind()
    sessions = {row[0] for row in bind.execute(sa.text("SELECT id FROM procedure_session"))}
    table = sa.table("aftercare_print", sa.column("session_id"), sa.column("audit_event_id"), sa.column("lang"),
                     sa.column("large_print", sa.Boolean()), sa.column("version"))
    rows = []
    for event_id, session_id, detail in bind.execute(sa.text(
            "SELECT id, entity_id, detail FROM audit_event WHERE action = 'print' AND entity = 'session' "
            "AND detail LIKE 'aftercare sheet, %' ORDER BY id")):
        found = _OLD_DETAIL.match(detail or "")
        if found and session_id in sessions:
            rows.append({"session_id": session_id, "audit_event_id": event_id, "lang": found["lang"][:16],
                         "large_print": bool(found["large"]), "version": found["version"][:32]})
    if rows:
        bind.execute(table.insert(), rows)


def downgrade() -> None:
    kept = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM procedure_session WHERE status = 'signed' AND follow_up_in <> ''")).scalar_one()
    if kept:
        raise RuntimeError(f"{kept} sessions were signed with a patient follow-up; dropping it would break their "
                           "signatures. Restore a backup from before revision 0012 instead.")
    op.drop_index(op.f("ix_aftercare_print_session_id"), table_name="aftercare_print")
    op.drop_table("aftercare_print")
    op.drop_column("procedure_session", "follow_up_in")
