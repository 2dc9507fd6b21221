"""patient search tokens (issue 19)

``patient_search_token`` (db/models/search_token.py): one row per word a patient is found by, tagged: each word
of the folded ``search_key`` (``n:garcia``), the MRN with its ASCII letters lower-cased (``m:ab-12``), the date of
birth (``b:1975-06-30``). The patient search and the history's patient filter then read a typed word as one
range of the primary key instead of a LIKE over every patient (41 ms per keystroke at 10,000 patients).
WITHOUT ROWID on SQLite: the key is the row. On PostgreSQL the token compares bytewise (``COLLATE "C"``).

Backfilled here from the stored columns alone (``search_key`` is already folded), so no rule of today's Python is
imported; the same derivation is db/repositories/patient_tokens.py's ``tokens``. Derived data, under no
signature: the downgrade drops the table.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_BATCH = 20_000


def _tokens(search_key: str, mrn: str, birth: object) -> set[str]:
    found = {"n:" + word for word in search_key.split()}
    found.add("m:" + mrn.translate(_ASCII_LOWER))
    found.add("b:" + str(birth)[:10])  # a date on PostgreSQL, its ISO text on SQLite
    return found


def upgrade() -> None:
    token = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
    table = op.create_table(
        "patient_search_token",
        sa.Column("token", token, nullable=False),
        sa.Column("patient_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_patient_search_token_patient_id_patient"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token", "patient_id", name=op.f("pk_patient_search_token")),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    rows = [{"token": t, "patient_id": pid}
            for pid, key, mrn, birth in bind.execute(sa.text("SELECT id, search_key, mrn, birth_date FROM patient"))
            for t in _tokens(key, mrn, birth)]
    rows.sort(key=lambda r: (r["token"], r["patient_id"]))  # in key order: each page is written once
    for start in range(0, len(rows), _BATCH):
        bind.execute(table.insert(), rows[start:start + _BATCH])
    op.create_index(op.f("ix_patient_search_token_patient_id"), "patient_search_token", ["patient_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_patient_search_token_patient_id"), table_name="patient_search_token")
    op.drop_table("patient_search_token")
