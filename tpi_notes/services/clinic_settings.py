"""The clinic settings screen: details printed on documents, the logo, and the clinic's policies.

Anyone who may read records (every role) or manage the clinic may read the settings — they head every note
and aftercare sheet; only Permission.MANAGE_CLINIC changes them, and each change is an audit event naming
the fields changed. Reading writes no audit event: the settings hold no patient data.
"""

from __future__ import annotations

from tpi_notes.db.models import ClinicSettings
from tpi_notes.db.repositories import audit, reference
from tpi_notes.domain.clinic import ClinicSettingsData, validate_clinic_settings
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.rules import rules_for
from tpi_notes.services.context import AppContext

_LABELS = {
    "name": "name", "address": "address", "phone": "phone", "after_hours_phone": "after-hours phone",
    "logo_png": "logo", "strenuous_activity_hours": "no strenuous activity (hours)",
    "inactivity_lock_minutes": "inactivity lock (minutes)",
    "steroid_12_month_limit_mg": "corticosteroid 12-month limit (mg)", "estim_payer_profile": "e-stim payer profile",
    "paper_size": "paper size", "functional_scales": "functional scales",
}


def payer_profiles(ctx: AppContext) -> dict[str, str]:
    """The e-stim billing profiles of today's clinical rules: key → label (``medicare`` → ``Medicare``)."""
    return {key: str(profile.get("label", key)) for key, profile in rules_for(ctx.today()).estim_profiles.items()}


def _data(row: ClinicSettings) -> ClinicSettingsData:
    return ClinicSettingsData(
        name=row.name, address=row.address, phone=row.phone, after_hours_phone=row.after_hours_phone,
        logo_png=row.logo_png, strenuous_activity_hours=row.strenuous_activity_hours,
        inactivity_lock_minutes=row.inactivity_lock_minutes,
        steroid_12_month_limit_mg=row.steroid_12_month_limit_mg, estim_payer_profile=row.estim_payer_profile,
        paper_size=row.paper_size, functional_scales=row.functional_scales,
    )


def get_settings(ctx: AppContext) -> ClinicSettingsData:
    """The current settings (VIEW_RECORDS or MANAGE_CLINIC)."""
    if not ctx.can(Permission.VIEW_RECORDS):
        ctx.require(Permission.MANAGE_CLINIC)
    with ctx.read() as s:
        return _data(reference.settings(s))


def update_settings(ctx: AppContext, data: ClinicSettingsData) -> ClinicSettingsData:
    """Check and store every setting at once; ValidationError names each wrong field and nothing changes."""
    ctx.require(Permission.MANAGE_CLINIC)
    clean = validate_clinic_settings(data, payer_profiles(ctx))
    with ctx.transaction() as s:
        row = reference.settings(s)
        before = _data(row)
        changed = [name for name in _LABELS if getattr(before, name) != getattr(clean, name)]
        if not changed:
            return before
        for name in changed:
            setattr(row, name, getattr(clean, name))
        s.flush()
        parts = []
        for name in changed:
            if name == "logo_png":
                parts.append("logo removed" if clean.logo_png is None else
                             f"logo {'replaced' if before.logo_png else 'added'} ({len(clean.logo_png):,} bytes)")
            elif name == "address":
                parts.append("address changed")
            else:
                parts.append(f"{_LABELS[name]}: {_show(getattr(before, name))} → {_show(getattr(clean, name))}")
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="clinic",
                     detail="clinic settings: " + "; ".join(parts))
        return _data(row)


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value not in ("", None) else "none"


__all__ = ["ClinicSettingsData", "get_settings", "payer_profiles", "update_settings"]
