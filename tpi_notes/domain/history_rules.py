"""Safety findings for a history question nobody answered, where the answer would change the procedure.

"Not asked" is not "no" (issue 13 item 2): a rule that reads ``patient.diabetes`` as False for a patient never
asked would stay silent exactly when it should ask. Pregnancy and the allergies are not here: signing waits for
those answers (domain/completeness.py via domain/history_answers.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tpi_notes.domain.findings import Finding
from tpi_notes.domain.history_answers import state_of

CODE = "history_not_recorded"


def unknown_history_findings(patient: Any, sites: Sequence[Any], steroid: bool) -> list[Finding]:
    """A warning per unanswered question this session's plan makes matter."""
    out = []
    if steroid and state_of(patient, "diabetes") == "unknown":
        out.append(Finding(CODE, "warn", "Diabetes is not recorded and a corticosteroid is given: ask (blood sugar "
                           "may rise for several days) and record the answer in the patient's details.",
                           "clinical-reference §1.2 (diabetes if a steroid is planned), §3.4", subject="diabetes"))
    if any(s.technique == "dry_needling" and s.estim for s in sites) and \
            state_of(patient, "implanted_device") == "unknown":
        out.append(Finding(CODE, "warn", "An implanted electronic device is not recorded and electrical stimulation "
                           "is used: ask (a device is a stop for e-stim) and record the answer.",
                           "clinical-reference §1.2, §4.2 (electrotherapy precautions)", subject="implanted_device"))
    return out
