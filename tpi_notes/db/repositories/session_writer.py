"""Writing a draft's content into a session row and its children (diagnoses, syringes, sites)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
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
from tpi_notes.db.repositories import outcomes
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.findings import Finding
from tpi_notes.domain.session import Site as SiteDraft
from tpi_notes.domain.templates import CARRIED_FIELDS

_SCALARS = (
    "performed_start", "performed_end", "location", "physician_id", "assistant_id", "indication", "conservative_care",
    "consent_type", "consent_form_id", "timeout_done", "timeout_at", "position", "antisepsis", "guidance",
    "pain_before", "pain_after", "relief_pct", "complications", "tolerance", "blood_loss", "observation_minutes",
    "respiratory_check", "disposition", "follow_up", "follow_up_in", "comments", "atlas_version", "formulary_version",
)


def write(s: Session, row: ProcedureSession | None, draft: SessionDraft,
          findings: Sequence[Finding] = (), *, icd10_version: str | None = None) -> ProcedureSession:
    """Insert (row None) or overwrite a draft session and its current findings.

    The caller has checked status and row version; ``findings`` carry the override reasons; ``icd10_version``
    is the ICD-10-CM set valid on the session's date (written in the same UPDATE, so the row version moves once).

    The children are replaced with one DELETE and one multi-row INSERT a table, not row by row through the
    ORM's collections (which first loaded each collection, then flushed a statement per row: 50 statements for
    a 10-site session; issue 19). The row's collections are expired, so whoever reads them next reads the rows
    written here.
    """
    if row is None:
        row = ProcedureSession(patient_id=draft.patient_id, status="draft")
        s.add(row)
    for name in _SCALARS:
        setattr(row, name, getattr(draft, name))
    if icd10_version is not None:
        row.icd10_version = icd10_version
    row.exam_findings = [vars(f).copy() for f in draft.exam_findings]
    row.consent_risks = list(draft.consent_risks)
    row.carried_fields = [name for name in draft.carried_fields if name in CARRIED_FIELDS]
    row.carried_from = draft.carried_from[:160] if row.carried_fields else ""
    # Always touch the row so that its version moves on even when only children changed.
    row.updated_at = datetime.now().replace(microsecond=0)
    s.flush()  # the UPDATE (row version checked) or the INSERT that gives a new session its id
    session_id = row.id
    _delete_children(s, session_id)
    s.expire(row, ["sites", "diagnoses", "findings", "preparations"])
    if draft.diagnoses:
        s.execute(insert(SessionDiagnosis), [
            {"session_id": session_id, "position": i, "code": d.code, "display": d.display}
            for i, d in enumerate(draft.diagnoses)])
    if findings:
        s.execute(insert(SessionFinding), [
            {"session_id": session_id, "rule_code": f.code, "subject": f.subject, "severity": f.severity,
             "message": f.message, "source": f.source, "override_reason": f.override_reason,
             "overridden_by_id": draft.physician_id if f.override_reason else None, "overridden_at": None}
            for f in findings])
    preps = _write_preparations(s, session_id, draft)
    if draft.sites:
        s.execute(insert(Site), [_site_row(session_id, site, preps) for site in draft.sites])
    outcomes.write(s, row.id, draft.scales, draft.prior_responses)  # PEG and the response per muscle (issue 17)
    return row


def _delete_children(s: Session, session_id: int) -> None:
    """The session's sites, syringes (and their components), diagnoses and findings, gone (sites first: they name
    the syringes)."""
    preparations = select(Preparation.id).where(Preparation.session_id == session_id)
    s.execute(delete(Site).where(Site.session_id == session_id))
    s.execute(delete(PreparationComponent).where(PreparationComponent.preparation_id.in_(preparations)))
    s.execute(delete(Preparation).where(Preparation.session_id == session_id))
    s.execute(delete(SessionDiagnosis).where(SessionDiagnosis.session_id == session_id))
    s.execute(delete(SessionFinding).where(SessionFinding.session_id == session_id))


def _write_preparations(s: Session, session_id: int, draft: SessionDraft) -> dict[str, int]:
    """The draft's syringes and their components; returns each syringe's id by label."""
    if not draft.preparations:
        return {}
    codes = {c.item_code for prep in draft.preparations for c in prep.components}
    items = dict(s.execute(select(FormularyItem.code, FormularyItem.id).where(FormularyItem.code.in_(codes))).all())
    numbers = {c.lot_number for prep in draft.preparations for c in prep.components if c.lot_number}
    lots = {(item_id, number): lot_id for lot_id, item_id, number in s.execute(
        select(Lot.id, Lot.item_id, Lot.lot_number).where(Lot.lot_number.in_(numbers)))} if numbers else {}
    ids: dict[str, int] = {}
    components = []
    for prep in draft.preparations:
        done = s.execute(insert(Preparation).values(session_id=session_id, label=prep.label))
        prep_id = done.inserted_primary_key[0]
        ids[prep.label] = prep_id
        components += [{"preparation_id": prep_id, "position": position, "item_id": items[c.item_code],
                        "lot_id": lots.get((items[c.item_code], c.lot_number)) if c.lot_number else None,
                        "volume_ml": c.volume_ml, "vials_opened": c.vials_opened}
                       for position, c in enumerate(prep.components)]
    if components:
        s.execute(insert(PreparationComponent), components)
    return ids


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
