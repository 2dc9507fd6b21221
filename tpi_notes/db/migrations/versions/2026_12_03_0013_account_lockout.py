"""account lockout

Issue 14 item 5: a lockout that cannot be turned against the clinic.
- ``app_user.locked_at``: when repeated wrong passwords locked the account (NULL: not locked). The lock used to be
  ``failed_attempts >= 5``; the last active administrator is now never locked by failures, only slowed down, so
  the lock is a fact of its own. Accounts at 5 or more failures are locked as of the upgrade.
- ``app_user.next_attempt_at``: the earliest time (UTC) another password is taken for the account after
  wrong ones (the growing delay); NULL: at once.

Plain ADD COLUMN (app_user carries no lock trigger).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_LOCK_AFTER = 5  # services/accounts.py MAX_FAILED_ATTEMPTS when this revision was written (a frozen copy)


def upgrade() -> None:
    op.add_column("app_user", sa.Column("locked_at", sa.DateTime(), nullable=True))
    op.add_column("app_user", sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
    op.execute(sa.text("UPDATE app_user SET locked_at = CURRENT_TIMESTAMP WHERE failed_attempts >= :n")
               .bindparams(n=_LOCK_AFTER))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("next_attempt_at")
        batch.drop_column("locked_at")
