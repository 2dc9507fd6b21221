"""The JSON Lines export (product.md §8): one session per line, every field of §8, UTF-8, no BOM.

Times are ISO 8601 with the UTC offset of the clinic's wall clock; dates are YYYY-MM-DD; absent values are null
(never left out), so every line has every key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import tzinfo
from typing import Any

from tpi_notes.domain.export_records import ExportRecord, local_iso
from tpi_notes.domain.history_answers import nullable
from tpi_notes.domain.none_answers import named_or_empty

# Characters JSON may leave raw but str.splitlines() and some readers treat as line ends: escaped, so one
# session is always exactly one line whatever a note contains.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def session_json(record: ExportRecord, zone: tzinfo | None = None) -> dict[str, Any]:
    """The JSON object of one session (key order as in docs/export-format.md)."""
    s = record.session
    p = s.patient
    coding = record.coding
    return {
        "session_id": s.id,
        "performed_at": local_iso(s.performed_start, zone),
        "performed_end": local_iso(s.performed_end, zone),
        "status": s.status,
        "signed_by": s.signed_by.label if s.signed_by else None,
        "signed_at": local_iso(s.signed_at, zone),
        "content_sha256": s.content_sha256,
        "location": s.location,
        "patient": {
            "mrn": p.mrn, "family_name": p.family_name, "given_name": p.given_name,
            "birth_date": p.birth_date.isoformat(), "sex": p.sex, "weight_kg": p.weight_kg,
            # true / false / null: false only when answered "no", null when never asked
            "diabetes": nullable(p.history, "diabetes") if p.history else p.diabetes,
            "anticoagulant": named_or_empty(p.anticoagulant) or None,
            "pregnant": nullable(p.history, "pregnant") if p.history else p.pregnant,
            "breastfeeding": nullable(p.history, "breastfeeding") if p.history else p.breastfeeding,
            "history": p.history,
        },
        "physician": s.physician.label if s.physician else None,
        "assistant": s.assistant.label if s.assistant else None,
        "indication": s.indication,
        "diagnoses": [{"code": d.code, "display": d.display} for d in s.diagnoses],
        "sites": [{
            "number": site.number, "view": site.view, "x": site.x, "y": site.y, "region_code": site.region_code,
            "muscle_id": site.muscle_id, "muscle": site.muscle, "side": site.side, "technique": site.technique,
            "volume_ml": site.volume_ml, "preparation": site.preparation_label,
            "e_stim": None if site.estim is None else {
                "frequency_hz": site.estim.frequency_hz, "pulse_width_us": site.estim.pulse_width_us,
                "intensity_ma": site.estim.intensity_ma, "minutes": site.estim.minutes,
                "attended": site.estim.attended,
            },
        } for site in s.sites],
        "medications": [{
            "name": m.name, "code": m.item_code, "class": m.agent_class,
            "concentration_mg_per_ml": m.concentration_mg_per_ml, "total_ml": m.total_ml, "total_mg": m.total_mg,
            "lot": m.lot or None, "expires": m.expires.isoformat() if m.expires else None,
        } for m in record.medications],
        "codes": {
            "cpt": [c.code for c in coding.cpt],
            "cpt_lines": [{"code": c.code, "units": c.units, "modifiers": list(c.modifiers)} for c in coding.cpt],
            "hcpcs": [{"code": c.code, "units": c.units, "modifiers": list(c.modifiers)} for c in coding.hcpcs],
            "icd10": list(coding.icd10),
            "notes": list(coding.notes),
        },
        "pain_before": s.pain_before,
        "pain_after": s.pain_after,
        "relief_pct": s.relief_pct,
        "complications": s.complications,
        "follow_up": s.follow_up,
        "findings": [{
            "code": f.code, "severity": f.severity, "message": f.message, "subject": f.subject,
            "override_reason": f.override_reason or None,
        } for f in s.findings],
        "addenda": [{
            "kind": a.kind, "text": a.text, "author": a.author, "created_at": local_iso(a.created_at, zone),
            "content_sha256": a.content_sha256,
        } for a in s.addenda],
    }


class JsonLinesWriter:
    """Bytes for a JSON Lines export: nothing before or after, one line per session."""

    media_type = "application/x-ndjson"

    def __init__(self, zone: tzinfo | None = None) -> None:
        self.zone = zone

    def begin(self) -> bytes:
        return b""

    def rows(self, records: Iterable[ExportRecord]) -> bytes:
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        lines = (dumps(session_json(r, self.zone)).translate(_LINE_BREAKS) + "\n" for r in records)
        return "".join(lines).encode("utf-8")

    def end(self) -> bytes:
        return b""
