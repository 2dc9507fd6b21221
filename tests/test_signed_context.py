"""A signature fixes the patient and clinic values its note prints (domain/signed_context.py): a reprint of a
signed note says what was signed even after the patient's weight, history or name and the clinic's letterhead
change; the hash covers those values; sessions signed before (content version 1) verify and print as before."""

from __future__ import annotations

import io
import json
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_report_support import add_patient, flat, pdf_pages, save_session, setup_clinic, sign

from tpi_notes.domain.clinic import ClinicInfo
from tpi_notes.domain.patient import PatientInput, PatientRecord
from tpi_notes.domain.signed_context import PATIENT_FIELDS, capture, clinic_as_signed, patient_as_signed
from tpi_notes.domain.signing import OUTCOMES_CONTENT_VERSION, content_sha256, record_content
from tpi_notes.services import clinic_settings, documents, integrity, patients
from tpi_notes.services.context import AppContext
from tpi_notes.services.exports import export_sessions
from tpi_notes.services.sessions import get_session


def _signed_then_changed(ctx: AppContext) -> tuple[int, PatientRecord]:
    """A signed 2-site lidocaine session (patient 70 kg, not diabetic); afterwards the patient and the clinic
    change: new weight, diabetes, an allergy, a new family name and MRN, a new clinic name and address."""
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 2, syringe=(("lidocaine-1", 8.0),))
    sign(ctx, session_id, doctor)
    data = PatientInput(**{f: getattr(patient, f) for f in PatientInput.__dataclass_fields__})
    changed = replace(data, weight_kg=50.0, weight_date=date.today(), diabetes=True, allergies=("latex",),
                      family_name="Trần", mrn="P-200")
    patients.update_patient(ctx, patient.id, changed, patient.row_version)
    settings = clinic_settings.get_settings(ctx)
    clinic_settings.update_settings(ctx, replace(settings, name="Harbor Spine Center", address="99 New Street"))
    return session_id, patient


def test_a_reprinted_signed_note_shows_the_patient_and_clinic_as_signed(ctx: AppContext) -> None:
    session_id, before = _signed_then_changed(ctx)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert f"{before.display_name} · DOB 1961-03-09 · MRN P-100" in text and "Trần" not in text and "P-200" not in text
    assert "70 kg" in text and "50 kg" not in text
    # 2 mL of lidocaine 1 % = 20 mg against the 300 mg ceiling (4.5 mg/kg × 70 kg = 315 mg), not 225 mg at 50 kg
    assert "6.7 % of max 300 mg" in text and "4.5 mg/kg × 70 kg" in text and "8.9 %" not in text
    assert "Harbor & Pines Pain Clinic" in text and "Harbor Spine Center" not in text
    assert "latex" not in text
    assert integrity.session_is_intact(ctx, session_id)


def test_a_draft_prints_the_patient_and_clinic_as_they_are_now(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 1)
    data = PatientInput(**{f: getattr(patient, f) for f in PatientInput.__dataclass_fields__})
    patients.update_patient(ctx, patient.id, replace(data, weight_kg=50.0), patient.row_version)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert "50 kg" in text and "70 kg" not in text
    assert get_session(ctx, session_id).signed_context is None


def test_the_aftercare_reprint_follows_the_patient_as_treated(ctx: AppContext) -> None:
    """Diabetes recorded after the session does not add the blood-sugar block to that session's sheet
    (no steroid was given anyway), and the sheet keeps the clinic's current phone numbers."""
    session_id, _ = _signed_then_changed(ctx)
    text = flat("\n".join(pdf_pages(documents.aftercare_pdf(ctx, session_id, lang="en"))))
    assert "blood sugar" not in text.lower()
    assert "Harbor Spine Center" in text  # the sheet is for calling the clinic today


def test_the_export_carries_the_patient_as_signed(ctx: AppContext) -> None:
    session_id, before = _signed_then_changed(ctx)
    out = io.BytesIO()
    export_sessions(ctx, "jsonl", out)
    rows = [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines() if line.strip()]
    row = next(r for r in rows if r.get("session_id", r.get("id")) == session_id)
    assert row["patient"]["weight_kg"] == 70.0
    assert row["patient"]["family_name"] == before.family_name


def test_the_fhir_bundle_describes_the_patient_as_they_are_now(ctx: AppContext) -> None:
    """One Patient resource per person, with today's MRN and name, and every reference resolving to it,
    even though the signed session was signed under the old MRN."""
    session_id, _ = _signed_then_changed(ctx)
    out = io.BytesIO()
    export_sessions(ctx, "fhir", out)
    bundle = json.loads(out.getvalue())
    people = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert len(people) == 1
    person = people[0]["resource"]
    assert person["identifier"][0]["value"] == "P-200" and person["name"][0]["family"] == "Trần"
    urls = {e["fullUrl"] for e in bundle["entry"]}
    subjects = [e["resource"]["subject"]["reference"] for e in bundle["entry"] if "subject" in e["resource"]]
    assert subjects and all(ref == people[0]["fullUrl"] and ref in urls for ref in subjects)


