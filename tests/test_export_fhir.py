"""The FHIR R4 export (product.md §8, clinical-reference §6.3-6.4): validates against the fhir.resources R4B models."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from export_fixtures import DEMO_SESSIONS, add_session, demo_clinic, export, jsonl_sessions

from tpi_notes.services.context import AppContext

Bundle = pytest.importorskip("fhir.resources.R4B.bundle").Bundle

SNOMED = "http://snomed.info/sct"
LEFT, RIGHT = "7771000", "24028007"

@pytest.fixture
def demo(ctx: AppContext) -> AppContext:
    return demo_clinic(ctx)



@pytest.fixture
def exported(demo: AppContext, tmp_path: Path) -> tuple[dict, list[dict]]:
    """The demo clinic as a FHIR Bundle (parsed JSON) and as JSON Lines, to compare with."""
    bundle = json.loads(export(demo, "fhir", tmp_path).read_bytes())
    return bundle, jsonl_sessions(export(demo, "jsonl", tmp_path))


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_whole_bundle_validates_against_the_r4b_models(demo: AppContext, tmp_path: Path) -> None:
    raw = export(demo, "fhir", tmp_path).read_bytes()
    parsed = Bundle.model_validate_json(raw) if hasattr(Bundle, "model_validate_json") else Bundle.parse_raw(raw)
    assert parsed.type == "collection"
    kinds = Counter(entry.resource.get_resource_type() for entry in parsed.entry)
    assert kinds["Procedure"] == DEMO_SESSIONS
    assert kinds["Patient"] == 40
    assert kinds["MedicationAdministration"] > 0 and kinds["Practitioner"] > 0


def test_patients_and_practitioners_appear_once_and_every_reference_resolves(exported: tuple) -> None:
    bundle, _ = exported
    urls = Counter(e["fullUrl"] for e in bundle["entry"])
    assert all(url.startswith("urn:uuid:") for url in urls) and max(urls.values()) == 1
    kind_of = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}
    mrns = [p["identifier"][0]["value"] for p in resources(bundle, "Patient")]
    assert len(mrns) == len(set(mrns))
    for procedure in resources(bundle, "Procedure"):
        assert kind_of[procedure["subject"]["reference"]] == "Patient"
        for performer in procedure.get("performer", []):
            assert kind_of[performer["actor"]["reference"]] == "Practitioner"
    administrations = resources(bundle, "MedicationAdministration")
    for given in administrations:
        (part_of,) = given["partOf"]
        assert kind_of[part_of["reference"]] == "Procedure"
        assert kind_of[given["subject"]["reference"]] == "Patient"
        procedure = next(e["resource"] for e in bundle["entry"] if e["fullUrl"] == part_of["reference"])
        assert procedure["subject"]["reference"] == given["subject"]["reference"]


def test_body_sites_carry_the_patient_side_as_snomed_laterality(exported: tuple) -> None:
    bundle, sessions = exported
    by_id = {str(s["session_id"]): s for s in sessions}
    for procedure in resources(bundle, "Procedure"):
        session = by_id[procedure["identifier"][0]["value"]]
        expected = {(site["muscle"], site["side"]) for site in session["sites"]}
        found = set()
        for body_site in procedure.get("bodySite", []):
            muscle = next(c for c in body_site["coding"] if c["system"] != SNOMED)
            (laterality,) = [c for c in body_site["coding"] if c["system"] == SNOMED]
            assert laterality["code"] in (LEFT, RIGHT)
            side = "L" if laterality["code"] == LEFT else "R"
            assert body_site["text"].startswith("Left " if side == "L" else "Right ")
            found.add((muscle["display"], side))
        assert found == expected


def test_status_codes_doses_and_lots_follow_the_session(exported: tuple) -> None:
    bundle, sessions = exported
    by_id = {str(s["session_id"]): s for s in sessions}
    procedures = {e["fullUrl"]: e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Procedure"}
    for procedure in procedures.values():
        session = by_id[procedure["identifier"][0]["value"]]
        assert procedure["status"] == ("completed" if session["status"] == "signed" else "in-progress")
        assert [c["code"] for c in procedure["code"].get("coding", [])] == session["codes"]["cpt"]
        assert [r["coding"][0]["code"] for r in procedure.get("reasonCode", [])] == [
            d["code"] for d in session["diagnoses"]]
        assert ("complication" in procedure) == (session["complications"] not in ("", "None"))
    checked = 0
    for given in resources(bundle, "MedicationAdministration"):
        procedure = procedures[given["partOf"][0]["reference"]]
        session = by_id[procedure["identifier"][0]["value"]]
        route = given["dosage"]["route"]["coding"][0]
        assert (route["system"], route["code"]) == (SNOMED, "78421000")
        (medication,) = given["contained"]
        assert given["medicationReference"]["reference"] == f"#{medication['id']}"
        line = next(m for m in session["medications"] if m["name"] == medication["code"]["text"]
                    and m["lot"] == medication.get("batch", {}).get("lotNumber"))
        dose = given["dosage"]["dose"]
        if line["class"] == "saline":
            assert (dose["code"], dose["value"]) == ("mL", line["total_ml"])
        else:
            assert (dose["code"], dose["value"]) == ("mg", line["total_mg"])
        assert medication.get("batch", {}).get("expirationDate") == line["expires"]
        checked += 1
    assert checked == sum(len(s["medications"]) for s in sessions)


def test_full_urls_are_the_same_in_every_export(demo: AppContext, tmp_path: Path) -> None:
    first = json.loads(export(demo, "fhir", tmp_path, "a.json").read_bytes())
    second = json.loads(export(demo, "fhir", tmp_path, "b.json").read_bytes())
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]
    assert first["entry"] == second["entry"]


def test_a_draft_with_a_complication_and_both_sides(ctx: AppContext, tmp_path: Path) -> None:
    add_session(ctx, "Nguyễn", "Thị Ánh", mrn="V1", complications="Small hematoma, pressure applied",
                muscles=(("upper_trapezius", "R"), ("upper_trapezius", "L"), ("levator_scapulae", "L")))
    raw = export(ctx, "fhir", tmp_path).read_bytes()
    (procedure,) = resources(json.loads(raw), "Procedure")
    assert procedure["status"] == "in-progress"
    assert procedure["complication"] == [{"text": "Small hematoma, pressure applied"}]
    assert [c["code"] for c in procedure["code"]["coding"]] == ["20553"]
    sides = sorted(b["text"] for b in procedure["bodySite"])
    assert sides == ["Left levator scapulae", "Left upper trapezius", "Right upper trapezius"]
    (patient,) = resources(json.loads(raw), "Patient")
    assert patient["name"][0]["family"] == "Nguyễn"
    Bundle.model_validate_json(raw) if hasattr(Bundle, "model_validate_json") else Bundle.parse_raw(raw)
