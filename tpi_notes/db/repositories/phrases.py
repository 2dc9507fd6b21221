"""Stored phrases and ICD-10-CM favourites, read back as plain values (domain/phrases.py)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tpi_notes.db.models import Icd10Favourite, Phrase
from tpi_notes.domain.phrases import CLINIC, PERSONAL
from tpi_notes.domain.phrases import Phrase as PlainPhrase
from tpi_notes.domain.session import Diagnosis


def _plain(row: Phrase) -> PlainPhrase:
    return PlainPhrase(row.field, row.text, PERSONAL if row.owner_id is not None else CLINIC, row.id, row.owner_id)


def for_field(s: Session, field: str, user_id: int | None) -> list[PlainPhrase]:
    """The clinic's phrases for ``field`` and ``user_id``'s own (never another person's)."""
    query = select(Phrase).where(Phrase.field == field)
    query = query.where(or_(Phrase.owner_id.is_(None), Phrase.owner_id == user_id)) if user_id is not None \
        else query.where(Phrase.owner_id.is_(None))
    return [_plain(row) for row in s.scalars(query.order_by(Phrase.id))]


def get(s: Session, phrase_id: int) -> PlainPhrase | None:
    row = s.get(Phrase, phrase_id)
    return None if row is None else _plain(row)


def add(s: Session, field: str, text: str, owner_id: int | None) -> PlainPhrase:
    row = Phrase(field=field, text=text, owner_id=owner_id)
    s.add(row)
    s.flush()
    return _plain(row)


def same_text(s: Session, field: str, text: str, owner_id: int | None) -> PlainPhrase | None:
    owner = Phrase.owner_id.is_(None) if owner_id is None else Phrase.owner_id == owner_id
    row = s.scalar(select(Phrase).where(Phrase.field == field, Phrase.text == text, owner))
    return None if row is None else _plain(row)


def set_text(s: Session, phrase_id: int, text: str) -> None:
    row = s.get(Phrase, phrase_id)
    assert row is not None
    row.text = text


def delete(s: Session, phrase_id: int) -> None:
    row = s.get(Phrase, phrase_id)
    if row is not None:
        s.delete(row)


def favourites(s: Session, user_id: int) -> list[Diagnosis]:
    rows = s.scalars(select(Icd10Favourite).where(Icd10Favourite.user_id == user_id).order_by(Icd10Favourite.id))
    return [Diagnosis(row.code, row.display) for row in rows]


def add_favourite(s: Session, user_id: int, diagnosis: Diagnosis) -> bool:
    """Adds it unless already there; returns whether it was added."""
    exists = s.scalar(select(Icd10Favourite.id).where(Icd10Favourite.user_id == user_id,
                                                      Icd10Favourite.code == diagnosis.code))
    if exists is not None:
        return False
    s.add(Icd10Favourite(user_id=user_id, code=diagnosis.code, display=diagnosis.display[:255]))
    s.flush()
    return True


def remove_favourite(s: Session, user_id: int, code: str) -> bool:
    row = s.scalar(select(Icd10Favourite).where(Icd10Favourite.user_id == user_id, Icd10Favourite.code == code))
    if row is None:
        return False
    s.delete(row)
    return True
