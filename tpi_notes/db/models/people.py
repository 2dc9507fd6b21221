"""Patients, users with their roles, and the clinic's settings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tpi_notes.db.models.base import Base, Timestamps


class Patient(Timestamps, Base):
    __tablename__ = "patient"
    __table_args__ = (
        CheckConstraint("sex IN ('female', 'male', 'other', 'unknown')", name="sex"),
        CheckConstraint("language IN ('en', 'es')", name="language"),
        CheckConstraint("weight_kg IS NULL OR (weight_kg > 0 AND weight_kg <= 700)", name="weight"),
        CheckConstraint("length(mrn) BETWEEN 1 AND 32", name="mrn_length"),
        CheckConstraint("length(family_name) BETWEEN 1 AND 100", name="family_length"),
        CheckConstraint("length(given_name) BETWEEN 1 AND 100", name="given_length"),
        CheckConstraint("insulin = 0 OR diabetes = 1", name="insulin_needs_diabetes"),
        Index("ix_patient_birth_date", "birth_date"),
        Index("ix_patient_name", "family_name", "given_name"),
        Index("ix_patient_sort", "search_key", "id"),  # the history's patient order (migration 0009)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(32), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    # Case- and accent-folded " family given " for as-you-type search in any script.
    search_key: Mapped[str] = mapped_column(String(210))
    birth_date: Mapped[date]
    sex: Mapped[str] = mapped_column(String(8), default="unknown")
    weight_kg: Mapped[float | None]
    weight_date: Mapped[date | None]
    phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(2), default="en")
    # The allergy entries {"substance", "kind", "reaction", "recorded_by", "recorded_at"} (migration 0011,
    # domain/allergies.py); whether an empty list means "none known" or "not asked" is in ``history``.
    allergies: Mapped[list[dict]] = mapped_column(JSON, default=list)
    anticoagulant: Mapped[str] = mapped_column(String(100), default="")
    bleeding_disorder: Mapped[bool] = mapped_column(default=False)
    diabetes: Mapped[bool] = mapped_column(default=False)
    insulin: Mapped[bool] = mapped_column(default=False)
    pregnant: Mapped[bool] = mapped_column(default=False)
    breastfeeding: Mapped[bool] = mapped_column(default=False)
    immunosuppressed: Mapped[bool] = mapped_column(default=False)
    implanted_device: Mapped[bool] = mapped_column(default=False)
    # Each history item's answer {"item": {"state": yes/no/unknown, "recorded_by", "recorded_at"}}; an item
    # not in it is unknown ("not asked" is never "no"; migration 0010, domain/history_answers.py).
    history: Mapped[dict | None] = mapped_column(JSON, default=dict)
    # The last large-print choice for the aftercare sheet, the default next time (migration 0021). A preference,
    # written without bumping row_version (services/patient_prefs.py).
    aftercare_large_print: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Optimistic concurrency: an UPDATE names the version it read; a stale one matches no row.
    row_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": row_version}


class User(Timestamps, Base):
    __tablename__ = "app_user"
    __table_args__ = (CheckConstraint("failed_attempts >= 0", name="failed_attempts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    # Locked by repeated wrong passwords (migration 0013): never the last active administrator, only slowed.
    locked_at: Mapped[datetime | None]
    # The earliest time (UTC) the next password is taken after wrong ones: the growing delay.
    next_attempt_at: Mapped[datetime | None]

    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (CheckConstraint("role IN ('physician', 'nurse', 'admin')", name="role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class ClinicSettings(Timestamps, Base):
    """One row (id = 1): what prints on documents and the clinic's configurable policies."""

    __tablename__ = "clinic_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("strenuous_activity_hours BETWEEN 0 AND 168", name="activity_hours"),
        CheckConstraint("inactivity_lock_minutes BETWEEN 1 AND 240", name="lock_minutes"),
        CheckConstraint("steroid_12_month_limit_mg > 0", name="steroid_limit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    after_hours_phone: Mapped[str] = mapped_column(String(40), default="")
    logo_png: Mapped[bytes | None]
    strenuous_activity_hours: Mapped[int] = mapped_column(default=24)
    inactivity_lock_minutes: Mapped[int] = mapped_column(default=10)
    # Methylprednisolone-equivalent mg over a rolling 12 months before a warning (clinical-reference §3.4).
    steroid_12_month_limit_mg: Mapped[float] = mapped_column(default=200.0)
    estim_payer_profile: Mapped[str] = mapped_column(String(32), default="medicare")
    paper_size: Mapped[str] = mapped_column(String(8), default="letter", server_default="letter")  # or "a4" (0021)
    # The functional scales offered besides the PEG-3: none / ndi / odi / both (0023, issue 17).
    functional_scales: Mapped[str] = mapped_column(String(8), default="none", server_default="none")
    formulary_version: Mapped[str] = mapped_column(String(32), default="")
    # Set when `tpi-notes demo` built this database: it holds made-up patients only and may be rebuilt.
    demo_seed: Mapped[int | None]
