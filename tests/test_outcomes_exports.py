"""Outcomes in the exports (issue 17 item 5): JSON Lines ``peg`` and ``prior_response``, the CSV's ``peg_score``,
FHIR Observations (LOINC PEG codes; a local code for relief) that validate, and `tpi-notes assess` reading them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from export_fixtures import csv_rows, export, jsonl_sessions
from test_assess import codes_of, run_lines, scenario
from test_outcomes_data import _two_visits
from test_report_support import sign

from tpi_notes.services.context import AppContext
from tpi_notes.services.sessions import get_session

Bundle = pytest.importorskip("fhir.resources.R4B.bundle").Bundle


def test_json_lines_csv_and_fhir_carry_peg_and_the_responses(ctx: AppContext, tmp_path: Path) -> None:
    doctor, first, second = _two_visits(ctx)
    sign(ctx, second, doctor)
    earlier = get_session(ctx, first)
    lines = {line["session_id"]: line for line in jsonl_sessions(export(ctx, "jsonl", tmp_path))}
    peg = lines[second]["peg"]
    assert (peg["pain"], peg["enjoyment"], peg["activity"], peg["score"]) == (4, 3, 4, 3.7)
    assert peg["measured_at"].startswith("2026-11-02T09:30")
    a = earlier.sites[0]
    assert {"muscle_id": a.muscle_id, "side": a.side, "relief_pct": 70, "duration_weeks": 8, "lasting": True,
            "prior_session_id": first} in lines[second]["prior_response"]
    assert len(lines[second]["prior_response"]) == 2
    assert lines[first]["prior_response"] == [] and lines[first]["peg"]["score"] == 7.3

    header, *rows = csv_rows(export(ctx, "csv", tmp_path))
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_id[str(second)]["peg_score"] == "3.7" and by_id[str(first)]["peg_score"] == "7.3"

    raw = export(ctx, "fhir", tmp_path).read_bytes()
    Bundle.model_validate_json(raw) if hasattr(Bundle, "model_validate_json") else Bundle.parse_raw(raw)
    bundle = json.loads(raw)
    kind_of = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}
    observations = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    pegs = [o for o in observations if o["code"]["coding"][0]["code"] == "91147-9"]
    assert len(pegs) == 2 and {o["valueQuantity"]["value"] for o in pegs} == {7.3, 3.7}
    items = {c["code"]["coding"][0]["code"]: c["valueInteger"] for c in pegs[-1]["component"]}
    assert items == {"75893-8": 4, "91145-3": 3, "91146-1": 4} or items == {"75893-8": 8, "91145-3": 7, "91146-1": 7}
    relief = [o for o in observations if o["code"]["coding"][0]["code"] == "relief-after-prior-session"]
    assert sorted(o["valueQuantity"]["value"] for o in relief) == [20, 70]
    for o in observations:  # each beside its Procedure, about the same patient
        assert kind_of[o["partOf"][0]["reference"]] == "Procedure"
        assert kind_of[o["subject"]["reference"]] == "Patient" and o["status"] == "final"
    assert {o["focus"][0]["identifier"]["value"] for o in relief} == {str(first)}


def test_assess_reads_the_response_for_the_lcd_repeat_rule(tmp_path: Path,
                                                           capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    lcd = {"payer_profile": "medicare_tpi_lcd_2024"}
    earlier = scenario(session_id=1, codes=lcd, peg={"pain": 7, "enjoyment": 6, "activity": 6})
    later = dict(scenario(session_id=2, codes=lcd, performed_at="2024-08-06T09:00:00-04:00",
                          performed_end="2024-08-06T09:30:00-04:00",
                          time_out={"done": True, "at": "2024-08-06T09:02:00-04:00"},
                          peg={"pain": 3, "enjoyment": 2, "activity": 3, "measured_at": "2024-08-06T08:50:00-04:00"}))
    good = dict(later, prior_response=[{"muscle_id": "gluteus_medius", "side": "L", "relief_pct": 70,
                                        "duration_weeks": 9, "lasting": False, "prior_session_id": 1}])
    _code, verdicts, _err = run_lines(tmp_path, capsysbinary, [earlier, later, good])
    first, missing, recorded = verdicts
    assert "lcd_repeat_relief" not in codes_of(first) and "lcd_functional_scale" not in codes_of(first)
    assert codes_of(missing)["lcd_repeat_relief"] == "warn"
    assert "lcd_repeat_relief" not in codes_of(recorded)  # 70 % for 9 weeks, as the line records
    bad = dict(later, peg={"pain": 11})
    _code, (verdict,), _err = run_lines(tmp_path, capsysbinary, [bad])
    assert "peg" in json.dumps(verdict)
