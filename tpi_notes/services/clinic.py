"""Clinic-wide reads: details and policies, and whether the database is still empty."""

from __future__ import annotations

from tpi_notes.db.repositories import patients, reference, staff
from tpi_notes.domain.clinic import ClinicInfo
from tpi_notes.domain.formulary import FormularyItem, Lot
from tpi_notes.services.context import AppContext


def get_clinic_info(ctx: AppContext) -> ClinicInfo:
    with ctx.read() as s:
        return reference.clinic_info(s)


def is_empty(ctx: AppContext) -> bool:
    """True on first run: no patients yet (the empty state offers to create one or load the demo)."""
    with ctx.read() as s:
        return patients.count(s) == 0


def demo_allowed(ctx: AppContext) -> bool:
    """Whether the demo clinic may be loaded here: a database with no patients and no users yet."""
    with ctx.read() as s:
        return patients.count(s) == 0 and staff.count(s) == 0


def list_formulary(ctx: AppContext, include_retired: bool = False) -> list[FormularyItem]:
    with ctx.read() as s:
        return reference.list_items(s, include_retired)


def list_lots(ctx: AppContext) -> list[Lot]:
    with ctx.read() as s:
        return reference.list_lots(s)
