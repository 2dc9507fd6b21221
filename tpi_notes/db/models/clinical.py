"""A procedure session and what belongs to it: diagnoses, syringes, sites, findings, addenda."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tpi_notes.db.models.base import Base, Timestamps


def _between(column: str, low: float, high: float) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR ({column} >= {low} AND {column} <= {high})", name=column)


class ProcedureSession(Timestamps, Base):
    __tablename__ = "procedure_session"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'signed')", name="status"),
        CheckConstraint("performed_end IS NULL OR performed_end >= performed_start", name="end_after_start"),
        CheckConstraint("consent_type IS NULL OR consent_type IN ('written', 'verbal')", name="consent_type"),
        CheckConstraint("guidance IS NULL OR guidance IN ('landmark', 'ultrasound')", name="guidance"),
        _between("pain_before", 0, 10),
        _between("pain_after", 0, 10),
        _between("relief_pct", 0, 100),
        _between("observation_minutes", 0, 1440),
        CheckConstraint(
            "status = 'draft' OR (signed_by_id IS NOT NULL AND signed_at IS NOT NULL AND content_sha256 IS NOT NULL"
            " AND physician_id IS NOT NULL)",
            name="signed_complete",
        ),
        Index("ix_procedure_session_patient", "patient_id", "performed_start"),
        Index("ix_procedure_session_performed", "performed_start"),
        # The history browser (migration 0006): a physician's or a status's sessions in date order.
        Index("ix_procedure_session_physician", "physician_id", "performed_start"),
        Index("ix_procedure_session_status", "status", "performed_start"),
        # The history sorted by Sites (migration 0025): a count's sessions in date order.
        Index("ix_procedure_session_sites", "site_count", "performed_start", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="RESTRICT"))
    performed_start: Mapped[datetime]
    performed_end: Mapped[datetime | None]
    location: Mapped[str] = mapped_column(String(120), default="")
    # A nurse may prepare a draft before the physician is chosen; a signed session always names one.
    physician_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))
    assistant_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))
    indication: Mapped[str] = mapped_column(Text, default="")
    conservative_care: Mapped[str] = mapped_column(Text, default="")
    # Per muscle: {"region_code", "taut_band", "twitch", "referred_pain", "hypersensitive_spot"}.
    exam_findings: Mapped[list[dict]] = mapped_column(JSON, default=list)
    consent_type: Mapped[str | None] = mapped_column(String(8))
    consent_risks: Mapped[list[str]] = mapped_column(JSON, default=list)
    consent_form_id: Mapped[str] = mapped_column(String(40), default="")
    timeout_done: Mapped[bool] = mapped_column(default=False)
    timeout_at: Mapped[datetime | None]
    position: Mapped[str] = mapped_column(String(40), default="")
    antisepsis: Mapped[str] = mapped_column(String(60), default="")
    guidance: Mapped[str | None] = mapped_column(String(10))
    pain_before: Mapped[int | None]
    pain_after: Mapped[int | None]
    relief_pct: Mapped[int | None]
    complications: Mapped[str] = mapped_column(Text, default="")
    tolerance: Mapped[str] = mapped_column(String(40), default="")
    blood_loss: Mapped[str] = mapped_column(String(40), default="")
    observation_minutes: Mapped[int | None]
    respiratory_check: Mapped[str] = mapped_column(Text, default="")
    disposition: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    # The patient's follow-up (migration 0012): a code of domain/patient_follow_up.py or an ISO date.
    follow_up_in: Mapped[str] = mapped_column(String(16), default="", server_default="")
    comments: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(8), default="draft")
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))
    signed_at: Mapped[datetime | None]
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    atlas_version: Mapped[str] = mapped_column(String(16))
    formulary_version: Mapped[str] = mapped_column(String(32), default="")
    aftercare_version: Mapped[str] = mapped_column(String(32), default="")
    # The ICD-10-CM set valid on the date of service, set on save (migration 0017; NULL before it existed).
    icd10_version: Mapped[str | None] = mapped_column(String(16))
    row_version: Mapped[int] = mapped_column(default=1)
    # Set at signing (migration 0008): the patient and clinic as signed, and the hash's content version.
    signed_context: Mapped[dict | None] = mapped_column(JSON)
    content_version: Mapped[int | None]
    # The signer's Ed25519 signature (migration 0014, content version 5): "ed25519:<key fingerprint>:<base64>".
    signature: Mapped[str | None] = mapped_column(Text)
    # Copied forward or from a template, not yet confirmed (migration 0019): field names and "as on 2026-09-04".
    carried_fields: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    carried_from: Mapped[str] = mapped_column(String(160), default="", server_default="")
    # How many site rows it has (migration 0025), written with them by every save: the history sorts on it.
    site_count: Mapped[int] = mapped_column(default=0, server_default="0")

    diagnoses: Mapped[list[SessionDiagnosis]] = relationship(
        order_by="SessionDiagnosis.position", cascade="all, delete-orphan"
    )
    preparations: Mapped[list[Preparation]] = relationship(
        order_by="Preparation.label", cascade="all, delete-orphan"
    )
    sites: Mapped[list[Site]] = relationship(order_by="Site.number", cascade="all, delete-orphan")
    findings: Mapped[list[SessionFinding]] = relationship(cascade="all, delete-orphan")
    addenda: Mapped[list[Addendum]] = relationship(order_by="Addendum.created_at")

    __mapper_args__ = {"version_id_col": row_version}


class SessionDiagnosis(Base):
    __tablename__ = "session_diagnosis"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("procedure_session.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10))
    display: Mapped[str] = mapped_column(String(255))


class Preparation(Base):
    """A syringe; its concentrations are derived from its components."""

    __tablename__ = "preparation"
    __table_args__ = (UniqueConstraint("session_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("procedure_session.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(8))
    components: Mapped[list[PreparationComponent]] = relationship(
        order_by="PreparationComponent.position", cascade="all, delete-orphan"
    )


class PreparationComponent(Base):
    __tablename__ = "preparation_component"
    __table_args__ = (
        CheckConstraint("volume_ml > 0 AND volume_ml <= 60", name="volume"),
        # The history browser's agent filter and chart: an item's syringes, without reading the rows.
        Index("ix_preparation_component_item", "item_id", "preparation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    preparation_id: Mapped[int] = mapped_column(ForeignKey("preparation.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    item_id: Mapped[int] = mapped_column(ForeignKey("formulary_item.id", ondelete="RESTRICT"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), index=True)
    volume_ml: Mapped[float]
    # Single-dose vials opened for it (migration 0015); None: as many as the volume drawn needs.
    vials_opened: Mapped[int | None]


class Site(Base):
    __tablename__ = "site"
    __table_args__ = (
        UniqueConstraint("session_id", "number"),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint("view IN ('anterior', 'posterior')", name="view"),
        CheckConstraint("x >= 0 AND x <= 1", name="x"),
        CheckConstraint("y >= 0 AND y <= 1", name="y"),
        CheckConstraint("side IN ('L', 'R')", name="side"),
        CheckConstraint("technique IN ('injection', 'dry_needling')", name="technique"),
        _between("volume_ml", 0, 30),
        _between("passes", 0, 100),
        _between("needles_in", 0, 100),
        _between("needles_out", 0, 100),
        _between("dwell_minutes", 0, 120),
        _between("estim_frequency_hz", 0, 10000),
        _between("estim_pulse_width_us", 0, 10000),
        _between("estim_intensity_ma", 0, 100),
        _between("estim_minutes", 0, 120),
        # The history browser's muscle and technique filters read the session ids from these alone.
        Index("ix_site_muscle_session", "muscle_id", "session_id"),
        Index("ix_site_technique_session", "technique", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up through the (session_id, number) unique index; no index of its own (0006).
    session_id: Mapped[int] = mapped_column(ForeignKey("procedure_session.id", ondelete="CASCADE"))
    number: Mapped[int]
    view: Mapped[str] = mapped_column(String(9))
    x: Mapped[float]
    y: Mapped[float]
    region_code: Mapped[str] = mapped_column(String(64))
    muscle_id: Mapped[str] = mapped_column(String(64))
    muscle: Mapped[str] = mapped_column(String(120))
    side: Mapped[str] = mapped_column(String(1))
    technique: Mapped[str] = mapped_column(String(12), default="injection")
    preparation_id: Mapped[int | None] = mapped_column(ForeignKey("preparation.id", ondelete="RESTRICT"), index=True)
    volume_ml: Mapped[float | None]
    needle: Mapped[str] = mapped_column(String(40), default="")
    aspiration: Mapped[bool | None]
    passes: Mapped[int | None]
    twitch: Mapped[bool | None]
    needles_in: Mapped[int | None]
    needles_out: Mapped[int | None]
    dwell_minutes: Mapped[float | None]
    estim_frequency_hz: Mapped[float | None]
    estim_pulse_width_us: Mapped[float | None]
    estim_intensity_ma: Mapped[float | None]
    estim_minutes: Mapped[float | None]
    estim_attended: Mapped[bool | None]
    note: Mapped[str] = mapped_column(Text, default="")


class SessionFinding(Base):
    """A safety finding shown at signing, with the physician's override reason when one was allowed."""

    __tablename__ = "session_finding"
    __table_args__ = (
        UniqueConstraint("session_id", "rule_code", "subject"),
        CheckConstraint("severity IN ('stop', 'warn', 'info')", name="severity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("procedure_session.id", ondelete="CASCADE"), index=True)
    rule_code: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(120), default="")
    severity: Mapped[str] = mapped_column(String(4))
    message: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, default="", server_default="")
    override_reason: Mapped[str] = mapped_column(Text, default="")
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))
    overridden_at: Mapped[datetime | None]


class Addendum(Base):
    """Addendum, correction or late entry: a separate signed record; the original note stays."""

    __tablename__ = "addendum"
    __table_args__ = (CheckConstraint("kind IN ('addendum', 'correction', 'late_entry')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("procedure_session.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime]
    content_sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(Text)  # the author's Ed25519 signature (migration 0014)
