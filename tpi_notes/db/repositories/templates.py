"""Session templates: a name and a JSON body of sites, syringes and the clinical frame."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tpi_notes.db.models import Template
from tpi_notes.domain.templates import TemplateSummary


def summaries(s: Session) -> list[TemplateSummary]:
    return [TemplateSummary(t.id, t.name, t.description) for t in s.scalars(select(Template).order_by(Template.name))]


def body(s: Session, template_id: int) -> dict | None:
    row = s.get(Template, template_id)
    return None if row is None else dict(row.body)


def by_name(s: Session, name: str) -> Template | None:
    return s.scalar(select(Template).where(Template.name == name))


def save(s: Session, name: str, description: str, body: dict, user_id: int | None) -> TemplateSummary:
    row = by_name(s, name)
    if row is None:
        row = Template(name=name, created_by_id=user_id)
        s.add(row)
    row.description = description
    row.body = body
    s.flush()
    return TemplateSummary(row.id, row.name, row.description)


def name_of(s: Session, template_id: int) -> str | None:
    return s.scalar(select(Template.name).where(Template.id == template_id))
