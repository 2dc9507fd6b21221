"""`tpi-notes assess` (issue 13 item 7): one session of the JSON Lines export re-checked by the app's own rules.

The billing office re-checks an export after a rules update, a reviewer checks sessions against the rules of
their day. Each line is rebuilt into the plain objects the editor and signing work on (a ``SessionDraft`` and
a ``PatientRecord``) and run through the same functions :func:`tpi_notes.services.assessment.assess_in` runs
at save and sign: ``evaluate`` (safety), ``derive_codes``, ``missing_for_signing``, and the aftercare
library's conditions. No database: the formulary, the lots' expiry dates and the clinic's settings are given
by the caller (the default formulary, or the clinic's with ``--db``). Reading the line is
``domain/assess_input.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from tpi_notes.domain import icd10
from tpi_notes.domain.aftercare import AftercareLibrary, compose_aftercare, load_library
from tpi_notes.domain.assess_input import ExportedSession, LineError, atlas_of
from tpi_notes.domain.clinic import ClinicInfo
from tpi_notes.domain.coding import derive_codes
from tpi_notes.domain.completeness import missing_for_signing
from tpi_notes.domain.dosing import dose_summary
from tpi_notes.domain.export_jsonl import codes_json
from tpi_notes.domain.findings import Finding, apply_overrides
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.muscle_parts import GROUP_AND_PART
from tpi_notes.domain.rules import RuleSet, earliest_rules_date, rules_for
from tpi_notes.domain.safety import PastSession, SafetyInput, evaluate, steroid_mpe

DEFAULT_PAYER_PROFILE = "medicare"  # the clinic settings' default (db/models/people.py)


@dataclass(frozen=True)
class ClinicRules:
    """What the clinic's database adds to the rules (defaults when there is none, as a new clinic has)."""

    payer_profile: str = DEFAULT_PAYER_PROFILE
    steroid_limit_mg: float = 200.0
    clinic: ClinicInfo = field(default_factory=lambda: ClinicInfo("", "", "", ""))
    lot_expiry: Mapping[tuple[str, str], date] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _library() -> AftercareLibrary:
    return load_library()  # the newest library, found once per run rather than by a folder scan per session


# -- the rules -------------------------------------------------------------------------------------------------
def past_session(session: ExportedSession, formulary: Mapping[str, FormularyItem]) -> PastSession:
    """What the history rules need of ``session`` when it is an earlier session of the same patient."""
    d = session.draft
    muscles = frozenset((s.muscle_id, s.side) for s in d.sites if s.technique == "injection")
    steroid = steroid_mpe(dose_summary(d, formulary, None), formulary)
    return PastSession(session.session_id or 0, d.performed_start, bool(muscles), muscles, steroid)


def rules_on(day: date) -> RuleSet:
    if day < earliest_rules_date():
        raise LineError(f"no rules are in force on {day.isoformat()} (the earliest rule set starts "
                        f"{earliest_rules_date().isoformat()})")
    return rules_for(day)


def finding_json(f: Finding) -> dict[str, Any]:
    return {"code": f.code, "severity": f.severity, "message": f.message, "source": f.source,
            "subject": f.subject, "override_reason": f.override_reason or None}


def assess_session(session: ExportedSession, formulary: Mapping[str, FormularyItem], history: Sequence[PastSession],
                   clinic: ClinicRules, as_of: date | None = None) -> dict[str, Any]:
    """The line's verdict, as ``assess_in`` would give it at save and sign: findings (with the reasons the
    line documents for overridable stops), codes, the aftercare blocks that apply, what signing still needs.

    Rules are those in force on the session's day, or on ``as_of``; ages, 12-month windows and lot expiry
    stay measured from the session's own day."""
    d, patient = session.draft, session.patient
    day = d.performed_start.date()
    rules = rules_on(as_of or day)
    atlas = atlas_of(d.atlas_version)
    payer = session.payer_profile or clinic.payer_profile
    # a signed line keeps the codes it was signed with (domain/muscle_parts.py)
    once = session.status != "signed" or GROUP_AND_PART in session.finding_codes
    found = evaluate(SafetyInput(patient, d, formulary, atlas, rules, tuple(history), clinic.steroid_limit_mg,
                                 clinic.lot_expiry, payer, once))
    code_set = icd10.set_finding(day)  # the shipped sets: `tpi-notes assess` reads no database
    findings = apply_overrides(list({f.key: f for f in [*found, *([code_set] if code_set else [])]}.values()),
                               d.overrides)
    coding = derive_codes(d, formulary, rules, payer, group_once=once)
    missing = missing_for_signing(d, findings, atlas, patient)
    sheet = compose_aftercare(d, patient, clinic.clinic, formulary, atlas, _library(), "en")  # type: ignore[arg-type]
    return {
        "session_id": session.session_id,
        "findings": [finding_json(f) for f in findings],
        "codes": codes_json(coding, payer),
        "aftercare_blocks": list(sheet.block_ids),
        "missing_for_signing": [m.message for m in missing],
        "rules": {"effective_from": rules.effective_from.isoformat(), "label": rules.label},
    }
