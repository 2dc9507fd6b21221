"""Writing a draft's content into a session row and its children (diagnoses, syringes, sites, findings, outcomes)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from tpi_notes.db.models import (
    FormularyItem,
    Lot,
    Preparation,
    PreparationComponent,
    ProcedureSession,
    SessionDiagnosis,
    SessionFinding,
    Site,
)
from tpi_notes.db.repositories import outcomes, session_records
from tpi_notes.db.transactions import SAVED_ELSEWHERE
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.errors import ConcurrentEditError
from tpi_notes.domain.findings import Finding, FindingOverride
from tpi_notes.domain.formulary import FormularyItem as FormularyItemData
from tpi_notes.domain.formulary import Lot as LotData
from tpi_notes.domain.session import ExamFinding, SessionRecord
from tpi_notes.domain.session import Preparation as PreparationData
from tpi_notes.domain.session import Site as SiteDraft
from tpi_notes.domain.templates import CARRIED_FIELDS

_SCALARS = (
    "performed_start", "performed_end", "location", "physician_id", "assistant_id", "indication", "conservative_care",
    "consent_type", "consent_form_id", "timeout_done", "timeout_at", "position", "antisepsis", "guidance",
    "pain_before", "pain_after", "relief_pct", "complications", "tolerance", "blood_loss", "observation_minutes",
    "respiratory_check", "disposition", "follow_up", "follow_up_in", "comments", "atlas_version", "formulary_version",
)


_SESSION = ProcedureSession.__table__
_SID = bindparam("sid")
_COLUMNS = (*_SCALARS, "exam_findings", "consent_risks", "carried_fields", "carried_from", "site_count", "updated_at")
# Every column a save writes, as one statement built once (the row version checked and moved on in it).
_VERSIONED_UPDATE = (update(_SESSION).where(_SESSION.c.id == _SID, _SESSION.c.row_version == bindparam("was"))
                     .values(row_version=bindparam("now"), **{c: bindparam(f"v_{c}") for c in _COLUMNS}))
_VERSIONED_UPDATE_ICD10 = _VERSIONED_UPDATE.values(icd10_version=bindparam("v_icd10_version"))
_PREPARATION_IDS = select(Preparation.__table__.c.label, Preparation.__table__.c.id).where(
    Preparation.__table__.c.session_id == _SID)


def write(s: Session, stored: SessionRecord | None, draft: SessionDraft, findings: Sequence[Finding] = (), *,
          icd10_version: str | None = None, formulary: Mapping[str, FormularyItemData] | None = None,
          lots: Sequence[LotData] | None = None) -> Written:
    """Insert (``stored`` None) or overwrite a draft session and its current findings; says what it wrote.

    The caller has checked status and row version against ``stored``, the session as it read it in this
    transaction; the UPDATE checks the version again (``WHERE row_version = …``) and a row someone else saved in
    between is refused with ConcurrentEditError. ``findings`` carry the override reasons; ``icd10_version`` is
    the ICD-10-CM set valid on the session's date; ``formulary`` and ``lots``, when the caller has read them,
    give the item and lot ids (else they are read here).

    Plain statements, no ORM objects (issue 19), and only what changed: the session row always (its version
    moves on), and of the children only the tables, syringes and sites that differ from ``stored``. A site or
    syringe left as it was keeps its row.
    """
    conn = s.connection()
    values = _row_values(draft, icd10_version)
    if stored is None:
        done = conn.execute(insert(_SESSION).values(patient_id=draft.patient_id, status="draft", row_version=1,
                                                    **values))
        session_id, version = done.inserted_primary_key[0], 1
    else:
        session_id, version = stored.id, stored.row_version + 1
        statement = _VERSIONED_UPDATE if icd10_version is None else _VERSIONED_UPDATE_ICD10
        done = conn.execute(statement, {"sid": session_id, "was": stored.row_version, "now": version,
                                        **{f"v_{c}": v for c, v in values.items()}})
        if done.rowcount != 1:  # saved by another workstation after the caller's check (PostgreSQL)
            raise ConcurrentEditError(SAVED_ELSEWHERE)
    old = stored or _NOTHING
    if draft.diagnoses != old.diagnoses:
        conn.execute(delete(SessionDiagnosis).where(SessionDiagnosis.session_id == session_id))
        if draft.diagnoses:
            conn.execute(insert(SessionDiagnosis), [
                {"session_id": session_id, "position": i, "code": x.code, "display": x.display}
                for i, x in enumerate(draft.diagnoses)])
    if [_finding_key(f) for f in findings] != [_finding_key(f) for f in old.findings] or (
            draft.physician_id != old.physician_id and any(f.override_reason for f in findings)):
        conn.execute(delete(SessionFinding).where(SessionFinding.session_id == session_id))
        if findings:
            conn.execute(insert(SessionFinding), [
                {"session_id": session_id, "rule_code": f.code, "subject": f.subject, "severity": f.severity,
                 "message": f.message, "source": f.source, "override_reason": f.override_reason,
                 "overridden_by_id": draft.physician_id if f.override_reason else None, "overridden_at": None}
                for f in findings])
    preps, sites = _write_sites_and_preparations(s, session_id, old, draft, formulary, lots)
    outcome_rows = draft.scales != old.scales or draft.prior_responses != old.prior_responses
    if outcome_rows:
        outcomes.write(s, session_id, draft.scales, draft.prior_responses)  # PEG, response per muscle (issue 17)
    return Written(session_id, version, preps, sites, outcome_rows)


class Written(NamedTuple):
    """A save's session id and new row version, and which children it wrote (the others are as they were)."""

    id: int
    row_version: int
    preparations: bool
    sites: bool
    outcomes: bool


