"""The patient as the rest of the app sees it, and the rules for accepting patient input."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date

from tpi_notes.domain.allergies import KINDS, AllergyEntry, means_no_allergy, merge
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.history_answers import Answer, History
from tpi_notes.domain.none_answers import named_or_empty

SEXES = ("female", "male", "other", "unknown")
LANGUAGES = {"en": "English", "es": "Spanish"}
MAX_NAME_LENGTH = 100
MAX_MRN_LENGTH = 32
# A plausible adult or child weight for an outpatient procedure; outside it is almost surely a typo
# (grams instead of kg, pounds entered twice ...). The database check is wider, this one is the friendly one.
MIN_WEIGHT_KG = 2.0
MAX_WEIGHT_KG = 350.0
MAX_AGE_YEARS = 120
_MRN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_./]*$")


@dataclass(frozen=True)
class PatientInput:
    """What a person types in the patient dialog (or a demo or import supplies)."""

    mrn: str
    family_name: str
    given_name: str
    birth_date: date | None
    sex: str = "unknown"
    weight_kg: float | None = None
    weight_date: date | None = None
    phone: str = ""
    language: str = "en"
    allergies: tuple[str, ...] = ()  # the substances as typed or picked: what prints
    anticoagulant: str = ""
    bleeding_disorder: bool = False
    diabetes: bool = False
    insulin: bool = False
    pregnant: bool = False
    breastfeeding: bool = False
    immunosuppressed: bool = False
    implanted_device: bool = False
    # The recorded answer to each history item: tells "asked, no" from "not asked" (domain/history_answers.py).
    history: History = field(default_factory=History)
    # The coded form of ``allergies``, one entry per substance with its kind and reaction (domain/allergies.py);
    # kept in step with the list on validation (a caller that sets only the list gets plain allergies).
    allergy_entries: tuple[AllergyEntry, ...] = ()


@dataclass(frozen=True)
class PatientRecord(PatientInput):
    """A stored patient: the input plus identity and the row version for concurrent edits."""

    id: int = 0
    row_version: int = 1

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def risk_badges(self) -> list[str]:
        """Short labels for the header: what changes how a procedure is done or followed up."""
        badges = []
        if named_or_empty(self.anticoagulant):  # a stored "None" or "n/a" is no drug
            badges.append(f"Anticoagulant: {named_or_empty(self.anticoagulant)}")
        if self.bleeding_disorder:
            badges.append("Bleeding disorder")
        if self.diabetes:
            badges.append("Diabetes (insulin)" if self.insulin else "Diabetes")
        if self.pregnant:
            badges.append("Pregnant")
        if self.breastfeeding:
            badges.append("Breastfeeding")
        if self.immunosuppressed:
            badges.append("Immunosuppressed")
        if self.implanted_device:
            badges.append("Implanted device")
        return badges


@dataclass(frozen=True)
class PatientSummary:
    """One row of the patient list."""

    id: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    flags: tuple[str, ...] = field(default=())

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"


def _clean(text: str) -> str:
    # NFC so that "Ánh" typed as A + combining acute and as one code point are the same name.
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def validate_patient(data: PatientInput, today: date) -> PatientInput:
    """Return the cleaned input, or raise ValidationError naming every field that is wrong."""
    errors: dict[str, str] = {}
    mrn = _clean(data.mrn)
    family = _clean(data.family_name)
    given = _clean(data.given_name)
    if not mrn:
        errors["mrn"] = "The MRN is required."
    elif len(mrn) > MAX_MRN_LENGTH:
        errors["mrn"] = f"The MRN can be at most {MAX_MRN_LENGTH} characters."
    elif not _MRN_PATTERN.match(mrn):
        errors["mrn"] = "The MRN may hold letters, digits and - _ . / only, with no spaces."
    for key, value, label in (("family_name", family, "family name"), ("given_name", given, "given name")):
        if not value:
            errors[key] = f"The {label} is required."
        elif len(value) > MAX_NAME_LENGTH:
            errors[key] = f"The {label} can be at most {MAX_NAME_LENGTH} characters (it has {len(value)})."
        elif any(unicodedata.category(ch).startswith("C") for ch in value):
            errors[key] = f"The {label} contains control characters."
    if data.birth_date is None:
        errors["birth_date"] = "The date of birth is required."
    elif data.birth_date > today:
        errors["birth_date"] = "The date of birth cannot be in the future."
    elif today.year - data.birth_date.year > MAX_AGE_YEARS:
        errors["birth_date"] = f"The date of birth is more than {MAX_AGE_YEARS} years ago; please check it."
    if data.sex not in SEXES:
        errors["sex"] = f"Sex must be one of {', '.join(SEXES)}."
    if data.weight_kg is not None and not (MIN_WEIGHT_KG <= data.weight_kg <= MAX_WEIGHT_KG):
        errors["weight_kg"] = (
            f"A weight of {data.weight_kg:g} kg is outside the plausible range "
            f"{MIN_WEIGHT_KG:g}–{MAX_WEIGHT_KG:g} kg. Enter the weight in kilograms."
        )
    if data.weight_date is not None and data.weight_date > today:
        errors["weight_date"] = "The weight cannot be dated in the future."
    if data.language not in LANGUAGES:
        errors["language"] = f"Language must be one of {', '.join(LANGUAGES)}."
    if data.insulin and not data.diabetes:
        errors["insulin"] = "Insulin use is recorded only for a patient with diabetes."
    phone = _clean(data.phone)
    if len(phone) > 40:
        errors["phone"] = "The phone number can be at most 40 characters."
    coded = tuple(replace(e, substance=_clean(e.substance), reaction=_clean(e.reaction)) for e in data.allergy_entries)
    # the plain list decides which allergies there are (entries alone give it when it is empty)
    allergies = tuple(a for a in (_clean(x) for x in data.allergies) if a) or tuple(e.substance for e in coded
                                                                                    if e.substance)
    if any(len(a) > 100 for a in allergies):
        errors["allergies"] = "Each allergy can be at most 100 characters."
    denied = any(means_no_allergy(a) for a in allergies)  # "NKDA" typed is an answer, not a substance
    allergies = tuple(a for a in allergies if not means_no_allergy(a))
    entries = merge(allergies, coded)
    if any(e.kind not in KINDS for e in entries):
        errors["allergies"] = "Each entry is an allergy or an intolerance."
    if any(len(e.reaction) > 100 for e in entries):
        errors["allergies"] = "Each reaction can be at most 100 characters."
    anticoagulant = named_or_empty(_clean(data.anticoagulant))  # "None", "n/a", "—" are stored as nothing
    history = data.history
    if _clean(data.anticoagulant) and not anticoagulant:  # "None" typed is an answer: no anticoagulant
        history = history.with_answers({"anticoagulant": Answer("no")})
    if denied and not allergies:  # "NKDA" alone: no known allergies, asserted
        history = history.with_answers({"allergies": Answer("no")})
    if len(anticoagulant) > 100:
        errors["anticoagulant"] = "The anticoagulant can be at most 100 characters."
    if errors:
        raise ValidationError(errors)
    weight_date = data.weight_date if data.weight_kg is not None else None
    if data.weight_kg is not None and weight_date is None:
        weight_date = today
    return replace(
        data,
        mrn=mrn,
        family_name=family,
        given_name=given,
        phone=phone,
        allergies=allergies,
        allergy_entries=entries,
        anticoagulant=anticoagulant,
        weight_date=weight_date,
        history=history,
    )


_FOLD = str.maketrans({"ø": "o", "Ø": "o", "ß": "ss", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "æ": "ae", "œ": "oe"})


def fold(text: str) -> str:
    """Case- and accent-insensitive form for searching: "Nguyễn Thị Ánh" -> "nguyen thi anh"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def search_key(family_name: str, given_name: str) -> str:
    return f" {fold(family_name)} {fold(given_name)} "
