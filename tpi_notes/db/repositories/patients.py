"""Patients in and out of the database as plain records."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import ColumnElement, and_, bindparam, extract, func, or_, select
from sqlalchemy.orm import Session

from tpi_notes.db.models import Patient
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
    Patient.allergies,
)


def _summary(row) -> PatientSummary:  # noqa: ANN001 - a Row of _SUMMARY_COLUMNS
    (pid, mrn, family, given, birth, sex, anticoagulant, bleeding, diabetes, pregnant, breastfeeding,
     allergies) = row
    flags = []
    if named_or_empty(anticoagulant) or bleeding:  # a stored "None" is no anticoagulant
        flags.append("bleeding")
    if diabetes:
        flags.append("diabetes")
    if pregnant or breastfeeding:
        flags.append("pregnancy")
    if allergies:
        flags.append("allergy")
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
    return row


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
    """Patients whose every typed word starts a name word, starts the MRN, or is the date of birth."""
    conditions = search_conditions(text)
    query = select(*_SUMMARY_COLUMNS)
    if conditions:
        query = query.where(and_(*conditions))
    rows = s.execute(query.order_by(Patient.search_key, Patient.id).limit(limit))
    return [_summary(r) for r in rows]


def search_conditions(text: str) -> list[ColumnElement[bool]]:
    """One condition on Patient per typed word (shared by the patient search and the history filter)."""
    conditions: list[ColumnElement[bool]] = []
    for token in text.split():
        when = parse_date_token(token)
        if when is not None:
            conditions.append(Patient.birth_date == when)
            continue
        folded = _like_escape(fold(token))
        options = [
            Patient.search_key.like(f"% {folded}%", escape="\\"),
            Patient.mrn.ilike(f"{_like_escape(token)}%", escape="\\"),
        ]
        if re.fullmatch(r"\d{4}", token):
            options.append(extract("year", Patient.birth_date) == int(token))
        conditions.append(or_(*options))
    return conditions
