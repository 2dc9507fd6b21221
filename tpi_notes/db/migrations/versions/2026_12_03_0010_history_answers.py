"""history answers

"Not asked" is not "no" (issue 13 item 2): ``patient.history`` (JSON) holds each history item's answer,
``{"item": {"state": "yes"|"no"|"unknown", "recorded_by": ..., "recorded_at": ...}}``; an item missing from it
is unknown.

Existing data is migrated honestly. A stored False (diabetes, pregnant ...) or an empty allergy list cannot be
told from a question never asked, so it becomes unknown (left out). A True, a non-empty allergy list or a named
anticoagulant is a recorded "yes"; who recorded it and when are not known, so ``recorded_by`` is "migrated" and
``recorded_at`` the patient's ``updated_at``. An anticoagulant typed as a word meaning none ("None", "n/a") was
an answer someone gave: a "no", stamped the same way. The words are a frozen copy of
resources/rules/none-answers.json as of this revision (a migration never changes with the app's data).

Plain ADD COLUMN on ``patient`` (no rebuild; no lock trigger names it). Signed sessions keep their signed
context untouched: what content version 2 hashed is what it hashes after the upgrade.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_BOOLEANS = ("bleeding_disorder", "diabetes", "pregnant", "breastfeeding", "immunosuppressed", "implanted_device")
_NONE_WORDS = (
    "none", "no", "nil", "nada", "n/a", "na", "not applicable", "none known", "none reported", "no known",
    "not on any", "not on anticoagulants", "not on blood thinners", "no anticoagulant", "no anticoagulants",
    "no blood thinner", "no blood thinners", "denies", "denied", "ninguno", "ninguna", "no toma",
)


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " "
                   for ch in decomposed.casefold() if not unicodedata.combining(ch))
    return " ".join(kept.split())


_NONE_KEYS = {_key(w) for w in _NONE_WORDS} | {_key(w).replace(" ", "") for w in _NONE_WORDS}


def _allergy_list(value: object) -> list:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value] if value.strip() else []
    return [a for a in (value or []) if str(a).strip()]


def _history(row: sa.Row) -> dict:
    when = row.updated_at
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    stamp = {"recorded_by": "migrated", "recorded_at": when.replace(microsecond=0).isoformat() if when else None}
    out = {}
    if _allergy_list(row.allergies):
        out["allergies"] = {"state": "yes", **stamp}
    drug = (row.anticoagulant or "").strip()
    if drug:
        key = _key(drug)
        none = not key or key in _NONE_KEYS or key.replace(" ", "") in _NONE_KEYS
        out["anticoagulant"] = {"state": "no" if none else "yes", **stamp}
    for name in _BOOLEANS:
        if getattr(row, name) in (True, 1, "1"):
            out[name] = {"state": "yes", **stamp}
    return out


def upgrade() -> None:
    op.add_column("patient", sa.Column("history", sa.JSON(), nullable=True))
    bind = op.get_bind()
    patient = sa.table("patient", sa.column("id"), sa.column("history", sa.JSON()))
    rows = bind.execute(sa.text(
        "SELECT id, updated_at, allergies, anticoagulant, " + ", ".join(_BOOLEANS) + " FROM patient")).all()
    for row in rows:
        bind.execute(patient.update().where(patient.c.id == row.id).values(history=_history(row)))


def downgrade() -> None:
    # Batch mode: SQLite rebuilds the table (patient carries no lock trigger); PostgreSQL drops the column.
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_column("history")