def as_written(s: Session, before: SessionDraft | None, draft: SessionDraft, findings: Sequence[Finding],
               written: Written) -> SessionDraft:
    """The draft as a fresh read would now give it, without reading it all again: the values ``write`` stored,
    the children it left from ``before`` (the draft as read before writing), and the children it wrote where
    the database shapes them (a lot's expiry and NDC, the order of sites, outcome labels) read back."""
    values = _row_values(draft, None)
    parts = session_records.reread(s, written.id, preparations=written.preparations, sites=written.sites,
                                   outcome_rows=written.outcomes)
    kept = before or draft
    return replace(
        draft, id=written.id, row_version=written.row_version,
        exam_findings=tuple(ExamFinding(**f) for f in json.loads(json.dumps(values["exam_findings"]))),
        consent_risks=tuple(values["consent_risks"]), carried_fields=tuple(values["carried_fields"]),
        carried_from=values["carried_from"],
        preparations=parts.get("preparations", kept.preparations), sites=parts.get("sites", kept.sites),
        scales=parts.get("scales", kept.scales), prior_responses=parts.get("prior_responses", kept.prior_responses),
        overrides=tuple(FindingOverride(f.code, f.subject, f.override_reason) for f in findings if f.override_reason),
    )


_NOTHING = SessionRecord(id=0, patient_id=0, status="draft", performed_start=datetime.min, performed_end=None,
                         physician_id=0, physician="", atlas_version="")


def _row_values(draft: SessionDraft, icd10_version: str | None) -> dict:
    values = {name: getattr(draft, name) for name in _SCALARS}
    if icd10_version is not None:
        values["icd10_version"] = icd10_version
    carried = [name for name in draft.carried_fields if name in CARRIED_FIELDS]
    values.update(exam_findings=[vars(f).copy() for f in draft.exam_findings], consent_risks=list(draft.consent_risks),
                  carried_fields=carried, carried_from=draft.carried_from[:160] if carried else "",
                  site_count=len(draft.sites),  # the sites it has once written (by number): the history sorts on it
                  updated_at=datetime.now().replace(microsecond=0))
    return values


def _finding_key(f: Finding) -> tuple:
    return f.code, f.subject, f.severity, f.message, f.source, f.override_reason


