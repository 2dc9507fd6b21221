"""The canonical serialisation of a session's signed content, and its SHA-256.

The content is a plain mapping built from the stored values only (never from derived or display
text), so that the same record always hashes the same way, whoever reads it back.

Content version 1 is the session's own fields; version 2 adds the signed context (the patient and
clinic as they were at signing, ``domain/signed_context.py``). Each session keeps the version it was
signed with, so older signatures verify exactly as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

CANONICAL_VERSION = 1
# Content version 6 (issue 17): the session's outcomes (the functional scales measured at the visit and the response
# to an earlier session per muscle and side, domain/outcomes.py) are always under the hash, as ``outcomes``. Under an
# older version they are under it only when the session has any: none signed before migration 0022 has, so those
# verify unchanged, and rows slipped in behind a signature's back still break it (the demo signs version 4 with them).
OUTCOMES_CONTENT_VERSION = 6


_AS_IS = frozenset({str, int, bool, type(None)})


def _normalise(value: Any) -> Any:
    # The exact built-in types first (a signature hashes thousands of these: the demo signs 100,000 sessions);
    # the isinstance checks below give the same result for them, only slower.
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is dict:
        return {str(k): _normalise(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_normalise(v) for v in value]
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Round away binary noise so 0.1 + 0.2 and 0.3 read back from the database hash alike.
        return round(value, 6)
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return value


def canonical_bytes(content: Mapping[str, Any], version: int = CANONICAL_VERSION) -> bytes:
    payload = {"canonical_version": version, "content": _normalise(content)}
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def content_sha256(content: Mapping[str, Any], version: int = CANONICAL_VERSION) -> str:
    return hashlib.sha256(canonical_bytes(content, version)).hexdigest()


# What a signature covers, by stored field name. Identity, status and bookkeeping (ids, row
# version, created/updated times, the hash itself) are outside; everything clinical is inside.
SESSION_FIELDS = (
    "patient_id", "performed_start", "performed_end", "location", "physician_id", "assistant_id", "indication",
    "conservative_care", "exam_findings", "consent_type", "consent_risks", "consent_form_id", "timeout_done",
    "timeout_at", "position", "antisepsis", "guidance", "pain_before", "pain_after", "relief_pct",
    "complications", "tolerance", "blood_loss", "observation_minutes", "respiratory_check", "disposition",
    "follow_up", "comments", "atlas_version", "formulary_version", "aftercare_version", "signed_by_id", "signed_at",
)
# Fields added after signatures existed: under the hash only when set, so every signature made before a
# field existed (all of them empty) verifies unchanged whatever its content version. follow_up_in is the
# patient's follow-up (migration 0012, domain/patient_follow_up.py); icd10_version the ICD-10-CM set valid on
# the date of service (migration 0017, domain/icd10.py).
SET_ONLY_SESSION_FIELDS = ("follow_up_in", "icd10_version")
SITE_FIELDS = (
    "number", "view", "x", "y", "region_code", "muscle_id", "muscle", "side", "technique", "preparation",
    "volume_ml", "needle", "aspiration", "passes", "twitch", "needles_in", "needles_out", "dwell_minutes",
    "estim_frequency_hz", "estim_pulse_width_us", "estim_intensity_ma", "estim_minutes", "estim_attended", "note",
)
COMPONENT_FIELDS = ("item_code", "lot_number", "volume_ml")
# Under the hash only when set, like SET_ONLY_SESSION_FIELDS: vials_opened (migration 0015, the single-dose vials a
# component was drawn from; None = what the volume needs) is None on every component signed before it existed.
SET_ONLY_COMPONENT_FIELDS = ("vials_opened",)
FINDING_FIELDS = ("code", "subject", "severity", "message", "override_reason")


def session_content(
    session: Mapping[str, Any],
    diagnoses: list[Mapping[str, Any]],
    preparations: list[tuple[str, list[Mapping[str, Any]]]],
    sites: list[Mapping[str, Any]],
    findings: list[Mapping[str, Any]] | None = None,
    signed_context: Mapping[str, Any] | None = None,
    outcomes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The signed content from plain stored values; sites name their syringe by label. The signed
    context (content version 2) and the outcomes (version 6, :func:`outcomes_content`) are included when given."""
    content = {
        "findings": sorted(({k: f.get(k) for k in FINDING_FIELDS} for f in findings or ()),
                           key=lambda f: (str(f["code"]), str(f["subject"]))),
        "session": {**{k: session.get(k) for k in SESSION_FIELDS},
                    **{k: session[k] for k in SET_ONLY_SESSION_FIELDS if session.get(k)}},
        "diagnoses": [{"code": d["code"], "display": d["display"]} for d in diagnoses],
        "preparations": [
            {"label": label, "components": [{**{k: c.get(k) for k in COMPONENT_FIELDS},
                                             **{k: c[k] for k in SET_ONLY_COMPONENT_FIELDS if c.get(k) is not None}}
                                            for c in components]}
            for label, components in sorted(preparations, key=lambda p: p[0])
        ],
        "sites": [{k: site.get(k) for k in SITE_FIELDS} for site in sorted(sites, key=lambda x: x["number"])],
    }
    if signed_context is not None:
        content["signed_context"] = signed_context
    if outcomes is not None:
        content["outcomes"] = outcomes
    return content


