"""history indexes

The history browser filters and counts 100,000 sessions within 100 ms (product.md §11). Its filters on a
session's sites and syringes read session ids straight from covering indexes; a physician's or a
status's sessions come in date order from their own index. Two single-column indexes that the new ones
(or a unique constraint) make redundant are dropped, so writing a session does not get slower.

Plain CREATE/DROP INDEX (no table rebuild), so the locking triggers of 0003 stay in place.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (physician_id, performed_start) serves the foreign key as well as ix_procedure_session_physician_id did.
    op.drop_index("ix_procedure_session_physician_id", table_name="procedure_session")
    op.create_index("ix_procedure_session_physician", "procedure_session", ["physician_id", "performed_start"])
    op.create_index("ix_procedure_session_status", "procedure_session", ["status", "performed_start"])
    op.create_index("ix_preparation_component_item", "preparation_component", ["item_id", "preparation_id"])
    # (muscle_id, side) was never searched by side; the unique (session_id, number) serves site.session_id.
    op.drop_index("ix_site_muscle", table_name="site")
    op.drop_index("ix_site_session_id", table_name="site")
    op.create_index("ix_site_muscle_session", "site", ["muscle_id", "session_id"])
    op.create_index("ix_site_technique_session", "site", ["technique", "session_id"])


def downgrade() -> None:
    op.drop_index("ix_site_technique_session", table_name="site")
    op.drop_index("ix_site_muscle_session", table_name="site")
    op.create_index("ix_site_session_id", "site", ["session_id"])
    op.create_index("ix_site_muscle", "site", ["muscle_id", "side"])
    op.drop_index("ix_preparation_component_item", table_name="preparation_component")
    op.drop_index("ix_procedure_session_status", table_name="procedure_session")
    op.drop_index("ix_procedure_session_physician", table_name="procedure_session")
    op.create_index("ix_procedure_session_physician_id", "procedure_session", ["physician_id"])
