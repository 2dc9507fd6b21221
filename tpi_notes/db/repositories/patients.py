"""Patients in and out of the database as plain records."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from math import isqrt, prod

from sqlalchemy import ColumnElement, Text, bindparam, exists, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from tpi_notes.db.models import Patient, PatientSearchToken
from tpi_notes.db.repositories import patient_tokens
from tpi_notes.domain.allergies import entries_from_json, entries_of
from tpi_notes.domain.history_answers import History
from tpi_notes.domain.none_answers import named_or_empty
from tpi_notes.domain.patient import PatientInput, PatientRecord, PatientSummary, fold, search_key
from tpi_notes.domain.text_input import ParseError, parse_date

_INPUT_FIELDS = tuple(PatientInput.__dataclass_fields__)


def to_record(row: Patient) -> PatientRecord:
    values = {name: getattr(row, name) for name in _INPUT_FIELDS if name != "allergy_entries"}
    entries = entries_from_json(row.allergies)  # coded entries (a plain string too, as before 0011)
    values["allergies"] = tuple(e.substance for e in entries)
    values["allergy_entries"] = entries
    values["history"] = History.from_json(row.history)
    return PatientRecord(**values, id=row.id, row_version=row.row_version)


_SUMMARY_COLUMNS = (
    Patient.id, Patient.mrn, Patient.family_name, Patient.given_name, Patient.birth_date, Patient.sex,
    Patient.anticoagulant, Patient.bleeding_disorder, Patient.diabetes, Patient.pregnant, Patient.breastfeeding,
    type_coerce(Patient.allergies, Text),  # the stored JSON text: a list only needs to know it is not empty
)
_NO_ALLERGIES = frozenset({"[]", "null", '""', "{}", "0", "false", ""})  # JSON of what reads as false


@lru_cache(maxsize=4096)
def _named(anticoagulant: str) -> str:
    """named_or_empty, once per distinct answer: a list of 500 patients holds a handful of drugs (issue 19)."""
    return named_or_empty(anticoagulant)


def _summary(row) -> PatientSummary:  # noqa: ANN001 - a Row of _SUMMARY_COLUMNS
    (pid, mrn, family, given, birth, sex, anticoagulant, bleeding, diabetes, pregnant, breastfeeding,
     allergies) = row
    flags = []
    if (anticoagulant and _named(anticoagulant)) or bleeding:  # a stored "None" is no anticoagulant
        flags.append("bleeding")
    if diabetes:
        flags.append("diabetes")
    if pregnant or breastfeeding:
        flags.append("pregnancy")
    if allergies if not isinstance(allergies, str) else allergies.strip() not in _NO_ALLERGIES:
        flags.append("allergy")  # (a driver that decodes JSON itself hands over the list)
    return PatientSummary(pid, mrn, family, given, birth, sex, tuple(flags))


def apply_input(row: Patient, data: PatientInput) -> None:
    for name in _INPUT_FIELDS:
        value = getattr(data, name)
        if name == "history":
            value = value.to_json()
        if name == "allergy_entries":
            continue  # stored as the allergies column, below
        setattr(row, name, list(value) if name == "allergies" else value)
    row.allergies = [e.content() for e in entries_of(data)]
    row.search_key = search_key(data.family_name, data.given_name)


def add(s: Session, data: PatientInput) -> Patient:
    row = Patient()
    apply_input(row, data)
    s.add(row)
    s.flush()
    _store_tokens(s, row)
    return row


def update(s: Session, row: Patient, data: PatientInput) -> None:
    """Write ``data`` over a stored patient, and the words the search finds them by (a new name, MRN or
    date of birth is found at once, the old one no longer)."""
    apply_input(row, data)
    s.flush()
    _store_tokens(s, row)


def _store_tokens(s: Session, row: Patient) -> None:
    patient_tokens.store(s, row.id, row.search_key, row.mrn, row.birth_date)


def get(s: Session, patient_id: int) -> Patient | None:
    return s.get(Patient, patient_id)


_RECORD = select(Patient.__table__).where(Patient.__table__.c.id == bindparam("pid"))


def record(s: Session, patient_id: int) -> PatientRecord | None:
    """The patient as a plain record, read as plain columns (every save's rules read it; issue 19)."""
    row = s.execute(_RECORD, {"pid": patient_id}).first()
    return None if row is None else to_record(row)  # type: ignore[arg-type]  # a Row has the same names


def mrn_owner(s: Session, mrn: str) -> int | None:
    return s.scalar(select(Patient.id).where(func.lower(Patient.mrn) == mrn.lower()))


def count(s: Session) -> int:
    return s.scalar(select(func.count(Patient.id))) or 0


def parse_date_token(token: str) -> date | None:
    try:
        return parse_date(token)
    except ParseError:
        return None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(s: Session, text: str, limit: int) -> list[PatientSummary]:
    """Patients whose every typed word starts a name word, starts the MRN, or is the date of birth, by name.

    Words that match few patients gather them from the token index and sort them; words that match many ("1"
    starts every MRN) walk the name order (ix_patient_sort) instead, probing each patient's tokens, and stop
    after ``limit``: each plan costs what it reads, so it is picked by how many patients the words match."""
    words = [_word(token) for token in typed_words(text)]
    query = select(*_SUMMARY_COLUMNS)
    if words:
        probe = _matches_many(s, words, limit)
        query = query.where(*(_condition(options, scanned, probe) for options, scanned in words))
    rows = s.connection().execute(query.order_by(Patient.search_key, Patient.id).limit(limit))  # no ORM rows
    return [_summary(r) for r in rows]


def search_conditions(text: str) -> list[ColumnElement[bool]]:
    """One condition on Patient per typed word (shared by the patient search and the history filter).

    A word is the patient's date of birth when it reads as a date; otherwise it starts a word of the folded
    name, starts the MRN (ASCII letters in any case), or, four digits, is the year of birth. Each is a range of
    ``patient_search_token`` (migration 0026, patient_tokens.py), never a scan of the patients."""
    return [_condition(options, scanned) for options, scanned in map(_word, typed_words(text))]


def typed_words(text: str) -> list[str]:
    """The words of a search: split at spaces and at commas, since names are listed "Family, Given" and are
    typed the same way ("doe, j" found no one)."""
    return text.replace(",", " ").split()


def _condition(options: list[ColumnElement[bool]], scanned: ColumnElement[bool] | None,
               probe: bool = False) -> ColumnElement[bool]:
    """A typed word as a condition on Patient: the patients its token ranges gather (``id IN``), or with
    ``probe`` a look at each patient's own tokens (``EXISTS`` on ix_patient_search_token_patient_id)."""
    if probe:
        found = exists().where(PatientSearchToken.patient_id == Patient.id, or_(*options))
    else:
        found = Patient.id.in_(select(PatientSearchToken.patient_id).where(or_(*options)))
    return found if scanned is None else or_(found, scanned)


def _matches_many(s: Session, words: list[tuple[list, ColumnElement[bool] | None]], limit: int) -> bool:
    """True when walking the name order and probing beats gathering and sorting: gathering costs the matches,
    walking costs ``limit`` over the share that matches, so the two meet at sqrt(limit × patients) matches.
    Each word's token ranges are counted on the key up to that many (a patient found by two ranges counts
    twice: near enough); a word that needs a LIKE (``scanned``) is taken as matching everyone. The words'
    shares multiply (matches ≈ patients × share₁ × share₂ …), compared in whole numbers."""
    patients = s.scalar(select(func.max(Patient.id))) or 0
    enough = isqrt(limit * patients)
    if not patients or enough >= patients:
        return False
    counts = []
    for options, scanned in words:
        if scanned is None:
            counted = 0
            for option in options:
                ranged = select(PatientSearchToken.patient_id).where(option).limit(enough - counted).subquery()
                counted += s.scalar(select(func.count()).select_from(ranged)) or 0
                if counted >= enough:
                    break
            counts.append(counted)
    return prod(counts) >= enough * patients ** (len(counts) - 1) if counts else True


def _word(token: str) -> tuple[list[ColumnElement[bool]], ColumnElement[bool] | None]:
    """The token conditions of one typed word, and a condition on Patient for what no token holds: a word
    whose folded form is empty or two words ("a´b" folds to "a b"), matched against ``search_key`` as before."""
    when = parse_date_token(token)
    if when is not None:
        return [PatientSearchToken.token == patient_tokens.BIRTH + when.isoformat()], None
    options = [patient_tokens.starting(patient_tokens.MRN + patient_tokens.mrn_form(token))]
    if re.fullmatch(r"\d{4}", token):  # any script's digits, as int() reads them
        options.append(patient_tokens.starting(f"{patient_tokens.BIRTH}{int(token):04d}-"))
    folded = fold(token)
    if folded and " " not in folded:
        return [*options, patient_tokens.starting(patient_tokens.NAME + folded)], None
    return options, Patient.search_key.like(f"% {_like_escape(folded)}%", escape="\\")
