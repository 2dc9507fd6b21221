"""`tpi-notes assess` (issue 13 item 7): every session of a JSON Lines export re-checked by today's code.

One verdict line per session (domain/assess_export.py does the checking), one ``{"line", "error"}`` per line
that cannot be read; the run goes on past a bad line. The file is read twice: first for each patient's
signed sessions (the history rules — 12-month corticosteroid total, sessions per year, the same muscle within
6 weeks — look at the patient's earlier sessions, wherever they are in the file), then to assess. So memory
holds a few numbers per signed session, never the file.

With a database the clinic's formulary, lots, settings and the patient's signed sessions (matched by MRN)
join in. It is opened as the read-only commands open it (``open_existing_clinic``: never created or
migrated) and only read: no audit event is written, because the issue asks that nothing be written to any
database (and an assessment shows no patient data the export file did not already hold).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from sqlalchemy.orm import Session

from tpi_notes.db.repositories import history, patients, reference
from tpi_notes.domain.assess_export import ClinicRules, assess_session, past_session
from tpi_notes.domain.assess_input import ExportedSession, LineError, read_session
from tpi_notes.domain.formulary import FormularyItem, load_default_formulary
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.safety import PastSession
from tpi_notes.services.context import AppContext

# What a value the reader let through can still raise in the rules (an infinite number, a date out of range):
# that line is reported as bad, the run goes on.
_UNUSABLE = (KeyError, ValueError, TypeError, ArithmeticError, RecursionError)


@dataclass(frozen=True)
class AssessSummary:
    sessions: int
    bad_lines: int


def _lines(source: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    source.seek(0)
    yield from enumerate(source, start=1)


def _parse(number: int, raw: bytes, formulary: dict[str, FormularyItem]) -> ExportedSession | None:
    """The line's session; None for a blank line; :class:`LineError` for anything else that is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LineError(f"the line is not UTF-8 (byte {exc.start + 1})") from None
    if number == 1:
        text = text.removeprefix("\ufeff")
    if not text.strip():
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LineError(f"the line is not JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise LineError("the line is not JSON: nested too deeply") from None
    return read_session(obj, formulary)


def _key(sid: int | None, past: PastSession) -> tuple[int | None, object]:
    return (sid, past.performed_start)


def assess_export(source: IO[bytes], emit: Callable[[dict[str, Any]], None], ctx: AppContext | None = None,
                  as_of: date | None = None) -> AssessSummary:
    """Assess every line of ``source`` (a seekable binary file) and ``emit`` one object per session or bad
    line, in file order. ``ctx``: the clinic whose formulary, settings and sessions join in (read only)."""
    if ctx is not None:
        ctx.require(Permission.VIEW_RECORDS)
    formulary = {item.code: item for item in load_default_formulary().items}
    clinic = ClinicRules()
    with ctx.read() if ctx is not None else nullcontext() as s:
        if s is not None:
            formulary |= {item.code: item for item in reference.list_items(s, include_retired=True)}
            settings = reference.settings(s)
            clinic = ClinicRules(settings.estim_payer_profile, settings.steroid_12_month_limit_mg,
                                 reference.clinic_info(s),
                                 {(lot.item_code, lot.lot_number): lot.expiry for lot in reference.list_lots(s)})
        in_file: dict[str, dict[tuple, PastSession]] = defaultdict(dict)
        for number, raw in _lines(source):
            try:
                found = _parse(number, raw, formulary)
            except (LineError, *_UNUSABLE):
                continue  # said on the second pass
            if found is not None and found.status == "signed" and found.mrn:
                past = past_session(found, formulary)
                in_file[found.mrn][_key(found.session_id, past)] = past
        in_db: dict[str, dict[tuple, PastSession]] = {}
        sessions = bad = 0
        for number, raw in _lines(source):
            try:
                found = _parse(number, raw, formulary)
                if found is None:
                    continue
                earlier = _database_history(s, found.mrn, formulary, in_db) | in_file.get(found.mrn, {})
                earlier.pop((found.session_id, found.draft.performed_start), None)
                verdict = assess_session(found, formulary, tuple(earlier.values()), clinic, as_of)
            except LineError as exc:
                bad += 1
                emit({"line": number, "error": str(exc)})
                continue
            except _UNUSABLE as exc:  # a value the rules cannot take
                bad += 1
                emit({"line": number, "error": f"cannot be assessed: {exc}"})
                continue
            sessions += 1
            emit(verdict)
    return AssessSummary(sessions, bad)


def _database_history(s: Session | None, mrn: str, formulary: dict[str, FormularyItem],
                      cache: dict[str, dict[tuple, PastSession]]) -> dict[tuple, PastSession]:
    """The patient's signed sessions in the database (none without one, or for an MRN it does not hold)."""
    if s is None or not mrn:
        return {}
    if mrn not in cache:
        patient_id = patients.mrn_owner(s, mrn)
        found = [] if patient_id is None else history.past_sessions(s, patient_id, formulary)
        cache[mrn] = {_key(p.session_id, p): p for p in found}
    return dict(cache[mrn])
