"""Formulary items and lots, and the versioned default formulary in resources/formulary."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tpi_notes.paths import resources_dir

AGENT_CLASSES = {
    "local_anesthetic": "Local anesthetic",
    "saline": "Saline",
    "corticosteroid": "Corticosteroid",
}


@dataclass(frozen=True)
class FormularyItem:
    code: str
    name: str
    generic: str
    agent_class: str
    strength_label: str
    concentration_mg_per_ml: float
    with_epinephrine: bool = False
    max_mg_per_kg: float | None = None
    max_total_mg: float | None = None
    mpe_factor: float | None = None
    hcpcs_code: str | None = None
    hcpcs_unit_mg: float | None = None
    single_dose_vial: bool = False
    vial_volume_ml: float | None = None
    source: str = ""
    effective_date: date | None = None
    retired: bool = False
    id: int = 0

    def max_mg_for(self, weight_kg: float | None) -> float | None:
        """The maximum dose for this patient: weight x mg/kg capped at the absolute ceiling."""
        limits = []
        if self.max_mg_per_kg is not None and weight_kg is not None:
            limits.append(self.max_mg_per_kg * weight_kg)
        if self.max_total_mg is not None:
            limits.append(self.max_total_mg)
        return min(limits) if limits else None


@dataclass(frozen=True)
class Lot:
    item_code: str
    lot_number: str
    expiry: date
    ndc: str = ""
    retired: bool = False
    id: int = 0

    def expired_on(self, day: date) -> bool:
        """A lot is usable through its expiry date and expired the day after."""
        return day > self.expiry


@dataclass(frozen=True)
class FormularyData:
    version: str
    effective_date: date
    items: tuple[FormularyItem, ...]


def formulary_files() -> list[Path]:
    return sorted((resources_dir() / "formulary").glob("formulary-*.json"))


def load_default_formulary(path: Path | None = None) -> FormularyData:
    """Read the newest formulary file (or ``path``) into plain items."""
    files = [path] if path else formulary_files()
    if not files:
        raise FileNotFoundError(f"No formulary file in {resources_dir() / 'formulary'}")
    raw = json.loads(files[-1].read_text(encoding="utf-8"))
    items = []
    for entry in raw["items"]:
        fields = dict(entry)
        fields["agent_class"] = fields.pop("class")
        fields["effective_date"] = date.fromisoformat(fields["effective_date"])
        if fields["agent_class"] not in AGENT_CLASSES:
            raise ValueError(f"Unknown agent class {fields['agent_class']!r} in {files[-1].name}")
        items.append(FormularyItem(**fields))
    return FormularyData(raw["version"], date.fromisoformat(raw["effective_date"]), tuple(items))
