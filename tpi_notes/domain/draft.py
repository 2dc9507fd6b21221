"""A session being charted (a draft): the editable content of a procedure session, as plain data.

The session editor builds a new SessionDraft after every edit; the services validate and save it.
Identity (``id``) and the row version are carried so a save can refuse a stale copy.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from tpi_notes.domain.findings import FindingOverride
from tpi_notes.domain.outcomes import PriorResponse, ScaleScore
from tpi_notes.domain.session import Diagnosis, ExamFinding, Preparation, SessionRecord, Site

CONSENT_TYPES = {"written": "Written", "verbal": "Verbal"}
GUIDANCE = {"landmark": "Landmark (palpation)", "ultrasound": "Ultrasound"}
DEFAULT_RISKS = ("bleeding or bruising", "infection", "post-needling soreness", "vasovagal reaction",
                 "local anesthetic reaction", "nerve irritation")
NEAR_LUNG_RISK = "pneumothorax"
STEROID_RISKS = ("skin atrophy or depigmentation", "temporary rise in blood glucose")
POSITIONS = ("Prone", "Supine", "Seated", "Side-lying (left)", "Side-lying (right)", "Seated, then prone")
ANTISEPSIS = ("Chlorhexidine-alcohol", "Povidone-iodine", "Isopropyl alcohol")
TOLERANCE = ("Tolerated well", "Tolerated with discomfort", "Stopped early at the patient's request")
BLOOD_LOSS = ("None", "Minimal", "Moderate, controlled with pressure")
COMPLICATIONS = ("None", "Post-needling soreness", "Bruising or hematoma", "Vasovagal reaction",
                 "Local anesthetic reaction", "Nerve irritation", "Suspected pneumothorax")


@dataclass(frozen=True)
class SessionDraft:
    patient_id: int
    performed_start: datetime
    atlas_version: str
    id: int | None = None
    row_version: int | None = None
    performed_end: datetime | None = None
    location: str = ""
    physician_id: int | None = None
    assistant_id: int | None = None
    indication: str = ""
    diagnoses: tuple[Diagnosis, ...] = ()
    conservative_care: str = ""
    exam_findings: tuple[ExamFinding, ...] = ()
    consent_type: str | None = None
    consent_risks: tuple[str, ...] = ()
    consent_form_id: str = ""
    timeout_done: bool = False
    timeout_at: datetime | None = None
    position: str = ""
    antisepsis: str = ""
    guidance: str | None = None
    pain_before: int | None = None
    pain_after: int | None = None
    relief_pct: int | None = None
    complications: str = ""
    tolerance: str = ""
    blood_loss: str = ""
    observation_minutes: int | None = None
    respiratory_check: str = ""
    disposition: str = ""
    follow_up: str = ""
    follow_up_in: str = ""  # the patient's follow-up (domain/patient_follow_up.py)
    comments: str = ""
    preparations: tuple[Preparation, ...] = ()
    sites: tuple[Site, ...] = ()
    formulary_version: str = ""
    overrides: tuple[FindingOverride, ...] = ()
    scales: tuple[ScaleScore, ...] = ()  # PEG-3 and any scale the clinic enabled (domain/outcomes.py)
    prior_responses: tuple[PriorResponse, ...] = ()  # the response to the earlier session, per muscle and side
    # Copied forward or from a template and not yet confirmed (domain/templates.py): the field names, and where
    # they came from ("as on 2026-09-04"). Signing waits until they are confirmed; never under the signature.
    carried_fields: tuple[str, ...] = ()
    carried_from: str = ""

    @property
    def is_new(self) -> bool:
        return self.id is None

    def preparation(self, label: str) -> Preparation | None:
        return next((p for p in self.preparations if p.label == label), None)


DRAFT_FIELDS = tuple(f.name for f in fields(SessionDraft))


def draft_from_record(record: SessionRecord) -> SessionDraft:
    """The editable content of a stored session (its documented overrides included)."""
    values = {name: getattr(record, name) for name in DRAFT_FIELDS if name != "overrides"}
    overrides = tuple(FindingOverride(f.code, f.subject, f.override_reason) for f in record.findings
                      if f.override_reason)
    return SessionDraft(**values, overrides=overrides)
