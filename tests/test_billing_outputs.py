"""Issue 15 items 1, 6 and 8 on paper and in the exports: the discarded amount, the NDC, numbers as clinicians
write them, per-drug CSV columns (never milligrams of different drugs added up), saline without milligrams."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from export_fixtures import csv_rows, export, jsonl_sessions
from sqlalchemy import select, update
from test_report_support import add_patient, flat, pdf_pages, session_draft, setup_clinic, sign

from tpi_notes.db.models import FormularyItem, Lot
from tpi_notes.domain.export_csv import CSV_HEADER
from tpi_notes.domain.session import Component, Preparation
from tpi_notes.services import drafts
from tpi_notes.services.context import AppContext
from tpi_notes.services.documents import procedure_note_pdf

NDC_SYSTEM = "http://hl7.org/fhir/sid/ndc"
# The lots' NDCs as printed on the boxes (10 digits, 4-4-2) and the 11-digit billing form claims use.
LIDOCAINE_NDC, LIDOCAINE_11 = "0409-4276-01", "00409427601"
KENALOG_NDC, KENALOG_11 = "0003-0293-05", "00003029305"


@pytest.fixture
def case(ctx: AppContext) -> tuple[AppContext, int]:
    """A signed session: syringe A lidocaine 1 % 4 mL + triamcinolone 40 mg/mL 1.5 mL + saline 0.5 mL (6 mL), 4.6 mL
    of it given at two sites (lidocaine 30.6667 mg, triamcinolone 46 mg from two 1 mL single-dose vials: 34 mg
    discarded); syringe B bupivacaine 0.5 % 1 mL at a third site."""
    doctor = setup_clinic(ctx)
    with ctx.transaction() as s:
        for code, ndc in (("lidocaine-1", LIDOCAINE_NDC), ("triamcinolone-40", KENALOG_NDC)):
            item_id = s.scalar(select(FormularyItem.id).where(FormularyItem.code == code))
            s.execute(update(Lot).where(Lot.item_id == item_id).values(ndc=ndc))
    patient = add_patient(ctx)
    muscles = [("gluteus_medius", "posterior", "L"), ("gluteus_maximus", "posterior", "L"),
               ("gluteus_medius", "posterior", "R")]
    draft = session_draft(ctx, patient.id, doctor, n_sites=3, muscles=muscles,
                          syringe=(("lidocaine-1", 4.0), ("triamcinolone-40", 1.5), ("saline-0.9", 0.5)))
    a = draft.preparations[0]
    b = Preparation("B", (Component("bupivacaine-0.5", 1.0, "BUP-2611"),))
    sites = (replace(draft.sites[0], volume_ml=2.3), replace(draft.sites[1], volume_ml=2.3),
             replace(draft.sites[2], preparation_label="B", volume_ml=1.0))
    saved = drafts.save_draft(ctx, replace(draft, preparations=(a, b), sites=sites))
    assert saved.id is not None
    sign(ctx, saved.id, doctor)
    return ctx, saved.id


def test_the_note_prints_ndc_discarded_amount_and_numbers_as_written(case: tuple[AppContext, int],
                                                                     tmp_path: Path) -> None:
    ctx, session_id = case
    pdf = procedure_note_pdf(ctx, session_id)
    (tmp_path / "note.pdf").write_bytes(pdf)
    text = flat(" ".join(pdf_pages(pdf)))
    assert "00409-4276-01" in text and "00003-0293-05" in text  # the NDC, in the 11-digit billing form
    assert "Discarded: 34 mg triamcinolone acetonide (1 vial partly used)" in text
    assert "J3301 5" in text and "JW" in text and "JZ" not in text
    assert "30.6667" not in text and "30.67" in text
    assert "nothing discarded" not in text
    saline = text.split("Normal saline 0.9 %")[1][:60]  # the saline row of the medication table
    assert "mg" not in saline.split("no maximum")[0], saline  # a volume, never milligrams of salt
    assert "3.45" not in text  # 0.3833 mL of 0.9 % saline is 3.45 mg of NaCl: not a dose


def test_csv_has_per_drug_columns_and_never_adds_up_different_drugs(case: tuple[AppContext, int],
                                                                     tmp_path: Path) -> None:
    ctx, _session_id = case
    header, row = csv_rows(export(ctx, "csv", tmp_path))
    assert tuple(header) == CSV_HEADER
    cell = dict(zip(header, row, strict=True))
    assert cell["local_anesthetic_mg"] == ""  # lidocaine + bupivacaine: mg of two drugs do not add up
    assert (cell["lidocaine_mg"], cell["lidocaine_pct_of_max"]) == ("30.67", "10.22")  # of 300 mg at 70 kg
    assert (cell["bupivacaine_mg"], cell["bupivacaine_pct_of_max"]) == ("5", "2.86")  # of 175 mg
    assert cell["local_anesthetic_pct_of_max"] == "13.08"
    assert (cell["saline_ml"], cell["triamcinolone_mg"], cell["corticosteroid_mg"]) == ("0.38", "46", "46")
    assert cell["hcpcs"] == "J3301 x5; J3301-JW x3"
    assert LIDOCAINE_11 in cell["ndc"] and KENALOG_11 in cell["ndc"]
    assert cell["discarded"] == "triamcinolone acetonide: 34 mg (2 vials opened)"
    assert not any("30.6667" in c for c in row)


def test_jsonl_and_fhir_carry_the_ndc(case: tuple[AppContext, int], tmp_path: Path) -> None:
    ctx, _session_id = case
    (line,) = jsonl_sessions(export(ctx, "jsonl", tmp_path))
    ndcs = {m["code"]: (m["ndc"], m["ndc_11"]) for m in line["medications"]}
    assert ndcs["lidocaine-1"] == (LIDOCAINE_NDC, LIDOCAINE_11)
    assert ndcs["triamcinolone-40"] == (KENALOG_NDC, KENALOG_11)
    components = {c["item_code"]: c for s in line["syringes"] for c in s["components"]}
    assert components["triamcinolone-40"]["ndc_11"] == KENALOG_11
    assert components["triamcinolone-40"]["vials_opened"] is None
    assert line["codes"]["discarded"] == [{"drug": "triamcinolone acetonide", "mg": 34.0, "vials_opened": 2}]

    bundle = json.loads(export(ctx, "fhir", tmp_path).read_text(encoding="utf-8"))
    medications = [e["resource"]["contained"][0] for e in bundle["entry"]
                   if e["resource"]["resourceType"] == "MedicationAdministration"]
    codes = {c["code"] for m in medications for c in m["code"]["coding"] if c["system"] == NDC_SYSTEM}
    assert {LIDOCAINE_11, KENALOG_11, "99999000101"} == codes  # saline and bupivacaine share the set-up NDC
    texts = [e["resource"]["dosage"]["text"] for e in bundle["entry"]
             if e["resource"]["resourceType"] == "MedicationAdministration"]
    assert any("30.67 mg" in t for t in texts) and not any("30.6667" in t for t in texts)
