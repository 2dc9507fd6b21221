"""The NDI and the ODI in the FHIR export (clinical-reference §1.2, §9.2): Medicare's TPI LCDs ask for the same
validated functional scale before and after, with the dates measured. A receiving system finds each one as an
Observation naming the scale, its score, when it was measured, about the patient and part of the session's
Procedure, as the PEG-3 is; and the bundle still validates against the R4B models."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from export_fixtures import export
from test_report_support import START, add_patient, save_session, setup_clinic, sign

from tpi_notes.domain.outcomes import ScaleScore, peg, scale_definitions
from tpi_notes.services import clinic_settings
from tpi_notes.services.context import AppContext

Bundle = pytest.importorskip("fhir.resources.R4B.bundle").Bundle

LOINC = "http://loinc.org"
NDI_BEFORE = (3,) * 10  # 30 of 50: 60 %
NDI_AFTER = (2, 1, 3, 0, 2, 1, 4, 2, 3, 2)  # 20 of 50: 40 %
ODI_AFTER = (1, 2, None, 1, 2, 1, 0, 2, 1, 2)  # nine sections answered, 12 of 45: 27 %


def _visits(ctx: AppContext) -> tuple[int, int]:
    """A signed visit eight weeks ago (NDI 60 %), and today's draft (PEG-3, NDI 40 %, ODI with a section skipped)."""
    doctor = setup_clinic(ctx)
    clinic_settings.update_settings(ctx, replace(clinic_settings.get_settings(ctx), functional_scales="both"))
    patient = add_patient(ctx)
    earlier = START - timedelta(weeks=8)
    first = save_session(ctx, patient.id, doctor, 2, scales=(ScaleScore("ndi", NDI_BEFORE, earlier, doctor),),
                         performed_start=earlier, performed_end=earlier + timedelta(minutes=20),
                         timeout_at=earlier + timedelta(minutes=2))
    sign(ctx, first, doctor)
    measured = START - timedelta(minutes=10)
    second = save_session(ctx, patient.id, doctor, 2, scales=(
        peg(4, 3, 4, measured, doctor), ScaleScore("ndi", NDI_AFTER, measured, doctor),
        ScaleScore("odi", ODI_AFTER, measured, doctor)))
    return first, second


def test_ndi_and_odi_are_observations_of_the_session_with_score_date_and_sections(ctx: AppContext,
                                                                                   tmp_path: Path) -> None:
    first, second = _visits(ctx)
    raw = export(ctx, "fhir", tmp_path).read_bytes()
    Bundle.model_validate_json(raw) if hasattr(Bundle, "model_validate_json") else Bundle.parse_raw(raw)
    entry = json.loads(raw)["entry"]
    entries = {e["fullUrl"]: e["resource"] for e in entry}
    assert len(entries) == len(entry)  # every fullUrl once (each scale of each session its own)
    procedures = {r["identifier"][0]["value"]: url for url, r in entries.items() if r["resourceType"] == "Procedure"}
    (patient,) = [url for url, r in entries.items() if r["resourceType"] == "Patient"]
    observations = [r for r in entries.values() if r["resourceType"] == "Observation"]
    scales = [o for o in observations if o["code"].get("text") in ("Neck Disability Index", "Oswestry Disability Index")]
    found = sorted((o["code"]["text"], o["partOf"][0]["reference"], o["valueQuantity"]["value"]) for o in scales)
    assert found == sorted([("Neck Disability Index", procedures[str(first)], 60),
                            ("Neck Disability Index", procedures[str(second)], 40),
                            ("Oswestry Disability Index", procedures[str(second)], 27)])
    for o in scales:
        assert o["subject"] == {"reference": patient}
        assert o["valueQuantity"] == {**o["valueQuantity"], "unit": "%", "system": "http://unitsofmeasure.org",
                                      "code": "%"}
        # no LOINC code is in resources/ or clinical-reference for these two: the scale is named, never guessed
        assert all(c["system"] != LOINC for c in o["code"].get("coding", []))
        assert o["category"][0]["coding"][0]["code"] == "survey"
    ndi_before, ndi_after = sorted((o for o in scales if o["code"]["text"] == "Neck Disability Index"),
                                   key=lambda o: o["effectiveDateTime"])
    # the same scale before and after: one code a receiving system can pair, each with the date it was measured
    assert ndi_before["code"] == ndi_after["code"]
    assert ndi_before["effectiveDateTime"].startswith(f"{START - timedelta(weeks=8):%Y-%m-%dT%H:%M}")
    assert ndi_after["effectiveDateTime"].startswith(f"{START - timedelta(minutes=10):%Y-%m-%dT%H:%M}")
    assert (ndi_before["status"], ndi_after["status"]) == ("final", "preliminary")  # signed / a draft
    labels = scale_definitions()["ndi"].item_labels
    assert [(c["code"]["coding"][0]["display"], c["valueInteger"]) for c in ndi_after["component"]] == \
        list(zip(labels, NDI_AFTER, strict=True))
    (odi,) = [o for o in scales if o["code"]["text"] == "Oswestry Disability Index"]
    skipped = odi["component"][2]
    assert skipped["code"]["coding"][0]["display"] == "Lifting" and "valueInteger" not in skipped
    assert skipped["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert len(odi["component"]) == 10
    # the PEG-3 is still its own LOINC-coded Observation beside them
    assert [o["valueQuantity"]["value"] for o in observations if o["code"]["coding"][0]["code"] == "91147-9"] == [3.7]


def test_a_scale_too_incomplete_to_score_is_not_sent(ctx: AppContext, tmp_path: Path) -> None:
    """Fewer than 8 sections answered has no score (the scales' scoring rules): no Observation without a value."""
    doctor = setup_clinic(ctx)
    clinic_settings.update_settings(ctx, replace(clinic_settings.get_settings(ctx), functional_scales="ndi"))
    patient = add_patient(ctx)
    save_session(ctx, patient.id, doctor, 2, scales=(ScaleScore("ndi", (1,) * 7 + (None,) * 3, START, doctor),))
    bundle = json.loads(export(ctx, "fhir", tmp_path).read_bytes())
    assert not [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
