"""Phrases and ICD-10-CM favourites: one function per user action, one transaction each.

A person keeps their own phrases and favourites (any charting role, signed in); the clinic's phrases are kept by
administrators (Permission.MANAGE_CLINIC). Every change is an audit event, as for templates and the formulary.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from tpi_notes.anatomy import load_atlas
from tpi_notes.db.repositories import audit
from tpi_notes.db.repositories import phrases as rows
from tpi_notes.domain import icd10
from tpi_notes.domain import phrases as rules
from tpi_notes.domain.errors import NotFoundError, ValidationError
from tpi_notes.domain.permissions import Permission, PermissionDenied
from tpi_notes.domain.session import Diagnosis, Site
from tpi_notes.services import icd10_sets
from tpi_notes.services.context import AppContext


def _user(ctx: AppContext) -> int:
    if ctx.user_id is None:
        raise PermissionDenied("Personal phrases and favourites belong to a signed-in user.")
    return ctx.user_id


def offered(ctx: AppContext, field: str) -> list[rules.Phrase]:
    """The phrases the picker lists for ``field``: the user's own, the clinic's, the library's (not audited:
    reference text, no patient data)."""
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        stored = rows.for_field(s, field, ctx.user_id)
    return rules.offered(field, stored, ctx.user_id)


def clinic_phrases(ctx: AppContext, field: str) -> list[rules.Phrase]:
    """The clinic's own phrases for ``field`` (the administrators' Phrases tab)."""
    ctx.require(Permission.MANAGE_CLINIC)
    with ctx.read() as s:
        return rows.for_field(s, field, None)


def save_phrase(ctx: AppContext, field: str, text: str, *, clinic: bool = False) -> rules.Phrase:
    """Keep ``text`` as a phrase for ``field``: the user's own, or the clinic's (administrators)."""
    ctx.require(Permission.MANAGE_CLINIC if clinic else Permission.PREPARE_DRAFTS)
    owner = None if clinic else _user(ctx)
    text, problem = rules.clean_text(field, text)
    if problem:
        raise ValidationError({"text": problem})
    with ctx.transaction() as s:
        existing = rows.same_text(s, field, text, owner)
        if existing is not None:
            return existing
        phrase = rows.add(s, field, text, owner)
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="create", entity="phrase", entity_id=phrase.id,
                     detail=f"{phrase.scope} phrase for {rules.PHRASE_FIELDS[field].lower()}")
        return phrase


def _editable(ctx: AppContext, s, phrase_id: int) -> rules.Phrase:  # noqa: ANN001 - Session
    phrase = rows.get(s, phrase_id)
    if phrase is None:
        raise NotFoundError("That phrase no longer exists.")
    if phrase.scope == rules.CLINIC:
        ctx.require(Permission.MANAGE_CLINIC)
    elif phrase.owner_id != ctx.user_id:
        raise PermissionDenied("A personal phrase is changed only by its owner.")
    return phrase


def change_phrase(ctx: AppContext, phrase_id: int, text: str) -> rules.Phrase:
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.transaction() as s:
        phrase = _editable(ctx, s, phrase_id)
        text, problem = rules.clean_text(phrase.field, text)
        if problem:
            raise ValidationError({"text": problem})
        rows.set_text(s, phrase_id, text)
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="change", entity="phrase", entity_id=phrase_id,
                     detail=f"{phrase.scope} phrase for {rules.PHRASE_FIELDS[phrase.field].lower()}")
        return rules.Phrase(phrase.field, text, phrase.scope, phrase.id, phrase.owner_id)


def delete_phrase(ctx: AppContext, phrase_id: int) -> None:
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.transaction() as s:
        phrase = _editable(ctx, s, phrase_id)
        rows.delete(s, phrase_id)
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="delete", entity="phrase", entity_id=phrase_id,
                     detail=f"{phrase.scope} phrase for {rules.PHRASE_FIELDS[phrase.field].lower()}")


def favourites(ctx: AppContext) -> list[Diagnosis]:
    ctx.require(Permission.PREPARE_DRAFTS)
    if ctx.user_id is None:
        return []
    with ctx.read() as s:
        return rows.favourites(s, ctx.user_id)


def add_favourite(ctx: AppContext, diagnosis: Diagnosis) -> None:
    """Keep a diagnosis among the user's favourites (offered with one click in every session): a code billable
    in one of the clinic's ICD-10-CM sets, kept as that set writes it (a header such as M79.1, whose subcodes
    M79.10–M79.18 are the billable ones, is refused: it would be offered nowhere and refused on every claim)."""
    ctx.require(Permission.PREPARE_DRAFTS)
    user = _user(ctx)
    with ctx.read() as s:
        code_sets = icd10_sets.code_sets_in(s)
    found = next((d for d in (icd10.lookup(diagnosis.code, c.valid_from, code_sets) for c in code_sets)
                  if d is not None), None)
    if found is None:
        raise ValidationError({"diagnoses": f"{diagnosis.code.strip().upper()} is not a billable ICD-10-CM code "
                               "(a header needs one of its subcodes); choose one from the list."})
    diagnosis = found
    with ctx.transaction() as s:
        if rows.add_favourite(s, user, diagnosis):
            audit.append(s, actor=ctx.actor, user_id=user, action="create", entity="icd10_favourite",
                         detail=diagnosis.code)


def remove_favourite(ctx: AppContext, code: str) -> None:
    ctx.require(Permission.PREPARE_DRAFTS)
    user = _user(ctx)
    with ctx.transaction() as s:
        if rows.remove_favourite(s, user, code):
            audit.append(s, actor=ctx.actor, user_id=user, action="delete", entity="icd10_favourite", detail=code)


def suggested_diagnoses(ctx: AppContext, sites: Iterable[Site], chosen: Iterable[Diagnosis], day: date,
                        atlas_version: str, physician_id: int | None = None, limit: int | None = None
                        ) -> list[tuple[Diagnosis, str]]:
    """Diagnoses to offer with one click: the favourites of the session's physician (else the signed-in user's: a
    nurse preparing the draft sees the physician's) first, then the codes of the muscles treated; each billable on
    ``day`` and not chosen yet; at most ``limit``, two places kept for the muscles' codes (domain/phrases.py)."""
    ctx.require(Permission.PREPARE_DRAFTS)
    atlas = load_atlas(atlas_version)

    def group_of(code: str) -> str | None:
        try:
            return atlas.region(code).group
        except KeyError:
            return None

    with ctx.read() as s:
        code_sets = icd10_sets.code_sets_in(s)
        whose = physician_id if physician_id is not None else ctx.user_id
        mine = rows.favourites(s, whose) if whose is not None else []
    region = rules.region_codes(sites, group_of)
    return rules.suggestions(mine, region, lambda code: icd10.lookup(code, day, code_sets), chosen, limit)
