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
        errors["name"] = "The clinic's name is required; it heads every note and aftercare sheet."
    elif len(name) > 200:
        errors["name"] = "The name can be at most 200 characters."
    if len(address) > 500:
        errors["address"] = "The address can be at most 500 characters."
    for key, value, required in (("phone", phone, True), ("after_hours_phone", after, False)):
        if not value:
            if required:
                errors[key] = "The clinic's phone number is required; patients find it on the aftercare sheet."
        elif len(value) > 40 or not set(value.lower()) <= PHONE_CHARS or sum(c.isdigit() for c in value) < 3:
            errors[key] = "Enter a phone number: digits, spaces, + - ( ) and 'ext' only, at most 40 characters."
    if errors:
        raise ValidationError(errors)
    return ClinicDetails(name, address, phone, after)
