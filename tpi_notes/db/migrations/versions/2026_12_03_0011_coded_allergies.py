"""coded allergies

Coded allergies (issue 13 item 1): ``patient.allergies`` (JSON) turns from a list of strings into a list of
entries ``{"substance", "kind", "reaction", "recorded_by", "recorded_at"}`` (domain/allergies.py). Each
existing string becomes one entry: the substance exactly as typed, kind "allergy" (the list never said
otherwise), no reaction, ``recorded_by`` "migrated" and ``recorded_at`` the patient's ``updated_at`` (who typed
it and when are not known). What a substance resolves to is not stored: the app works it out when it reads the
entry, from resources/rules/allergens.json, so a better synonym list codes old entries too.

The column keeps its name and type (no rebuild). Signed sessions keep their signed context untouched: a
version 2 or 3 context holds the plain list, which still hashes as it did. The downgrade writes the substances
back as the plain list (kinds and reactions are lost).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _stored(value: object) -> list:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value] if value.strip() else []
    return list(value or [])


def _entries(value: object, when: object) -> list[dict]:
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    stamp = when.replace(microsecond=0).isoformat() if isinstance(when, datetime) else None
    out = []
    for item in _stored(value):
        if isinstance(item, dict):
            out.append(item)
        elif str(item).strip():
            out.append({"substance": str(item).strip(), "kind": "allergy", "reaction": "",
                        "recorded_by": "migrated", "recorded_at": stamp})
    return out


def _texts(value: object) -> list[str]:
    out = []
    for item in _stored(value):
        text = item.get("substance", "") if isinstance(item, dict) else item
        if str(text).strip():
            out.append(str(text))
    return out


def _rewrite(convert) -> None:  # noqa: ANN001 - (allergies, updated_at) -> new allergies
    bind = op.get_bind()
    patient = sa.table("patient", sa.column("id"), sa.column("allergies", sa.JSON()))
    rows = bind.execute(sa.text("SELECT id, allergies, updated_at FROM patient")).all()
    for row in rows:
        if _stored(row.allergies):
            bind.execute(patient.update().where(patient.c.id == row.id)
                         .values(allergies=convert(row.allergies, row.updated_at)))


def upgrade() -> None:
    _rewrite(_entries)


def downgrade() -> None:
    _rewrite(lambda value, _when: _texts(value))
