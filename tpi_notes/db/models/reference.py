"""Reference data kept in the database so a clinic can edit it: formulary items, lots, templates."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tpi_notes.db.models.base import Base, Timestamps


class FormularyItem(Timestamps, Base):
    __tablename__ = "formulary_item"
    __table_args__ = (
        CheckConstraint("agent_class IN ('local_anesthetic', 'saline', 'corticosteroid')", name="agent_class"),
        CheckConstraint("concentration_mg_per_ml >= 0", name="concentration"),
        CheckConstraint("max_mg_per_kg IS NULL OR max_mg_per_kg > 0", name="max_mg_per_kg"),
        CheckConstraint("max_total_mg IS NULL OR max_total_mg > 0", name="max_total_mg"),
        CheckConstraint("mpe_factor IS NULL OR mpe_factor > 0", name="mpe_factor"),
        CheckConstraint("hcpcs_unit_mg IS NULL OR hcpcs_unit_mg > 0", name="hcpcs_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    generic: Mapped[str] = mapped_column(String(120))
    agent_class: Mapped[str] = mapped_column(String(20))
    strength_label: Mapped[str] = mapped_column(String(40))
    concentration_mg_per_ml: Mapped[float]
    with_epinephrine: Mapped[bool] = mapped_column(default=False)
    max_mg_per_kg: Mapped[float | None]
    max_total_mg: Mapped[float | None]
    mpe_factor: Mapped[float | None]
    hcpcs_code: Mapped[str | None] = mapped_column(String(8))
    hcpcs_unit_mg: Mapped[float | None]
    single_dose_vial: Mapped[bool] = mapped_column(default=False)
    vial_volume_ml: Mapped[float | None]
    source: Mapped[str] = mapped_column(Text, default="")
    effective_date: Mapped[date]
    retired: Mapped[bool] = mapped_column(default=False)


class Lot(Timestamps, Base):
    __tablename__ = "lot"
    __table_args__ = (UniqueConstraint("item_id", "lot_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("formulary_item.id", ondelete="RESTRICT"), index=True)
    lot_number: Mapped[str] = mapped_column(String(40))
    ndc: Mapped[str] = mapped_column(String(20), default="")
    expiry: Mapped[date]
    retired: Mapped[bool] = mapped_column(default=False)


class Template(Timestamps, Base):
    """A named starting point for a session (muscles, syringes, technique), kept as plain JSON."""

    __tablename__ = "template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
