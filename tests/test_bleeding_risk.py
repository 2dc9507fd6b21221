"""Every needle carries bleeding risk, the note and the sheet agree, and "None" typed as the anticoagulant
means none everywhere it is read (issue 13: product.md §4, clinical-reference §4.2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from rule_helpers import ATLAS, FORMULARY, START, draft, patient, site, syringe
from test_report_support import add_patient, flat, pdf_pages, save_session, setup_clinic

from tpi_notes.domain.aftercare import compose_aftercare, load_library
from tpi_notes.domain.clinic import ClinicInfo
from tpi_notes.domain.export_jsonl import session_json
from tpi_notes.domain.export_records import export_record
from tpi_notes.domain.patient import PatientInput, validate_patient
from tpi_notes.domain.rules import rules_for
from tpi_notes.domain.safety import SafetyInput, evaluate
from tpi_notes.domain.session import SessionRecord
from tpi_notes.reports.formatting import patient_history
from tpi_notes.services import documents, patients
from tpi_notes.services.context import AppContext

RULES = rules_for(START.date())
LIBRARY = load_library()
CLINIC = ClinicInfo("Harbor Clinic", "1 Main St", "(555) 010-2000", "(555) 010-9999")
NONE_WORDS = ["none", "None", "NONE", " none. ", "no", "No.", "n/a", "N/A", "NA", "n.a.", "nil", "Nil", "-", "—",
              "not on any", "Not on any.", "denies", "Denies", "", "   ", "Nóne", "none!"]


def needling_only():  # noqa: ANN201 - one dry-needling site, no syringe
    return draft([site(1, "gluteus_medius", "R", "dry_needling")], [])


def injection():  # noqa: ANN201
    return draft([site(1, "gluteus_maximus", "R", ml=2.0)], [syringe(("lidocaine-1", 2.0))])


def finding_codes(d, p) -> set[tuple[str, str]]:  # noqa: ANN001
    return {(f.code, f.severity) for f in evaluate(SafetyInput(p, d, FORMULARY, ATLAS, RULES))}


def sheet_blocks(d, p) -> set[str]:  # noqa: ANN001
    record = SessionRecord(id=1, patient_id=1, status="draft", performed_start=START, performed_end=None,
                           physician_id=1, physician="Dr", atlas_version=ATLAS.version, sites=d.sites,
                           preparations=d.preparations)
    doc = compose_aftercare(record, p, CLINIC, FORMULARY, ATLAS, LIBRARY, "en")
    return set(doc.block_ids) | ({"keep_taking"} if "blood thinner" in doc.plain_text() else set())


@pytest.mark.parametrize("make", [needling_only, injection], ids=["dry needling only", "injection"])
@pytest.mark.parametrize("risk", [{"anticoagulant": "apixaban"}, {"bleeding_disorder": True},
                                  {"anticoagulant": "warfarin", "bleeding_disorder": True}],
                         ids=["anticoagulant", "bleeding disorder", "both"])
def test_any_needle_with_a_bleeding_risk_warns_and_the_sheet_agrees(make, risk: dict) -> None:  # noqa: ANN001
    p = patient(**risk)
    assert ("bleeding_risk", "warn") in finding_codes(make(), p)
    assert "bleeding" in sheet_blocks(make(), p)


@pytest.mark.parametrize("make", [needling_only, injection], ids=["dry needling only", "injection"])
def test_no_bleeding_risk_gives_neither_warning_nor_block(make) -> None:  # noqa: ANN001
    assert ("bleeding_risk", "warn") not in finding_codes(make(), patient())
    assert "bleeding" not in sheet_blocks(make(), patient())


def test_the_warning_names_both_the_drug_and_the_disorder() -> None:
    p = patient(anticoagulant="warfarin", bleeding_disorder=True)
    [f] = [f for f in evaluate(SafetyInput(p, needling_only(), FORMULARY, ATLAS, RULES)) if f.code == "bleeding_risk"]
    assert "warfarin" in f.message and "bleeding disorder" in f.message and f.source


@pytest.mark.parametrize("word", NONE_WORDS)
@pytest.mark.parametrize("make", [needling_only, injection], ids=["dry needling only", "injection"])
def test_a_none_word_as_the_anticoagulant_means_none(word: str, make) -> None:  # noqa: ANN001
    p = patient(anticoagulant=word)
    assert ("bleeding_risk", "warn") not in finding_codes(make(), p)
    blocks = sheet_blocks(make(), p)
    assert "bleeding" not in blocks and "keep_taking" not in blocks  # never "keep taking your blood thinner"
    assert not any(b.startswith("Anticoagulant") for b in p.risk_badges())
    # typed none is an answer ("None"); nothing typed is a question not asked (issue 13 item 2)
    assert dict(patient_history(p))["Anticoagulant / antiplatelet"] == ("None" if word.strip() else "Not recorded")


@pytest.mark.parametrize("drug", ["apixaban", "Aspirin 81 mg", "none since May, was on warfarin", "Nonet"])
def test_a_drug_name_is_still_a_drug(drug: str) -> None:
    p = patient(anticoagulant=drug)
    assert ("bleeding_risk", "warn") in finding_codes(needling_only(), p)
    assert f"Anticoagulant: {drug}" in p.risk_badges()
    assert dict(patient_history(p))["Anticoagulant / antiplatelet"] == drug


@pytest.mark.parametrize("word", ["None", "n/a", "—", "Denies"])
def test_a_none_word_is_stored_empty_on_save(word: str) -> None:
    data = PatientInput(mrn="M1", family_name="Lee", given_name="Ann", birth_date=date(1970, 1, 1),
                        anticoagulant=word)
    assert validate_patient(data, date(2026, 6, 1)).anticoagulant == ""
    kept = validate_patient(replace(data, anticoagulant=" apixaban "), date(2026, 6, 1))
    assert kept.anticoagulant == "apixaban"


def test_a_stored_none_is_not_exported_as_a_drug() -> None:
    from test_export_records import PATIENT, session

    for stored, exported in (("None", None), ("n/a", None), ("apixaban", "apixaban")):
        record = export_record(session(patient=PATIENT._replace(anticoagulant=stored)), FORMULARY, "medicare")
        assert session_json(record)["patient"]["anticoagulant"] == exported


def test_the_header_shows_no_badge_for_a_stored_none(qtbot) -> None:  # noqa: ANN001
    from tpi_notes.domain.patient import PatientRecord
    from tpi_notes.ui.patient_header import PatientHeader

    header = PatientHeader()
    qtbot.addWidget(header)
    header.show()
    stored = PatientRecord(mrn="M1", family_name="Lee", given_name="Ann", birth_date=date(1970, 1, 1),
                           anticoagulant="None", id=1)
    header.show_patient(stored, date(2026, 6, 1))
    assert not any("Anticoagulant" in t for t in header.badge_texts())
    header.show_patient(replace(stored, anticoagulant="apixaban"), date(2026, 6, 1))
    assert "Anticoagulant: apixaban" in header.badge_texts()


def test_immunosuppression_with_a_corticosteroid_is_an_info_finding() -> None:
    steroid = draft([site(1, "gluteus_maximus", "R", ml=5.0)],
                    [syringe(("lidocaine-1", 4.0), ("triamcinolone-40", 1.0))])
    got = evaluate(SafetyInput(patient(immunosuppressed=True), steroid, FORMULARY, ATLAS, RULES))
    [f] = [f for f in got if f.code == "immunosuppressed_steroid"]
    assert f.severity == "info" and "infection" in f.message.lower() and "§4.2" in f.source
    assert not f.blocks_signing
    assert ("immunosuppressed_steroid", "info") not in finding_codes(injection(), patient(immunosuppressed=True))
    assert ("immunosuppressed_steroid", "info") not in finding_codes(steroid, patient())


def test_anticoagulated_dry_needling_note_and_sheet_agree(ctx: AppContext, tmp_path) -> None:  # noqa: ANN001
    """Through the services: the saved draft's note lists the warning and the sheet has the bleeding block."""
    doctor = setup_clinic(ctx)
    p = add_patient(ctx, anticoagulant="apixaban")
    sid = save_session(ctx, p.id, doctor, 2, technique="dry_needling")
    note = flat(" ".join(pdf_pages(documents.procedure_note_pdf(ctx, sid))))
    sheet = flat(" ".join(pdf_pages(documents.aftercare_pdf(ctx, sid, "en"))))
    (tmp_path / "note.pdf").write_bytes(documents.procedure_note_pdf(ctx, sid))
    (tmp_path / "sheet.pdf").write_bytes(documents.aftercare_pdf(ctx, sid, "en"))
    assert "apixaban" in note and "bleeding-risk discussion" in note
    assert "Bleeding" in sheet and "blood thinner" in sheet
    none = add_patient(ctx, mrn="P-200", anticoagulant="None")
    assert patients.get_patient(ctx, none.id).anticoagulant == ""


def test_a_none_stored_before_this_change_is_read_as_none(ctx: AppContext) -> None:
    """Records saved before saving normalised keep "None": the list flag, the note and the sheet read it as none."""
    from sqlalchemy import update

    from tpi_notes.db.models import Patient

    doctor = setup_clinic(ctx)
    p = add_patient(ctx)
    with ctx.transaction() as s:
        s.execute(update(Patient).where(Patient.id == p.id).values(anticoagulant="None"))
    assert patients.get_patient(ctx, p.id).anticoagulant == "None"  # as stored, not rewritten by reading
    [row] = patients.search_patients(ctx, "Nguy")
    assert "bleeding" not in row.flags
    sid = save_session(ctx, p.id, doctor, 2, technique="dry_needling")
    note = flat(" ".join(pdf_pages(documents.procedure_note_pdf(ctx, sid))))
    sheet = flat(" ".join(pdf_pages(documents.aftercare_pdf(ctx, sid, "en"))))
    assert "bleeding-risk discussion" not in note and "Anticoagulant / antiplatelet None" in note
    assert "blood thinner" not in sheet and "You bleed more easily" not in sheet