def outcomes_content(scales: Any, responses: Any, version: int) -> dict[str, Any] | None:
    """The ``outcomes`` part: always from content version 6, before it only when there is any (see above)."""
    from tpi_notes.domain.outcomes import responses_content, scales_content

    scales, responses = tuple(scales or ()), tuple(responses or ())
    if version < OUTCOMES_CONTENT_VERSION and not scales and not responses:
        return None
    return {"scales": scales_content(scales), "prior_response": responses_content(responses)}


def exam_finding_content(finding: Any) -> dict[str, Any]:
    """One exam finding as signed. The muscle and side (migration 0016) and the jump sign are under the hash
    only when set, like SET_ONLY_SESSION_FIELDS: a finding signed region-keyed before them hashes unchanged."""
    out = {"region_code": finding.region_code, "taut_band": finding.taut_band, "twitch": finding.twitch,
           "referred_pain": finding.referred_pain, "hypersensitive_spot": finding.hypersensitive_spot}
    if getattr(finding, "muscle_id", ""):
        out.update(muscle_id=finding.muscle_id, side=finding.side)
    if getattr(finding, "jump_sign", False):
        out["jump_sign"] = True
    return out


def record_content(record: Any) -> dict[str, Any]:
    """The signed content of a SessionRecord, built exactly as from the stored rows."""
    session = {name: getattr(record, name, None) for name in SESSION_FIELDS + SET_ONLY_SESSION_FIELDS}
    session["exam_findings"] = [exam_finding_content(f) for f in record.exam_findings]
    session["consent_risks"] = list(record.consent_risks)
    diagnoses = [{"code": d.code, "display": d.display} for d in record.diagnoses]
    preparations = [
        (p.label, [{"item_code": c.item_code, "lot_number": c.lot_number, "volume_ml": c.volume_ml,
                    "vials_opened": getattr(c, "vials_opened", None)} for c in p.components])
        for p in record.preparations
    ]
    sites = []
    for site in record.sites:
        row = {name: getattr(site, name, None) for name in SITE_FIELDS}
        row["preparation"] = site.preparation_label
        estim = site.estim
        row.update(estim_frequency_hz=estim.frequency_hz if estim else None,
                   estim_pulse_width_us=estim.pulse_width_us if estim else None,
                   estim_intensity_ma=estim.intensity_ma if estim else None,
                   estim_minutes=estim.minutes if estim else None,
                   estim_attended=estim.attended if estim else None)
        sites.append(row)
    findings = [{"code": f.code, "subject": f.subject, "severity": f.severity, "message": f.message,
                 "override_reason": f.override_reason} for f in record.findings]
    version = getattr(record, "content_version", None) or CANONICAL_VERSION
    context = (getattr(record, "signed_context", None) or {}) if version >= 2 else None
    outcomes = outcomes_content(getattr(record, "scales", ()), getattr(record, "prior_responses", ()), version)
    return session_content(session, diagnoses, preparations, sites, findings, signed_context=context,
                           outcomes=outcomes)


def record_sha256(record: Any) -> str:
    return content_sha256(record_content(record), getattr(record, "content_version", None) or CANONICAL_VERSION)
