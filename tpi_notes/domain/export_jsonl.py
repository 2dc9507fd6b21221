"""The JSON Lines export (product.md §8): one session per line, every field of §8, UTF-8, no BOM.

Times are ISO 8601 with the UTC offset of the clinic's wall clock; dates are YYYY-MM-DD; absent values are null
(never left out), so every line has every key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import tzinfo
from typing import Any

from tpi_notes.domain.coding import Coding
from tpi_notes.domain.export_records import ExportPatient, ExportRecord, local_iso
from tpi_notes.domain.history_answers import nullable
from tpi_notes.domain.ndc import billing_ndc
from tpi_notes.domain.none_answers import named_or_empty
from tpi_notes.domain.outcomes_export import peg_json, responses_json, scales_json

# Characters JSON may leave raw but str.splitlines() and some readers treat as line ends: escaped, so one
# session is always exactly one line whatever a note contains.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _escaped(text: str) -> str:
    """``text`` with those characters escaped; ``str.translate`` walks the whole line in Python-level lookups
    (a third of an export's time), so it runs only on the rare line that holds one."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        return text.translate(_LINE_BREAKS)
    return text


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
            # the rest of the record a rule reads (issue 13 item 7, `tpi-notes assess`)
            "weight_date": p.weight_date.isoformat() if p.weight_date else None,
            "allergies": [allergy_json(a) for a in p.allergies],
            "bleeding_disorder": _answered(p, "bleeding_disorder"),
            "immunosuppressed": _answered(p, "immunosuppressed"),
            "implanted_device": _answered(p, "implanted_device"),
            "insulin": p.insulin,
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
            "needle": site.needle, "aspiration": site.aspiration, "passes": site.passes, "twitch": site.twitch,
            "needles_in": site.needles_in, "needles_out": site.needles_out, "dwell_minutes": site.dwell_minutes,
            "note": site.note,
        } for site in s.sites],
        "medications": [{
            "name": m.name, "code": m.item_code, "class": m.agent_class,
            "concentration_mg_per_ml": m.concentration_mg_per_ml, "total_ml": m.total_ml, "total_mg": m.total_mg,
            "lot": m.lot or None, "expires": m.expires.isoformat() if m.expires else None,
            "ndc": m.ndc or None, "ndc_11": billing_ndc(m.ndc) or None,
        } for m in record.medications],
        "codes": codes_json(coding, record.payer_profile),
        "pain_before": s.pain_before,
        "pain_after": s.pain_after,
        "relief_pct": s.relief_pct,
        "complications": s.complications,
        "follow_up": s.follow_up,
        "follow_up_in": s.follow_up_in,
        # issue 17: PEG-3 measured at this visit (or null) and the response to the earlier session per muscle
        "peg": peg_json(s.scales, zone),
        "prior_response": responses_json(s.prior_responses),
        "scales": scales_json(s.scales, zone),  # every functional scale: PEG-3, NDI, ODI (issue 17 item 1)
        "findings": [{
            "code": f.code, "severity": f.severity, "message": f.message, "subject": f.subject,
            "override_reason": f.override_reason or None,
        } for f in s.findings],
        "addenda": [{
            "kind": a.kind, "text": a.text, "author": a.author, "created_at": local_iso(a.created_at, zone),
            "content_sha256": a.content_sha256,
        } for a in s.addenda],
        # The rest of the procedure record the rules read (issue 13 item 7): `tpi-notes assess` rebuilds the
        # session from these keys and re-checks it without the database.
        "atlas_version": s.atlas_version,
        "conservative_care": s.conservative_care,
        "exam_findings": [{
            "region_code": f.region_code, "taut_band": f.taut_band, "hypersensitive_spot": f.hypersensitive_spot,
            "referred_pain": f.referred_pain, "twitch": f.twitch,
            **({"muscle_id": f.muscle_id, "side": f.side} if f.muscle_id else {}),
            **({"jump_sign": True} if f.jump_sign else {}),
        } for f in s.exam_findings],
        "consent": {"type": s.consent_type, "risks_discussed": list(s.consent_risks),
                    "form_id": s.consent_form_id or None},
        "time_out": {"done": s.timeout_done, "at": local_iso(s.timeout_at, zone)},
        "position": s.position,
        "antisepsis": s.antisepsis,
        "guidance": s.guidance,
        "respiratory_check": s.respiratory_check,
        "tolerance": s.tolerance,
        "blood_loss": s.blood_loss,
        "observation_minutes": s.observation_minutes,
        "disposition": s.disposition,
        "syringes": [{
            "label": prep.label, "total_ml": prep.total_ml,
            "components": [{
                "item_code": c.item_code, "volume_ml": c.volume_ml, "lot": c.lot_number or None,
                "expires": c.lot_expiry.isoformat() if c.lot_expiry else None, "ndc": c.ndc or None,
                "ndc_11": billing_ndc(c.ndc) or None, "vial_volume_ml": c.vial_volume_ml,
                "vials_opened": c.vials_opened,
            } for c in prep.components],
        } for prep in s.preparations],
    }


def codes_json(coding: Coding, payer_profile: str | None) -> dict[str, Any]:
    """The ``codes`` object (also what `tpi-notes assess` writes, so the two compare key for key)."""
    return {
        "cpt": [c.code for c in coding.cpt],
        "cpt_lines": [{"code": c.code, "units": c.units, "modifiers": list(c.modifiers)} for c in coding.cpt],
        "hcpcs": [{"code": c.code, "units": c.units, "modifiers": list(c.modifiers)} for c in coding.hcpcs],
        "icd10": list(coding.icd10),
        "notes": list(coding.notes),
        "payer_profile": payer_profile or None,
        "discarded": [{"drug": w.generic, "mg": w.discarded_mg, "vials_opened": w.vials} for w in coding.waste],
    }


def _answered(patient: ExportPatient, item: str) -> bool | None:
    """true / false / null like ``diabetes``: false only when answered "no", null when never asked."""
    return nullable(patient.history, item) if patient.history else bool(getattr(patient, item))


def allergy_json(entry: Any) -> dict[str, Any]:
    """One allergy as exported: ``{"substance": ...}`` for a free-text entry; a coded entry (a mapping, or an
    object with ``to_json``) keeps its own keys."""
    if isinstance(entry, str):
        return {"substance": entry}
    if hasattr(entry, "to_json"):
        return dict(entry.to_json())
    return dict(entry)


def json_line(obj: Any) -> str:
    """One object as one line of JSON Lines (compact, UTF-8 text, line-end characters escaped, ``\n``)."""
    return _escaped(json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode(obj)) + "\n"


class JsonLinesWriter:
    """Bytes for a JSON Lines export: nothing before or after, one line per session."""

    media_type = "application/x-ndjson"

    def __init__(self, zone: tzinfo | None = None) -> None:
        self.zone = zone

    def begin(self) -> bytes:
        return b""

    def rows(self, records: Iterable[ExportRecord]) -> bytes:
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        lines = (_escaped(dumps(session_json(r, self.zone))) + "\n" for r in records)
        return "".join(lines).encode("utf-8")

    def end(self) -> bytes:
        return b""
