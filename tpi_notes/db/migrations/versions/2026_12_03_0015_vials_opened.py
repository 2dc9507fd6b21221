"""vials opened per syringe component

Drug waste per vial opened (issue 15 item 1): ``preparation_component.vials_opened`` is how many single-dose
vials the component was drawn from; NULL (every existing row) means "as many as the volume drawn needs", which
is how JW/JZ are worked out for it (domain/drug_waste.py). The signature covers it only when it is set
(domain/signing.py), so every existing signature verifies unchanged.

Plain ADD COLUMN (no table rebuild), so the lock triggers of 0003 stay in place.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("preparation_component", sa.Column("vials_opened", sa.Integer(), nullable=True))


def downgrade() -> None:
    kept = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM preparation_component c JOIN preparation p ON p.id = c.preparation_id "
        "JOIN procedure_session s ON s.id = p.session_id "
        "WHERE s.status = 'signed' AND c.vials_opened IS NOT NULL")).scalar_one()
    if kept:
        raise RuntimeError(f"{kept} signed syringe components record the vials opened; dropping them would break "
                           "their signatures. Restore a backup from before revision 0015 instead.")
    op.drop_column("preparation_component", "vials_opened")
