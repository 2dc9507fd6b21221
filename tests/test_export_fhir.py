"""The FHIR R4 export (product.md §8, clinical-reference §6.3-6.4): validates against the fhir.resources R4B models."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from export_fixtures import DEMO_SESSIONS, add_session, demo_clinic, export, jsonl_sessions

from tpi_notes.anatomy import load_atlas
from tpi_notes.domain.patient import PatientInput
from tpi_notes.domain.sites import place_site
from tpi_notes.services import drafts, patients, staff
from tpi_notes.services.context import AppContext

Bundle = pytest.importorskip("fhir.resources.R4B.bundle").Bundle
BodyStructure = pytest.importorskip("fhir.resources.R4B.bodystructure").BodyStructure

SNOMED = "http://snomed.info/sct"
LEFT, RIGHT = "7771000", "24028007"
TARGET_BODY_STRUCTURE = "http://hl7.org/fhir/StructureDefinition/procedure-targetBodyStructure"

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


def target_body_structures(procedure: dict) -> list[dict]:
    """The BodyStructures the Procedure's ``procedure-targetBodyStructure`` extensions point to (contained)."""
    contained = {f"#{r['id']}": r for r in procedure.get("contained", [])}
    found = []
    for extension in procedure.get("extension", []):
        if extension["url"] == TARGET_BODY_STRUCTURE:
            structure = contained[extension["valueReference"]["reference"]]
            assert structure["resourceType"] == "BodyStructure"
            found.append(structure)
    assert len(found) == len(contained)  # every contained resource is referenced (FHIR dom-3)
    return found


def muscles_and_sides(procedure: dict) -> list[tuple[str, str]]:
    """(muscle id, side) as a receiving system reads them: BodyStructure.location and its locationQualifier."""
    out = []
    for structure in target_body_structures(procedure):
        BodyStructure.model_validate(structure) if hasattr(BodyStructure, "model_validate") else \
            BodyStructure.parse_obj(structure)
        (muscle,) = structure["location"]["coding"]
        (qualifier,) = structure["locationQualifier"]
        (laterality,) = qualifier["coding"]
        assert laterality["system"] == SNOMED and laterality["code"] in (LEFT, RIGHT)
        side = "L" if laterality["code"] == LEFT else "R"
        assert qualifier["text"] == ("Left" if side == "L" else "Right")
        assert structure["patient"] == {"reference": procedure["subject"]["reference"]}
        out.append((muscle["code"], side))
    return out


def test_each_muscle_and_side_is_a_body_structure_with_a_snomed_laterality_qualifier(exported: tuple) -> None:
    bundle, sessions = exported
    by_id = {str(s["session_id"]): s for s in sessions}
    views, sides = set(), set()
    for procedure in resources(bundle, "Procedure"):
        session = by_id[procedure["identifier"][0]["value"]]
        expected = {(site["muscle_id"], site["side"]) for site in session["sites"]}
        views |= {site["view"] for site in session["sites"]}
        sides |= {site["side"] for site in session["sites"]}
        found = muscles_and_sides(procedure)
        assert len(found) == len(set(found)) and set(found) == expected
        # bodySite is the muscle alone: one coding (no laterality posing as an alternative code), side in text
        assert len(procedure.get("bodySite", [])) == len(found)
        for body_site, (muscle_id, side) in zip(procedure.get("bodySite", []), found, strict=True):
            (coding,) = body_site["coding"]
            assert coding["code"] == muscle_id and coding["system"] == "urn:tpi-notes:atlas-muscle"
            assert body_site["text"].startswith("Left " if side == "L" else "Right ")
    assert views == {"anterior", "posterior"} and sides == {"L", "R"}  # the demo covers front and back, both sides


@pytest.mark.parametrize("view", ["anterior", "posterior"])
def test_muscle_and_side_survive_front_and_back(ctx: AppContext, tmp_path: Path, view: str) -> None:
    atlas = load_atlas()
    chosen = [r for r in atlas.regions if r.view == view and r.muscle_id in ("upper_trapezius", "deltoid")]
    assert {r.side for r in chosen} == {"L", "R"}
    doctor = staff.add_staff(ctx, "Doctor V", "MD", ("physician",))
    person = patients.create_patient(ctx, PatientInput(mrn="V2", family_name="Ode", given_name="Ana",
                                                       birth_date=date(1970, 5, 1), weight_kg=70.0))
    sites = tuple(replace(place_site(atlas, view, *r.anchor, n, "dry_needling"), needles_in=1, needles_out=1)
                  for n, r in enumerate(chosen, start=1))
    start = datetime(2026, 3, 2, 9, 0)
    drafts.save_draft(ctx, replace(drafts.new_draft(ctx, person.id), performed_start=start, physician_id=doctor.id,
                                   sites=sites))
    raw = export(ctx, "fhir", tmp_path).read_bytes()
    Bundle.model_validate_json(raw) if hasattr(Bundle, "model_validate_json") else Bundle.parse_raw(raw)
    (procedure,) = resources(json.loads(raw), "Procedure")
    assert sorted(muscles_and_sides(procedure)) == sorted((r.muscle_id, r.side) for r in chosen)


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
    assert sorted(muscles_and_sides(procedure)) == [("levator_scapulae", "L"), ("upper_trapezius", "L"),
                                                    ("upper_trapezius", "R")]
    (patient,) = resources(json.loads(raw), "Patient")
    assert patient["name"][0]["family"] == "Nguyễn"
    Bundle.model_validate_json(raw) if hasattr(Bundle, "model_validate_json") else Bundle.parse_raw(raw)
