"""Back-dated sessions (issue 12 item 4): any date since 2000-01-01 saves, signs, prints and exports with the
rules in force on its date; a date before the earliest rules or far in the future is refused at the date field."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta

import pytest
from test_report_support import add_patient, flat, pdf_pages, save_session, session_draft, setup_clinic, sign

from tpi_notes.domain import rules
from tpi_notes.domain.errors import ValidationError
from tpi_notes.services import documents, drafts
from tpi_notes.services.context import AppContext
from tpi_notes.services.exports import export_sessions
from tpi_notes.services.sessions import get_session

METHYLPRED = (("lidocaine-1", 4.0), ("methylprednisolone-40", 1.0))


def _at(day: date) -> dict:
    start = datetime.combine(day, datetime.min.time()).replace(hour=9, minute=30)
    return {"performed_start": start, "performed_end": start + timedelta(minutes=25),
            "timeout_at": start + timedelta(minutes=2)}


@pytest.mark.parametrize(("day", "cpt", "hcpcs"), [
    (date(2000, 1, 1), "20550", "J1020"),      # before CPT 2002: trigger points under 20550
    (date(2001, 12, 31), "20550", "J1020"),
    (date(2002, 1, 1), "20552", "J1020"),      # 20552/20553 from CPT 2002
    (date(2012, 7, 1), "20552", "J1020"),
    (date(2019, 12, 31), "20552", "J1020"),
    (date(2024, 3, 31), "20552", "J1020"),     # J1020/J1030/J1040 until 31 Mar 2024
    (date(2024, 4, 1), "20552", "J1010"),
])
def test_a_back_dated_session_saves_signs_prints_and_exports(ctx: AppContext, day: date, cpt: str,
                                                             hcpcs: str) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, birth_date=date(1950, 3, 9))
    session_id = save_session(ctx, patient.id, doctor, 2, syringe=METHYLPRED, **_at(day))
    sign(ctx, session_id, doctor)
    record = get_session(ctx, session_id)
    assert record.is_signed and record.performed_start.date() == day
    note = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert day.isoformat() in note
    assert f"CPT {cpt}" in note and f"HCPCS {hcpcs}" in note
    aftercare = flat("\n".join(pdf_pages(documents.aftercare_pdf(ctx, session_id))))
    assert patient.given_name in aftercare
    out = io.BytesIO()
    summary = export_sessions(ctx, "jsonl", out, workers=0)
    assert summary.sessions == 1
    row = json.loads(out.getvalue().decode("utf-8").splitlines()[-1])
    assert cpt in json.dumps(row) and hcpcs in json.dumps(row)


def test_dry_needling_before_2020_is_the_unlisted_code(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 3, technique="dry_needling", **_at(date(2015, 5, 5)))
    note = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert "CPT 20999" in note and "20561" not in note


def test_before_icd10_the_note_says_the_claim_needed_icd9(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 1, **_at(date(2014, 2, 3)))
    note = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert "ICD-9-CM" in note


def test_every_day_since_2000_has_rules() -> None:
    assert rules.earliest_rules_date() == date(2000, 1, 1)
    for year in range(2000, 2027):
        assert rules.rules_for(date(year, 1, 1)).effective_from <= date(year, 1, 1)


def test_a_date_before_the_earliest_rules_is_refused_at_the_date_field(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    with pytest.raises(ValidationError) as refused:
        drafts.save_draft(ctx, session_draft(ctx, patient.id, doctor, 1, **_at(date(1999, 12, 31))))
    message = refused.value.errors["performed_start"]
    assert "2000-01-01" in message and "1999-12-31" in message


def test_a_date_far_in_the_future_is_refused_at_the_date_field(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    ahead = ctx.today() + timedelta(days=400)
    with pytest.raises(ValidationError) as refused:
        drafts.save_draft(ctx, session_draft(ctx, patient.id, doctor, 1, **_at(ahead)))
    assert ahead.isoformat() in refused.value.errors["performed_start"]
    # a draft prepared for an appointment later this week still saves
    soon = save_session(ctx, patient.id, doctor, 1, **_at(ctx.today() + timedelta(days=3)))
    assert soon
