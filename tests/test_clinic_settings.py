"""The clinic settings screen's service: every field checked, only an administrator changes them, and each
change is an audit event naming what changed."""

from __future__ import annotations

import sqlite3
import struct
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from tpi_notes.domain.clinic import LOGO_MAX_BYTES, ClinicSettingsData, logo_problem, png_size
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.permissions import PermissionDenied, Principal
from tpi_notes.services import clinic, clinic_settings, staff
from tpi_notes.services.context import AppContext

GOOD = ClinicSettingsData(
    name="Lakeside  Pain Clinic", address="12 Harbour Road\n\nSpringfield", phone="(555) 010-2000",
    after_hours_phone="(555) 010-2999", strenuous_activity_hours=48, inactivity_lock_minutes=15,
    steroid_12_month_limit_mg=160.0, estim_payer_profile="commercial",
)


def png(width: int = 4, height: int = 3, extra: int = 0) -> bytes:
    """A real PNG (red pixels); ``extra`` bytes of an ancillary text chunk make it bigger."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    text = chunk(b"tEXt", b"Comment\x00" + b"x" * extra) if extra else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + text
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _row(db_path: Path) -> tuple:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT name, address, phone, after_hours_phone, logo_png, strenuous_activity_hours, "
                            "inactivity_lock_minutes, steroid_12_month_limit_mg, estim_payer_profile "
                            "FROM clinic_settings").fetchone()
    finally:
        conn.close()


def _audit(db_path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT action, entity, detail FROM audit_event ORDER BY id").fetchall()
    finally:
        conn.close()


def test_an_admin_saves_every_setting(ctx: AppContext, db_path: Path) -> None:
    logo = png(120, 40)
    saved = clinic_settings.update_settings(ctx, replace(GOOD, logo_png=logo))
    assert saved.name == "Lakeside Pain Clinic" and saved.address == "12 Harbour Road\nSpringfield"
    assert clinic_settings.get_settings(ctx) == saved
    assert _row(db_path) == ("Lakeside Pain Clinic", "12 Harbour Road\nSpringfield", "(555) 010-2000",
                             "(555) 010-2999", logo, 48, 15, 160.0, "commercial")
    info = clinic.get_clinic_info(ctx)  # what documents and the lock timer read
    assert (info.strenuous_activity_hours, info.inactivity_lock_minutes, info.steroid_12_month_limit_mg) == (
        48, 15, 160.0)
    action, entity, detail = _audit(db_path)[-1]
    assert (action, entity) == ("change", "clinic")
    assert "no strenuous activity (hours): 24 → 48" in detail and "inactivity lock (minutes): 10 → 15" in detail
    assert "e-stim payer profile: medicare → commercial" in detail
    assert f"logo added ({len(logo):,} bytes)" in detail

    events = len(_audit(db_path))
    clinic_settings.update_settings(ctx, saved)  # nothing changed: nothing written
    assert len(_audit(db_path)) == events
    clinic_settings.update_settings(ctx, replace(saved, logo_png=None))
    assert _row(db_path)[4] is None and _audit(db_path)[-1][2] == "clinic settings: logo removed"


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": "  "}, "name"),
    ({"phone": ""}, "phone"),
    ({"after_hours_phone": "call us"}, "after_hours_phone"),
    ({"strenuous_activity_hours": 0}, "strenuous_activity_hours"),
    ({"strenuous_activity_hours": 73}, "strenuous_activity_hours"),
    ({"inactivity_lock_minutes": 0}, "inactivity_lock_minutes"),
    ({"inactivity_lock_minutes": 121}, "inactivity_lock_minutes"),
    ({"steroid_12_month_limit_mg": 0.0}, "steroid_12_month_limit_mg"),
    ({"steroid_12_month_limit_mg": float("nan")}, "steroid_12_month_limit_mg"),
    ({"estim_payer_profile": "medicaid-of-mars"}, "estim_payer_profile"),
    ({"logo_png": b"GIF89a" + b"\x00" * 40}, "logo_png"),
    ({"logo_png": png()[:-12]}, "logo_png"),
    ({"logo_png": png(extra=LOGO_MAX_BYTES)}, "logo_png"),
    ({"logo_png": png(5000, 1)}, "logo_png"),
])
def test_a_wrong_setting_is_refused_at_its_field_and_nothing_changes(ctx: AppContext, db_path: Path,
                                                                     changes: dict, field: str) -> None:
    before, events = _row(db_path), len(_audit(db_path))
    with pytest.raises(ValidationError) as caught:
        clinic_settings.update_settings(ctx, replace(GOOD, **changes))
    assert list(caught.value.errors) == [field]
    assert _row(db_path) == before and len(_audit(db_path)) == events


def test_the_limits_themselves_are_accepted(ctx: AppContext) -> None:
    for hours, minutes in ((1, 1), (72, 120)):
        saved = clinic_settings.update_settings(ctx, replace(GOOD, strenuous_activity_hours=hours,
                                                             inactivity_lock_minutes=minutes))
        assert (saved.strenuous_activity_hours, saved.inactivity_lock_minutes) == (hours, minutes)


def test_the_png_checks() -> None:
    assert png_size(png(120, 40)) == (120, 40)
    assert logo_problem(png(120, 40)) is None
    broken = bytearray(png())
    broken[20] ^= 0xFF  # the header no longer matches its checksum
    assert png_size(bytes(broken)) is None
    assert "at most 512 kB" in (logo_problem(png(extra=LOGO_MAX_BYTES)) or "")


def test_payer_profiles_come_from_the_clinical_rules(ctx: AppContext) -> None:
    assert clinic_settings.payer_profiles(ctx) == {"medicare": "Medicare", "commercial": "Commercial payer",
                                                   "acupuncture": "Electro-acupuncture codes",
                                                   "medicare_tpi_lcd_2024": "Medicare with the 2024 TPI LCDs"}


@pytest.mark.parametrize("role", ["physician", "nurse"])
def test_physicians_and_nurses_read_but_cannot_change(ctx: AppContext, db_path: Path, role: str) -> None:
    member = staff.add_staff(ctx, "Some One", "", (role,))
    ctx.act_as(Principal.for_user(member.id, "someone", "Some One", (role,)))
    before, events = _row(db_path), len(_audit(db_path))
    assert clinic_settings.get_settings(ctx).inactivity_lock_minutes == 10
    with pytest.raises(PermissionDenied, match="may not change clinic details"):
        clinic_settings.update_settings(ctx, GOOD)
    assert _row(db_path) == before and len(_audit(db_path)) == events


def test_an_admin_may_change_the_settings(ctx: AppContext) -> None:
    member = staff.add_staff(ctx, "Ada Office", "", ("admin",))
    ctx.act_as(Principal.for_user(member.id, "ada", "Ada Office", ("admin",)))
    assert clinic_settings.update_settings(ctx, GOOD).estim_payer_profile == "commercial"


def test_nobody_without_a_role_reads_them(ctx: AppContext) -> None:
    ctx.act_as(Principal("test:nobody", "nobody", frozenset()))
    with pytest.raises(PermissionDenied):
        clinic_settings.get_settings(ctx)
