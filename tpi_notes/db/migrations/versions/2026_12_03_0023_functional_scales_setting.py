"""functional scales besides PEG-3 (issue 17 item 1)

- ``clinic_settings.functional_scales``: ``none``, ``ndi``, ``odi`` or ``both``: which of the Neck and the Oswestry
  Disability Index the editor's Outcomes tab offers beside the PEG-3. Existing clinics get ``none`` (PEG-3 only, as
  before). The scores themselves are ``session_scale`` rows (0022), signed with the session.

A preference, not part of any signed content, so the downgrade may drop it.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("clinic_settings", sa.Column("functional_scales", sa.String(length=8), server_default="none",
                                               nullable=False))


def downgrade() -> None:
    op.execute("ALTER TABLE clinic_settings DROP COLUMN functional_scales")
