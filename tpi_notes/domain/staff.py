"""Clinic staff as the app shows them (accounts and passwords come with clinic administration)."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = {"physician": "Physician", "nurse": "Nurse", "admin": "Administrator"}


@dataclass(frozen=True)
class StaffMember:
    id: int
    full_name: str
    credentials: str
    roles: tuple[str, ...]
    username: str = ""
    active: bool = True

    @property
    def label(self) -> str:
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name
