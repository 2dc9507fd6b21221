"""Writing a draft's content into a session row and its children (diagnoses, syringes, sites)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
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
    row.sites.clear()
    row.diagnoses.clear()
    row.findings.clear()
    s.flush()
    row.preparations.clear()
    s.flush()
    row.diagnoses.extend(SessionDiagnosis(position=i, code=d.code, display=d.display)
                         for i, d in enumerate(draft.diagnoses))
    row.findings.extend(SessionFinding(rule_code=f.code, subject=f.subject, severity=f.severity, message=f.message,
                                       source=f.source, override_reason=f.override_reason,
                                       overridden_by_id=draft.physician_id if f.override_reason else None)
                        for f in findings)
    items = dict(s.execute(select(FormularyItem.code, FormularyItem.id)).all())
    preps = {}
    for prep in draft.preparations:
        new = Preparation(label=prep.label)
        for position, c in enumerate(prep.components):
            lot_id = None
            if c.lot_number:
                lot_id = s.scalar(select(Lot.id).where(Lot.item_id == items[c.item_code],
                                                       Lot.lot_number == c.lot_number))
            new.components.append(PreparationComponent(position=position, item_id=items[c.item_code],
                                                       lot_id=lot_id, volume_ml=c.volume_ml,
                                                       vials_opened=c.vials_opened))
        row.preparations.append(new)
        preps[prep.label] = new
    s.flush()
    for site in draft.sites:
        estim = site.estim
        row.sites.append(Site(
            number=site.number, view=site.view, x=site.x, y=site.y, region_code=site.region_code,
            muscle_id=site.muscle_id, muscle=site.muscle, side=site.side, technique=site.technique,
            preparation_id=preps[site.preparation_label].id if site.preparation_label in preps else None,
            volume_ml=site.volume_ml, needle=site.needle, aspiration=site.aspiration, passes=site.passes,
            twitch=site.twitch, needles_in=site.needles_in, needles_out=site.needles_out,
            dwell_minutes=site.dwell_minutes,
            estim_frequency_hz=estim.frequency_hz if estim else None,
            estim_pulse_width_us=estim.pulse_width_us if estim else None,
            estim_intensity_ma=estim.intensity_ma if estim else None,
            estim_minutes=estim.minutes if estim else None,
            estim_attended=estim.attended if estim else None, note=site.note,
        ))
    s.flush()
    outcomes.write(s, row.id, draft.scales, draft.prior_responses)  # PEG and the response per muscle (issue 17)
    return row
