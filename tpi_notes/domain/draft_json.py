"""SessionDraft to and from plain JSON-ready dicts (for the recovery journal and templates)."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Any

from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.findings import FindingOverride
from tpi_notes.domain.outcomes import PriorResponse, ScaleScore
from tpi_notes.domain.session import Component, Diagnosis, EStim, ExamFinding, Preparation, Site

_DATETIMES = ("performed_start", "performed_end", "timeout_at")


def to_plain(value: Any) -> Any:
    """Dates as ISO strings, tuples as lists: ready for json.dumps."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def draft_to_dict(draft: SessionDraft) -> dict[str, Any]:
    return to_plain(asdict(draft))


def site_from_dict(raw: dict[str, Any]) -> Site:
    values = dict(raw)
    values["estim"] = EStim(**values["estim"]) if values.get("estim") else None
    return Site(**values)


def preparation_from_dict(raw: dict[str, Any]) -> Preparation:
    components = []
    for c in raw["components"]:
        c = dict(c)
        c["lot_expiry"] = date.fromisoformat(c["lot_expiry"]) if c.get("lot_expiry") else None
        components.append(Component(**c))
    return Preparation(raw["label"], tuple(components))


def draft_from_dict(raw: dict[str, Any]) -> SessionDraft:
    known = {f.name for f in fields(SessionDraft)}
    values = {k: v for k, v in raw.items() if k in known}
    for key in _DATETIMES:
        if values.get(key):
            values[key] = datetime.fromisoformat(values[key])
    values["diagnoses"] = tuple(Diagnosis(**d) for d in values.get("diagnoses", ()))
    values["exam_findings"] = tuple(ExamFinding(**f) for f in values.get("exam_findings", ()))
    values["consent_risks"] = tuple(values.get("consent_risks", ()))
    values["carried_fields"] = tuple(values.get("carried_fields", ()))
    values["preparations"] = tuple(preparation_from_dict(p) for p in values.get("preparations", ()))
    values["sites"] = tuple(site_from_dict(s) for s in values.get("sites", ()))
    values["overrides"] = tuple(FindingOverride(**o) for o in values.get("overrides", ()))
    values["scales"] = tuple(ScaleScore(x["scale"], tuple(x["items"]),
                                        datetime.fromisoformat(x["measured_at"]) if x.get("measured_at") else None,
                                        x.get("measured_by_id"), x.get("measured_by", ""))
                             for x in values.get("scales", ()))
    values["prior_responses"] = tuple(PriorResponse(**r) for r in values.get("prior_responses", ()))
    return SessionDraft(**values)
