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
    demo: bool = False
    logo_png: bytes | None = None

    @property
    def is_configured(self) -> bool:
        return bool(self.name and self.phone)


@dataclass(frozen=True)
class ClinicDetails:
    """What the clinic enters at first-run setup and in the clinic settings screen."""

    name: str
    address: str = ""
    phone: str = ""
    after_hours_phone: str = ""


PHONE_CHARS = set("0123456789 +-().ext/")


def validate_clinic_details(details: ClinicDetails) -> ClinicDetails:
    """The details tidied (spaces collapsed); ValidationError names every field that is wrong."""
    from tpi_notes.domain.errors import ValidationError

    name = " ".join(details.name.split())
    address = "\n".join(" ".join(line.split()) for line in details.address.strip().splitlines() if line.strip())
    phone = " ".join(details.phone.split())
    after = " ".join(details.after_hours_phone.split())
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Required: it heads every note and aftercare sheet."
    elif len(name) > 200:
        errors["name"] = "The name can be at most 200 characters."
    if len(address) > 500:
        errors["address"] = "The address can be at most 500 characters."
    for key, value, required in (("phone", phone, True), ("after_hours_phone", after, False)):
        if not value:
            if required:
                errors[key] = "Required: patients find it on the aftercare sheet."
        elif len(value) > 40 or not set(value.lower()) <= PHONE_CHARS or sum(c.isdigit() for c in value) < 3:
            errors[key] = "Enter a phone number: digits, spaces, + - ( ) and 'ext' only, at most 40 characters."
    if errors:
        raise ValidationError(errors)
    return ClinicDetails(name, address, phone, after)


# -- clinic settings as the administration screen edits them --------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_SIDE = 4000
ACTIVITY_HOURS_RANGE = (1, 72)
LOCK_MINUTES_RANGE = (1, 120)
STEROID_LIMIT_RANGE = (1.0, 2000.0)


@dataclass(frozen=True)
class ClinicSettingsData:
    """Everything the clinic settings screen shows and saves (details, logo and policies)."""

    name: str
    address: str = ""
    phone: str = ""
    after_hours_phone: str = ""
    logo_png: bytes | None = None
    strenuous_activity_hours: int = 24
    inactivity_lock_minutes: int = 10
    steroid_12_month_limit_mg: float = 200.0
    estim_payer_profile: str = "medicare"
    paper_size: str = "letter"  # a key of PAPER_SIZE_LABELS: the documents are laid out for it, printers get it
    functional_scales: str = "none"  # a key of FUNCTIONAL_SCALE_CHOICES: NDI and/or ODI beside the PEG-3

    @property
    def details(self) -> ClinicDetails:
        return ClinicDetails(self.name, self.address, self.phone, self.after_hours_phone)


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's header, or None when ``data`` does not start like a PNG file."""
    import struct
    import zlib

    if len(data) < 33 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    length = struct.unpack(">I", data[8:12])[0]
    if length != 13 or struct.unpack(">I", data[29:33])[0] != zlib.crc32(data[12:29]):
        return None
    return struct.unpack(">II", data[16:24])


def logo_problem(data: bytes) -> str | None:
    """Why ``data`` cannot be the clinic's logo, or None. The image must be a complete PNG of at most 512 kB."""
    if len(data) > LOGO_MAX_BYTES:
        return f"The logo is {len(data) / 1024:,.0f} kB; it can be at most {LOGO_MAX_BYTES // 1024} kB."
    size = png_size(data)
    if size is None:
        return "The logo must be a PNG image; this file is not one."
    if not data.endswith(b"IEND\xaeB`\x82"):
        return "The PNG file is incomplete (it does not end where a PNG image ends)."
    width, height = size
    if not (1 <= width <= LOGO_MAX_SIDE and 1 <= height <= LOGO_MAX_SIDE):
        return f"The logo is {width} × {height} pixels; each side can be at most {LOGO_MAX_SIDE} pixels."
    return None


PAPER_SIZE_LABELS = {"letter": "US Letter (8.5 × 11 in)", "a4": "A4 (210 × 297 mm)"}
# The functional scales a clinic may record besides the PEG-3 (issue 17 item 1): setting → the scales' codes in
# resources/scales/functional-scales.json. NDI for neck and shoulder-girdle practices, ODI for low back, or both.
FUNCTIONAL_SCALE_CHOICES = {"none": ("PEG-3 only", ()), "ndi": ("PEG-3 and NDI (neck)", ("ndi",)),
                            "odi": ("PEG-3 and ODI (low back)", ("odi",)),
                            "both": ("PEG-3, NDI and ODI", ("ndi", "odi"))}


def enabled_scales(setting: str) -> tuple[str, ...]:
    """The scale codes the editor offers besides the PEG-3 under ``setting`` (none for an unknown one)."""
    return FUNCTIONAL_SCALE_CHOICES.get(setting, ("", ()))[1]



def validate_clinic_settings(data: ClinicSettingsData, payer_profiles: dict[str, str]) -> ClinicSettingsData:
    """The settings tidied; ValidationError names every wrong field. ``payer_profiles`` maps the e-stim billing
    profiles of the clinical rules to their labels."""
    from dataclasses import replace

    from tpi_notes.domain.errors import ValidationError

    errors: dict[str, str] = {}
    try:
        details = validate_clinic_details(data.details)
    except ValidationError as exc:
        errors.update(exc.errors)
        details = data.details
    if data.logo_png is not None:
        problem = logo_problem(data.logo_png)
        if problem:
            errors["logo_png"] = problem
    low, high = ACTIVITY_HOURS_RANGE
    if not isinstance(data.strenuous_activity_hours, int) or not low <= data.strenuous_activity_hours <= high:
        errors["strenuous_activity_hours"] = f"No strenuous activity for {low} to {high} hours."
    low, high = LOCK_MINUTES_RANGE
    if not isinstance(data.inactivity_lock_minutes, int) or not low <= data.inactivity_lock_minutes <= high:
        errors["inactivity_lock_minutes"] = f"The screen locks after {low} to {high} minutes without input."
    low_mg, high_mg = STEROID_LIMIT_RANGE
    limit = data.steroid_12_month_limit_mg
    if not isinstance(limit, int | float) or limit != limit or not low_mg <= limit <= high_mg:
        errors["steroid_12_month_limit_mg"] = (f"The 12-month corticosteroid limit is {low_mg:g} to {high_mg:g} mg "
                                               "methylprednisolone equivalent.")
    if data.estim_payer_profile not in payer_profiles:
        errors["estim_payer_profile"] = f"Choose one of: {', '.join(payer_profiles.values())}."
    if data.paper_size not in PAPER_SIZE_LABELS:
        errors["paper_size"] = f"Choose one of: {', '.join(PAPER_SIZE_LABELS.values())}."
    if data.functional_scales not in FUNCTIONAL_SCALE_CHOICES:
        errors["functional_scales"] = f"Choose one of: {', '.join(c[0] for c in FUNCTIONAL_SCALE_CHOICES.values())}."
    if errors:
        raise ValidationError(errors)
    return replace(data, name=details.name, address=details.address, phone=details.phone,
                   after_hours_phone=details.after_hours_phone, steroid_12_month_limit_mg=float(limit))
