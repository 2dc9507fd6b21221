"""ICD-10-CM code sets: the shipped ones and the CMS releases an administrator loaded (issue 15 item 7)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tpi_notes.db.models import Icd10Code, Icd10Release
from tpi_notes.db.repositories import audit
from tpi_notes.domain import icd10
from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.permissions import Permission, PermissionDenied
from tpi_notes.services.context import AppContext


def code_sets_in(s: Session) -> list[icd10.CodeSet]:
    """The shipped sets and every loaded release (each indexed once per process, from its stored codes). A
    release loaded under a shipped set's version (CMS's FY2027 order file, where FY2027 ships built from the
    addenda) takes that set's place."""
    shipped = list(icd10.shipped_sets())
    sets: list[icd10.CodeSet] = []
    for release in s.scalars(select(Icd10Release).order_by(Icd10Release.valid_from)):
        code_set = icd10.CodeSet(release.version, release.valid_from, release.valid_to,
                                 f"loaded from {release.file_name}", release.sha256)
        if not icd10.installed(code_set.token):
            rows = s.execute(select(Icd10Code.code, Icd10Code.long_description)
                             .where(Icd10Code.release_id == release.id, Icd10Code.billable.is_(True))
                             .order_by(Icd10Code.code)).all()
            icd10.install(code_set, [(code, text) for code, text in rows])
        sets.append(code_set)
    loaded = {c.version for c in sets}
    return [c for c in shipped if c.version not in loaded] + sets


def code_sets(ctx: AppContext) -> list[icd10.CodeSet]:
    ctx.require(Permission.VIEW_RECORDS)
    with ctx.read() as s:
        return code_sets_in(s)


def load_release(ctx: AppContext, data: bytes, *, version: str, valid_from: date, valid_to: date | None = None,
                 file_name: str = "") -> icd10.CodeSet:
    """Load a CMS order file as the release ``version``, valid from ``valid_from`` to ``valid_to`` (by default
    the fiscal year's end, 30 September). Audited; a version already loaded is refused."""
    ctx.require(Permission.MANAGE_FORMULARY)
    return _load(ctx, data, version=version, valid_from=valid_from, valid_to=valid_to, file_name=file_name)


def load_release_as_database_owner(ctx: AppContext, data: bytes, *, version: str, valid_from: date,
                                   valid_to: date | None = None, file_name: str = "") -> icd10.CodeSet:
    """`tpi-notes load-icd10`: the same load by the command line's operating-system user, who must own the
    database file (as for `tpi-notes unlock`); audited under ``os:<login>``."""
    from tpi_notes.services.accounts import database_owner_problem

    if ctx.user_id is not None or not ctx.actor.startswith("os:"):
        raise PermissionDenied("Not allowed: only the operating-system owner of the database loads a release from "
                               "the command line.")
    problem = database_owner_problem(ctx.database_path)
    if problem:
        raise PermissionDenied(f"Not allowed: {problem}.")
    return _load(ctx, data, version=version, valid_from=valid_from, valid_to=valid_to, file_name=file_name)


def _load(ctx: AppContext, data: bytes, *, version: str, valid_from: date, valid_to: date | None,
          file_name: str) -> icd10.CodeSet:
    version = version.strip()
    if not version:
        raise ValidationError({"version": "Name the release (for example FY2027)."})
    end = valid_to or date(valid_from.year + (1 if valid_from.month >= 10 else 0), 9, 30)
    if end < valid_from:
        raise ValidationError({"valid_to": "The release must end after it starts."})
    try:
        lines = icd10.parse_order_file(data.decode("utf-8-sig", errors="strict"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TpiError(f"This is not a CMS ICD-10-CM order file: {exc}.") from None
    if not icd10.replaceable(version):
        raise ValidationError({"version": f"{version} ships with the app; name the new release."})
    digest = hashlib.sha256(data).hexdigest()
    with ctx.transaction() as s:
        if s.scalar(select(Icd10Release.id).where(Icd10Release.version == version)) is not None:
            raise ValidationError({"version": f"{version} is already loaded."})
        release = Icd10Release(version=version, valid_from=valid_from, valid_to=end, file_name=file_name[:255],
                               sha256=digest, code_count=len(lines), loaded_at=datetime.now().replace(microsecond=0),
                               loaded_by_id=ctx.user_id)
        s.add(release)
        s.flush()
        s.execute(insert(Icd10Code), [{"release_id": release.id, "code": x.code, "billable": x.billable,
                                       "short_description": x.short[:60], "long_description": x.long}
                                      for x in {x.code: x for x in lines}.values()])
        billable = sum(x.billable for x in lines)
        replaced = next((c for c in icd10.shipped_sets() if c.version == version), None)
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="load_icd10", entity="icd10_release",
                     entity_id=release.id, detail=f"{version} valid {valid_from.isoformat()} to {end.isoformat()}: "
                     f"{len(lines)} codes ({billable} billable) from {file_name or 'a file'}, sha256 {digest}"
                     + (f"; takes the place of the shipped {version} ({replaced.release})" if replaced else ""))
    return icd10.CodeSet(version, valid_from, end, f"loaded from {file_name}", digest)


def fiscal_year_start(version: str) -> date | None:
    """1 October of the year before "FY2027" (2026-10-01), or None for another name."""
    text = version.strip().upper()
    return date(int(text[2:]) - 1, 10, 1) if text.startswith("FY") and text[2:].isdigit() else None



