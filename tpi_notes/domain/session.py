"""A procedure session as plain data: encounter, syringes (preparations), sites and post-procedure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tpi_notes.domain.findings import Finding
from tpi_notes.domain.outcomes import PriorResponse, ScaleScore

VIEWS = ("anterior", "posterior")
SIDES = ("L", "R")
TECHNIQUES = {"injection": "Injection", "dry_needling": "Dry needling"}
STATUSES = ("draft", "signed")
ADDENDUM_KINDS = {"addendum": "Addendum", "correction": "Correction", "late_entry": "Late entry"}


@dataclass(frozen=True)
class Component:
    """One drug drawn into a syringe: formulary item, lot and volume."""

    item_code: str
    volume_ml: float
    lot_number: str = ""
    lot_expiry: date | None = None
    # Single-dose vials opened for this drug (issue 15): None = as many as the volume drawn needs. JW/JZ bill
    # the waste of what was opened (domain/coding.py); a multi-dose vial has no waste to bill.
    vials_opened: int | None = None
    ndc: str = ""  # the lot's NDC as stored (read with the lot, never saved with the component)


@dataclass(frozen=True)
class Preparation:
    """A syringe ("Syringe A"); concentrations are derived from its components."""

    label: str
    components: tuple[Component, ...]

    @property
    def total_ml(self) -> float:
        return sum(c.volume_ml for c in self.components)


@dataclass(frozen=True)
class EStim:
    frequency_hz: float
    pulse_width_us: float
    intensity_ma: float
    minutes: float
    attended: bool


@dataclass(frozen=True)
class Site:
    number: int
    view: str
    x: float
    y: float
    region_code: str
    muscle_id: str
    muscle: str
    side: str
    technique: str = "injection"
    preparation_label: str | None = None
    volume_ml: float | None = None
    needle: str = ""
    aspiration: bool | None = None
    passes: int | None = None
    twitch: bool | None = None
    needles_in: int | None = None
    needles_out: int | None = None
    dwell_minutes: float | None = None
    estim: EStim | None = None
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.side} {self.muscle.lower()}"


@dataclass(frozen=True)
class Diagnosis:
    code: str
    display: str


@dataclass(frozen=True)
class Addendum:
    kind: str
    text: str
    author: str
    created_at: datetime
    content_sha256: str = ""


@dataclass(frozen=True)
class SessionSummary:
    """One row of a patient's session list."""

    id: int
    performed_start: datetime
    status: str
    physician: str
    muscles: tuple[str, ...]
    agents: tuple[str, ...]
    techniques: tuple[str, ...]
    pain_before: int | None
    pain_after: int | None
    site_count: int
    addenda: int = 0
    tampered: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def pain_text(self) -> str:
        before = "–" if self.pain_before is None else str(self.pain_before)
        after = "–" if self.pain_after is None else str(self.pain_after)
        return f"{before} → {after}"


@dataclass(frozen=True)
class ExamFinding:
    """Trigger-point criteria found in one muscle and side before the procedure (clinical-reference §1.2).

    Keyed by ``muscle_id`` and ``side``: the muscle treated, a deep alternative included (domain/exam.py).
    ``region_code`` is the surface region of the muscle's first site, as before migration 0016; a finding with
    no ``muscle_id`` was written before then and is read through :func:`tpi_notes.domain.exam.by_muscle`.
    """

    region_code: str = ""
    taut_band: bool = False
    hypersensitive_spot: bool = False
    referred_pain: bool = False
    twitch: bool = False
    muscle_id: str = ""
    side: str = ""
    jump_sign: bool = False


@dataclass(frozen=True)
class SessionRecord:
    """A whole procedure session as stored: what the editor, the note and the exports read."""

    id: int
    patient_id: int
    status: str
    performed_start: datetime
    performed_end: datetime | None
    physician_id: int
    physician: str
    atlas_version: str
    location: str = ""
    assistant_id: int | None = None
    assistant: str = ""
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
    addenda: tuple[Addendum, ...] = ()
    findings: tuple[Finding, ...] = ()
    signed_by: str = ""
    signed_by_id: int | None = None
    signed_at: datetime | None = None
    content_sha256: str | None = None
    formulary_version: str = ""
    aftercare_version: str = ""
    # The ICD-10-CM code set valid on the date of service ("FY2026"), set on save; None before migration 0017.
    icd10_version: str | None = None
    row_version: int = 1
    # The patient and clinic as they were at signing (domain/signed_context.py) and the content version
    # the hash was made with: None on drafts and on sessions signed before the context existed (version 1).
    signed_context: Mapping[str, Any] | None = None
    content_version: int | None = None
    # The signer's Ed25519 signature (content version 5, domain/signature_keys.py); None: hash-only or a draft.
    signature: str | None = None
    # Outcomes (issue 17, domain/outcomes.py): the functional scales measured at this visit and the response to
    # the earlier session per muscle and side; under the signature (content version 6).
    scales: tuple[ScaleScore, ...] = ()
    prior_responses: tuple[PriorResponse, ...] = ()
    # Carried forward and not yet confirmed (migration 0019, domain/templates.py); empty once confirmed.
    carried_fields: tuple[str, ...] = ()
    carried_from: str = ""

    @property
    def is_signed(self) -> bool:
        return self.status == "signed"
