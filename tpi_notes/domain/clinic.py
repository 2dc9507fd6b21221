"""The clinic's details and policies as the app and documents see them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    address: str
    phone: str
    after_hours_phone: str
    strenuous_activity_hours: int = 24
    inactivity_lock_minutes: int = 10
    steroid_12_month_limit_mg: float = 200.0
    formulary_version: str = ""

    @property
    def is_configured(self) -> bool:
        return bool(self.name and self.phone)
