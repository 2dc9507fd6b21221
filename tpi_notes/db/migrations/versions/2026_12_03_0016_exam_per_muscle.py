"""exam findings per muscle and side

Issue 15 item 3: a trigger-point finding belongs to the muscle treated (a site's deep alternative included), not
to the surface region it was reached through. ``procedure_session.exam_findings`` (JSON) gains ``muscle_id`` and
``side`` on every draft: the muscle of the session's site in that region, the i-th finding of a region going to the
i-th distinct muscle and side of the sites in it (site order) — exactly the row the editor showed it on — or, with
no site left there, the region's own muscle and side. Nothing recorded is dropped and ``region_code`` stays.

Signed sessions are left as they were signed (their lock trigger refuses the change, and their hash covers the
findings as stored): the app reads their region-keyed findings the same way (domain/exam.py ``by_muscle``).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _keyed(findings: list[dict], sites: list[tuple[str, str, str]]) -> list[dict]:
    per_region: dict[str, list[tuple[str, str]]] = {}
    first: dict[tuple[str, str], str] = {}
    for region, muscle_id, side in sites:
        first.setdefault((muscle_id, side), region)
    for key, region in first.items():
        per_region.setdefault(region, []).append(key)
    for region, muscle_id, side in sites:
        keys = per_region.setdefault(region, [])
        if (muscle_id, side) not in keys:
            keys.append((muscle_id, side))
    used: dict[str, int] = {}
    out = []
    for finding in findings:
        if finding.get("muscle_id"):
            out.append(finding)
            continue
        region = str(finding.get("region_code", ""))
        parts = region.split(".")
        keys = per_region.get(region) or [(parts[1], parts[2]) if len(parts) == 3 else (region, "")]
        n = used.get(region, 0)
        used[region] = n + 1
        muscle_id, side = keys[min(n, len(keys) - 1)]
        out.append({**finding, "muscle_id": muscle_id, "side": side})
    return out


def upgrade() -> None:
    conn = op.get_bind()
    drafts = conn.execute(sa.text("SELECT id, exam_findings FROM procedure_session WHERE status = 'draft'")).all()
    for session_id, raw in drafts:
        findings = json.loads(raw) if isinstance(raw, str) else (raw or [])
        if not findings:
            continue
        sites = [tuple(r) for r in conn.execute(sa.text(
            "SELECT region_code, muscle_id, side FROM site WHERE session_id = :id ORDER BY number"),
            {"id": session_id})]
        conn.execute(sa.text("UPDATE procedure_session SET exam_findings = :f WHERE id = :id"),
                     {"f": json.dumps(_keyed(findings, sites)), "id": session_id})


def downgrade() -> None:
    # Back to region-keyed findings on drafts (the jump sign had no place before: it goes).
    conn = op.get_bind()
    drafts = conn.execute(sa.text("SELECT id, exam_findings FROM procedure_session WHERE status = 'draft'")).all()
    for session_id, raw in drafts:
        findings = json.loads(raw) if isinstance(raw, str) else (raw or [])
        if findings:
            old = [{k: v for k, v in f.items() if k not in ("muscle_id", "side", "jump_sign")} for f in findings]
            conn.execute(sa.text("UPDATE procedure_session SET exam_findings = :f WHERE id = :id"),
                         {"f": json.dumps(old), "id": session_id})