def test_the_signed_context_is_under_the_hash(ctx: AppContext, db_path: Path) -> None:
    session_id, _ = _signed_then_changed(ctx)
    record = get_session(ctx, session_id)
    # signed now at the current content version (6, with the outcomes: issue 17)
    assert record.content_version == OUTCOMES_CONTENT_VERSION and record.signed_context["patient"]["weight_kg"] == 70.0
    assert record.content_sha256 == content_sha256(record_content(record), OUTCOMES_CONTENT_VERSION)
    assert record.signed_context["patient"]["history"]["allergies"]["state"] == "no"  # answers under it (v3)
    context = dict(record.signed_context, patient=dict(record.signed_context["patient"], weight_kg=95.0))
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER trg_procedure_session_update_locked")
    conn.execute("UPDATE procedure_session SET signed_context = ? WHERE id = ?", (json.dumps(context), session_id))
    conn.commit()
    conn.close()
    assert not integrity.session_is_intact(ctx, session_id)
    assert integrity.tampered_session_ids(ctx) == {session_id}


def test_a_session_signed_before_the_context_existed_verifies_and_prints_as_before(ctx: AppContext,
                                                                                    db_path: Path) -> None:
    """Content version 1 (no signed context): the hash is the old one and the note shows current values."""
    session_id, _ = _signed_then_changed(ctx)
    record = get_session(ctx, session_id)
    old = replace(record, signed_context=None, content_version=None)
    old_hash = content_sha256(record_content(old))
    assert old_hash != record.content_sha256
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER trg_procedure_session_update_locked")
    conn.execute("UPDATE procedure_session SET signed_context = NULL, content_version = NULL, content_sha256 = ?, "
                 "signature = NULL WHERE id = ?", (old_hash, session_id))
    # signed in those days: a hash-only signature, and the signing audit event names that hash (and no key)
    conn.execute("DROP TRIGGER trg_audit_event_update_locked")
    conn.execute("UPDATE audit_event SET detail = ? WHERE action = 'sign'", (f"sha256 {old_hash}",))
    conn.commit()
    conn.close()
    assert integrity.session_is_intact(ctx, session_id)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert "50 kg" in text and "Harbor Spine Center" in text


_PATIENTS = st.builds(
    PatientRecord, mrn=st.text(min_size=1, max_size=12), family_name=st.text(max_size=20),
    given_name=st.text(max_size=20), birth_date=st.dates(date(1900, 1, 1), date(2025, 12, 31)),
    sex=st.sampled_from(["female", "male", "unknown"]), weight_kg=st.none() | st.floats(2, 300),
    weight_date=st.none() | st.dates(date(2000, 1, 1), date(2026, 1, 1)),
    allergies=st.lists(st.text(min_size=1, max_size=10), max_size=3).map(tuple), anticoagulant=st.text(max_size=10),
    bleeding_disorder=st.booleans(), diabetes=st.booleans(), insulin=st.booleans(), pregnant=st.booleans(),
    breastfeeding=st.booleans(), immunosuppressed=st.booleans(), implanted_device=st.booleans(),
    language=st.sampled_from(["en", "es"]), id=st.integers(1, 10_000))


@given(signed=_PATIENTS, now=_PATIENTS)
def test_the_context_round_trips_through_json(signed: PatientRecord, now: PatientRecord) -> None:
    clinic = ClinicInfo("A clinic", "1 Street", "(555) 000-0000", "(555) 000-0001", logo_png=b"png")
    stored = json.loads(json.dumps(capture(signed, clinic)))  # as the database column keeps it
    restored = patient_as_signed(now, stored)
    for name in PATIENT_FIELDS:
        assert getattr(restored, name) == getattr(signed, name), name
    assert (restored.id, restored.language) == (now.id, now.language)  # identity and preference stay current
    later = ClinicInfo("Renamed", "2 Road", "1", "2", logo_png=b"new")
    assert clinic_as_signed(later, stored) == replace(clinic, logo_png=b"new")


@pytest.mark.parametrize("context", [None, {}])
def test_no_context_changes_nothing(context: dict | None) -> None:
    patient = PatientRecord(mrn="1", family_name="A", given_name="B", birth_date=date(1970, 1, 1))
    clinic = ClinicInfo("C", "", "", "")
    assert patient_as_signed(patient, context) is patient
    assert clinic_as_signed(clinic, context) is clinic