def _write_sites_and_preparations(s: Session, session_id: int, old: SessionRecord, draft: SessionDraft,
                                  formulary: Mapping[str, FormularyItemData] | None,
                                  lots: Sequence[LotData] | None) -> tuple[bool, bool]:
    """Syringes by label and sites by number, written where they differ from ``old``; says whether any syringe
    and any site was written.

    A syringe whose drugs changed keeps its row (the sites name it by id) and has its components written again;
    a site is written again (deleted, inserted) when anything of it changed, its syringe's label included.
    """
    was_preps = {p.label: _drawn(p) for p in old.preparations}
    now_preps = {p.label: _drawn(p) for p in draft.preparations}
    was_sites = {x.number: x for x in old.sites}
    sites = [x for x in draft.sites if was_sites.get(x.number) != x]
    gone_preps = [label for label in was_preps if label not in now_preps]
    # a site naming a syringe that goes is written again (without it), as the whole draft would have been
    sites += [x for x in draft.sites if x.preparation_label in gone_preps and x not in sites]
    numbers = {x.number for x in draft.sites}
    gone_sites = [n for n in was_sites if n not in numbers] + [x.number for x in sites if x.number in was_sites]
    changed_preps = [p for p in draft.preparations if was_preps.get(p.label) != now_preps[p.label]]
    if not (sites or gone_sites or gone_preps or changed_preps):
        return False, False
    conn = s.connection()
    ids = dict(conn.execute(_PREPARATION_IDS, {"sid": session_id}).all()) if was_preps else {}
    if gone_sites:
        conn.execute(delete(Site).where(Site.session_id == session_id, Site.number.in_(gone_sites)))
    stale = [ids[label] for label in gone_preps] + [ids[p.label] for p in changed_preps if p.label in ids]
    if stale:
        conn.execute(delete(PreparationComponent).where(PreparationComponent.preparation_id.in_(stale)))
    if gone_preps:
        conn.execute(delete(Preparation).where(Preparation.id.in_([ids.pop(label) for label in gone_preps])))
    if changed_preps:
        items, lot_ids = _item_and_lot_ids(s, changed_preps, formulary, lots)
        components = []
        for prep in changed_preps:
            if prep.label not in ids:
                ids[prep.label] = conn.execute(
                    insert(Preparation).values(session_id=session_id, label=prep.label)).inserted_primary_key[0]
            components += [{"preparation_id": ids[prep.label], "position": position,
                            "item_id": items[c.item_code],
                            "lot_id": lot_ids.get((c.item_code, c.lot_number)) if c.lot_number else None,
                            "volume_ml": c.volume_ml, "vials_opened": c.vials_opened}
                           for position, c in enumerate(prep.components)]
        if components:
            conn.execute(insert(PreparationComponent), components)
    if sites:
        conn.execute(insert(Site), [_site_row(session_id, x, ids) for x in sites])
    return bool(gone_preps or changed_preps), bool(sites or gone_sites)


def _drawn(prep: PreparationData) -> list[tuple]:
    """What a syringe's component rows hold (a lot's expiry and NDC are the lot's, read with it, never saved)."""
    return [(c.item_code, c.volume_ml, c.lot_number, c.vials_opened) for c in prep.components]


def _item_and_lot_ids(s: Session, preparations: Sequence[PreparationData],
                      formulary: Mapping[str, FormularyItemData] | None,
                      lots: Sequence[LotData] | None) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Formulary item ids by code and lot ids by (item code, lot number), from what the caller read or read here."""
    codes = {c.item_code for prep in preparations for c in prep.components}
    if formulary is None:
        items = dict(s.execute(select(FormularyItem.code, FormularyItem.id).where(FormularyItem.code.in_(codes))).all())
    else:
        items = {code: formulary[code].id for code in codes if code in formulary}
    if lots is None:
        numbers = {c.lot_number for prep in preparations for c in prep.components if c.lot_number}
        lot_ids = {(code, number): lot_id for lot_id, code, number in s.execute(
            select(Lot.id, FormularyItem.code, Lot.lot_number).join(FormularyItem, FormularyItem.id == Lot.item_id)
            .where(Lot.lot_number.in_(numbers)))} if numbers else {}
    else:
        lot_ids = {(lot.item_code, lot.lot_number): lot.id for lot in lots}
    return items, lot_ids


def _site_row(session_id: int, site: SiteDraft, preps: dict[str, int]) -> dict:
    estim = site.estim
    return {
        "session_id": session_id, "number": site.number, "view": site.view, "x": site.x, "y": site.y,
        "region_code": site.region_code, "muscle_id": site.muscle_id, "muscle": site.muscle, "side": site.side,
        "technique": site.technique, "preparation_id": preps.get(site.preparation_label),
        "volume_ml": site.volume_ml, "needle": site.needle, "aspiration": site.aspiration, "passes": site.passes,
        "twitch": site.twitch, "needles_in": site.needles_in, "needles_out": site.needles_out,
        "dwell_minutes": site.dwell_minutes,
        "estim_frequency_hz": estim.frequency_hz if estim else None,
        "estim_pulse_width_us": estim.pulse_width_us if estim else None,
        "estim_intensity_ma": estim.intensity_ma if estim else None,
        "estim_minutes": estim.minutes if estim else None,
        "estim_attended": estim.attended if estim else None, "note": site.note,
    }
