"""`tpi-notes assess` (issue 13 item 7): any JSON Lines export re-checked by the app's own rules, no database
needed; with --db the clinic's earlier sessions join in and the file is left byte for byte as it was."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tpi_notes.cli import main

EXPORT_KEYS_ADDED = {"atlas_version", "conservative_care", "exam_findings", "consent", "time_out", "position",
                     "antisepsis", "guidance", "respiratory_check", "syringes"}


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A demo clinic (80 patients, 600 sessions: history rules fire, an immunosuppressed patient gets a steroid) and its JSON Lines export."""
    folder = tmp_path_factory.mktemp("assess-demo")
    db, out = folder / "demo.sqlite", folder / "demo.jsonl"
    assert main(["demo", "--db", str(db), "--patients", "80", "--sessions", "600"]) == 0
    assert main(["export", "--db", str(db), "--format", "jsonl", "-o", str(out)]) == 0
    return db, out


def assess(capsysbinary: pytest.CaptureFixture[bytes], *args: str) -> tuple[int, list[dict[str, Any]], str]:
    code = main(["assess", *args])
    captured = capsysbinary.readouterr()
    lines = captured.out.decode("utf-8").splitlines()
    return code, [json.loads(line) for line in lines], captured.err.decode("utf-8")


def found(entry: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((f["code"], f["severity"], f["subject"]) for f in entry["findings"])


def said_once(verdict: dict[str, Any]) -> dict[str, Any]:
    """A verdict on a demo line without icd10_set_not_valid: the demo says once that its dates before FY2026
    fall outside the shipped FY2026 and FY2027 sets (icd10.shipped_only_note) instead of carrying the warning on
    each note; assess, reading the line as any export, warns."""
    return {**verdict, "findings": [f for f in verdict["findings"] if f["code"] != "icd10_set_not_valid"]}


def test_the_demo_export_is_reproduced_for_every_signed_session(demo_export: tuple[Path, Path],
                                                                 capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    _db, export = demo_export
    exported = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    assert exported[0].keys() >= EXPORT_KEYS_ADDED
    code, verdicts, err = assess(capsysbinary, str(export))
    assert code == 0, err
    assert [v["session_id"] for v in verdicts] == [e["session_id"] for e in exported]
    # from 2025-10-01 a shipped set (FY2026, then FY2027) is valid: only the demo's earlier sessions carry the warning
    warned = {v["session_id"] for v in verdicts if any(f["code"] == "icd10_set_not_valid" for f in v["findings"])}
    assert warned and warned == {e["session_id"] for e in exported if e["performed_at"] < "2025-10-01"}
    verdicts = [said_once(v) for v in verdicts]
    signed = [(e, v) for e, v in zip(exported, verdicts, strict=True) if e["status"] == "signed"]
    assert len(signed) > 250
    for e, v in signed:
        assert found(v) == found(e), e["session_id"]
        assert sorted(f["message"] for f in v["findings"]) == sorted(f["message"] for f in e["findings"])
        assert v["codes"] == e["codes"], e["session_id"]
        assert v["missing_for_signing"] == [], e["session_id"]  # a signed note had everything signing needs
        assert v["aftercare_blocks"] and "what_was_done" in v["aftercare_blocks"]
    codes = {c for _e, v in signed for c, _s, _x in found(v)}
    # the history rules (earlier sessions of the same MRN in the file) and the record's details take part
    assert {"tpi_frequency", "same_muscle_6_weeks", "near_lung", "immunosuppressed_steroid", "bleeding_risk"} <= codes


def test_the_database_adds_earlier_sessions_and_is_left_byte_identical(
        demo_export: tuple[Path, Path], tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    db, export = demo_export
    exported = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    last = next(e for e in reversed(exported) if e["status"] == "signed"
                and any(f["code"] in ("tpi_frequency", "same_muscle_6_weeks") for f in e["findings"]))
    alone = tmp_path / "one.jsonl"
    alone.write_text(json.dumps(last) + "\n", encoding="utf-8")

    _code, (without,), _err = assess(capsysbinary, str(alone))
    history_codes = {"tpi_frequency", "same_muscle_6_weeks"}
    assert not history_codes & {c for c, _s, _x in found(without)}  # the file alone has no earlier session

    before = hashlib.sha256(db.read_bytes()).hexdigest()
    siblings = sorted(p.name for p in db.parent.iterdir())
    code, (with_db,), err = assess(capsysbinary, "--db", str(db), str(alone))
    assert code == 0, err
    assert found(said_once(with_db)) == found(last)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in db.parent.iterdir()) == siblings  # no -wal or -shm left behind either

    # the whole file with the database: a session in both counts once ("TPI session 4 in 12 months", not 7)
    code, verdicts, err = assess(capsysbinary, "--db", str(db), str(export))
    assert code == 0, err
    for e, v in zip(exported, verdicts, strict=True):
        if e["status"] == "signed":
            assert sorted(f["message"] for f in said_once(v)["findings"]) == sorted(
                f["message"] for f in e["findings"])
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


# -- hand-written scenarios (clinical-reference.md) ---------------------------------------------------------
def scenario(**changes: Any) -> dict[str, Any]:
    """A complete, signable session: one injection of 3 mL lidocaine 1 % into the left gluteus medius."""
    base: dict[str, Any] = {
        "session_id": 1, "status": "signed", "performed_at": "2024-05-06T09:00:00-04:00",
        "performed_end": "2024-05-06T09:30:00-04:00", "physician": "Amelia Hart, MD",
        "patient": {"mrn": "S-1", "birth_date": "1970-03-04", "sex": "male", "weight_kg": 80.0,
                    "weight_date": "2024-05-01", "allergies": [], "anticoagulant": None,
                    "bleeding_disorder": False, "diabetes": False, "immunosuppressed": False,
                    "implanted_device": False, "pregnant": False, "breastfeeding": False,
                    "history": {"allergies": {"state": "no"}, "anticoagulant": {"state": "no"}}},
        "indication": "Buttock pain for 6 months.", "conservative_care": "Physical therapy 8 weeks.",
        "diagnoses": [{"code": "M79.18", "display": "Myalgia, other site"}],
        "exam_findings": [{"region_code": "post.gluteus_medius.L", "taut_band": True, "hypersensitive_spot": True}],
        "consent": {"type": "written", "risks_discussed": ["bleeding or bruising", "infection"]},
        "time_out": {"done": True, "at": "2024-05-06T09:02:00-04:00"},
        "antisepsis": "Chlorhexidine-alcohol", "guidance": "landmark", "respiratory_check": "",
        "syringes": [{"label": "A", "components": [{"item_code": "lidocaine-1", "volume_ml": 3.0,
                                                     "lot": "L1", "expires": "2026-01-31"}]}],
        "sites": [{"number": 1, "region_code": "post.gluteus_medius.L", "technique": "injection",
                   "preparation": "A", "volume_ml": 3.0}],
        "pain_before": 7, "pain_after": 3, "relief_pct": 57, "complications": "None", "findings": [],
        "position": "Prone", "tolerance": "Tolerated well", "blood_loss": "Minimal", "observation_minutes": 10,
        "disposition": "Home, ambulatory, stable", "follow_up": "Reassess in 6 weeks",
    }
    for key, value in changes.items():
        base[key] = value
    return base


def with_patient(session: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(session)
    out["patient"].update(changes)
    return out


def run_lines(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], lines: list[Any],
              *args: str) -> tuple[int, list[dict[str, Any]], str]:
    path = tmp_path / "scenarios.jsonl"
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
                    encoding="utf-8")
    return assess(capsysbinary, *args, str(path))


def codes_of(entry: dict[str, Any]) -> dict[str, str]:
    return {f["code"]: f["severity"] for f in entry["findings"]}


def test_a_complete_session_is_clean(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code, (v,), _err = run_lines(tmp_path, capsysbinary, [scenario()])
    assert code == 0
    # Its one finding: no ICD-10-CM set shipped is valid in 2024 (FY2026 is; issue 15 item 7) — a warning only.
    assert [(f["code"], f["severity"]) for f in v["findings"]] == [("icd10_set_not_valid", "warn")]
    assert v["missing_for_signing"] == []
    assert v["codes"]["cpt"] == ["20552"]


def test_scenarios_give_the_findings_clinical_reference_expects(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    dry = scenario(syringes=[], sites=[{"number": 1, "region_code": "post.gluteus_medius.L",
                                        "technique": "dry_needling", "needles_in": 2, "needles_out": 2}])
    anticoagulated = with_patient(dry, anticoagulant="apixaban", history={"allergies": {"state": "no"}})
    overdose = with_patient(scenario(
        syringes=[{"label": "A", "components": [{"item_code": "lidocaine-1", "volume_ml": 30.0, "lot": "L1"}]}],
        sites=[{"number": 1, "region_code": "post.gluteus_medius.L", "preparation": "A", "volume_ml": 30.0}]),
        weight_kg=50.0)
    steroid = scenario(
        syringes=[{"label": "A", "components": [{"item_code": "lidocaine-1", "volume_ml": 2.0, "lot": "L1"},
                                                {"item_code": "triamcinolone-40", "volume_ml": 1.0, "lot": "T1"}]}],
        consent={"type": "written", "risks_discussed": ["bleeding or bruising", "skin atrophy or depigmentation",
                                                        "temporary rise in blood glucose"]})
    pregnant = with_patient(steroid, sex="female", birth_date="1994-01-01", pregnant=True)
    near_lung = scenario(
        exam_findings=[{"region_code": "post.upper_trapezius.L", "taut_band": True, "referred_pain": True}],
        sites=[{"number": 1, "region_code": "post.upper_trapezius.L", "preparation": "A", "volume_ml": 3.0}],
        consent={"type": "written", "risks_discussed": ["pneumothorax"]})
    declined = dict(near_lung, respiratory_check="Not indicated: no muscle over the lung treated.")
    immunosuppressed = with_patient(steroid, immunosuppressed=True)
    code, verdicts, _err = run_lines(tmp_path, capsysbinary, [
        dry, anticoagulated, overdose, pregnant, near_lung, declined, immunosuppressed])
    assert code == 0
    v_dry, v_anti, v_over, v_preg, v_lung, v_declined, v_immuno = verdicts
    assert "bleeding_risk" not in codes_of(v_dry)
    assert codes_of(v_anti)["bleeding_risk"] == "warn"  # every needle, dry needling too
    assert "bleeding" in v_anti["aftercare_blocks"] or any("bleed" in b for b in v_anti["aftercare_blocks"])
    assert codes_of(v_over)["la_over_max"] == "stop"  # 300 mg for 50 kg: 133 % of 225 mg
    assert any(m.startswith("Stop: Local anesthetic") for m in v_over["missing_for_signing"])
    assert codes_of(v_preg)["pregnancy"] == "stop"
    assert "breathing" in v_lung["aftercare_blocks"] and codes_of(v_lung)["near_lung"] == "warn"
    assert any("respiratory check" in m for m in v_lung["missing_for_signing"])
    assert any("cannot be \"not indicated\"" in m for m in v_declined["missing_for_signing"])
    assert codes_of(v_immuno)["immunosuppressed_steroid"] == "info"
    assert "immunosuppressed_steroid" not in codes_of(verdicts[3])


def test_an_overridden_stop_keeps_its_reason_and_does_not_block_signing(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    pregnant = with_patient(scenario(), sex="female", birth_date="1994-01-01", pregnant=True)
    pregnant["findings"] = [{"code": "pregnancy", "severity": "stop", "subject": "",
                             "override_reason": "Obstetrician agreed; lidocaine only."}]
    _code, (v,), _err = run_lines(tmp_path, capsysbinary, [pregnant])
    (finding,) = [f for f in v["findings"] if f["code"] == "pregnancy"]
    assert finding["override_reason"] == "Obstetrician agreed; lidocaine only."
    assert v["missing_for_signing"] == []


def test_an_allergy_given_by_brand_name_is_resolved(tmp_path: Path,
                                                    capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    steroid = scenario(
        syringes=[{"label": "A", "components": [{"item_code": "triamcinolone-40", "volume_ml": 1.0, "lot": "T1"}]}],
        consent={"type": "written", "risks_discussed": ["skin atrophy or depigmentation",
                                                        "temporary rise in blood glucose"]})
    kenalog = with_patient(steroid, allergies=[{"substance": "Kenalog"}], history={"allergies": {"state": "yes"}})
    intolerant = with_patient(steroid, allergies=[{"substance": "Kenalog", "kind": "intolerance"}],
                              history={"allergies": {"state": "yes"}})
    _code, (v, w), _err = run_lines(tmp_path, capsysbinary, [kenalog, intolerant])
    assert ("allergy", "stop") in {(f["code"], f["severity"]) for f in v["findings"]}, v["findings"]
    assert any(m.startswith("Stop: Recorded allergy") for m in v["missing_for_signing"])
    # an intolerance is kept as one (a warning), not read back as an allergy
    assert {f["code"]: f["severity"] for f in w["findings"] if f["code"].startswith("allergy")} == \
        {"allergy_intolerance": "warn"}


def test_as_of_codes_a_session_by_the_rules_of_another_day(tmp_path: Path,
                                                           capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    old = scenario(performed_at="2019-06-03T10:00:00-04:00", performed_end="2019-06-03T10:20:00-04:00",
                   time_out={"done": True, "at": "2019-06-03T10:01:00-04:00"}, syringes=[],
                   sites=[{"number": 1, "region_code": "post.gluteus_medius.L", "technique": "dry_needling",
                           "needles_in": 1, "needles_out": 1}])
    _code, (own_day,), _err = run_lines(tmp_path, capsysbinary, [old])
    assert own_day["codes"]["cpt"] == ["20999"]  # dry needling had no code of its own before 2020
    _code, (today,), _err = run_lines(tmp_path, capsysbinary, [old], "--as-of", "2024-01-01")
    assert today["codes"]["cpt"] == ["20560"]
    assert own_day["rules"]["effective_from"] < "2019-06-03" < today["rules"]["effective_from"] <= "2024-01-01"


def test_earlier_sessions_in_the_file_count_for_the_same_mrn_only(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    first = scenario(session_id=1)
    second = scenario(session_id=2, performed_at="2024-05-27T09:00:00-04:00",
                      performed_end="2024-05-27T09:30:00-04:00",
                      time_out={"done": True, "at": "2024-05-27T09:02:00-04:00"})
    stranger = with_patient(copy.deepcopy(second), mrn="S-2")
    stranger["session_id"] = 3
    # the later session first: "earlier" is by the date performed, wherever the line is
    code, (v2, v3, v1), _err = run_lines(tmp_path, capsysbinary, [second, stranger, first])
    assert code == 0
    assert codes_of(v2).get("same_muscle_6_weeks") == "warn"
    assert "same_muscle_6_weeks" not in codes_of(v3) and "same_muscle_6_weeks" not in codes_of(v1)


def test_a_bad_line_is_reported_and_the_run_goes_on(tmp_path: Path,
                                                    capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    no_start = scenario()
    del no_start["performed_at"]
    nowhere = scenario(sites=[{"number": 1, "region_code": "post.nowhere.L", "preparation": "A", "volume_ml": 1}])
    infinite = '{"session_id": 1e400, "performed_at": "2024-05-06T09:00:00", "patient": {}}'
    code, out, err = run_lines(tmp_path, capsysbinary, [
        scenario(session_id=10), "{not json", no_start, "", nowhere, [1, 2], infinite, scenario(session_id=11)])
    assert code == 1
    assert [o.get("session_id", o.get("line")) for o in out] == [10, 2, 3, 5, 6, 7, 11]
    errors = {o["line"]: o["error"] for o in out if "error" in o}
    assert set(errors) == {2, 3, 5, 6, 7} and all(set(o) == {"line", "error"} for o in out if "error" in o)
    assert "not JSON" in errors[2] and "performed_at" in errors[3] and "post.nowhere.L" in errors[5]
    assert "session_id" in errors[7]
    assert "5 lines could not be assessed" in err and len(err.splitlines()) == 1


def test_standard_input(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    data = (json.dumps(scenario()) + "\n").encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, (v,), _err = assess(capsysbinary, "-")
    assert code == 0 and v["session_id"] == 1 and v["codes"]["cpt"] == ["20552"]


def test_misuse_says_what_is_wrong_in_one_line(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(scenario()) + "\n", encoding="utf-8")
    for argv, words in ((["--as-of", "1999-12-31", str(path)], "--as-of 1999-12-31 is before the first rule set"),
                        ([str(tmp_path / "none.jsonl")], "there is no such file"),
                        ([str(tmp_path)], "it is a folder")):
        with pytest.raises(SystemExit) as exit_:
            main(["assess", *argv])
        err = capsysbinary.readouterr().err.decode("utf-8")
        assert exit_.value.code == 2 and words in err and err.count("\n") == 1, err


ROOT = Path(__file__).resolve().parents[1]


def test_every_finding_code_is_documented() -> None:
    """docs/export-format.md "Finding codes" names every code a rule can give (a reviewer reads them there)."""
    import re

    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tpi_notes" / "domain").glob("*.py"))
    codes = set(re.findall(r'Finding\(\s*"([a-z_0-9]+)"', source))
    codes |= set(re.findall(r'^(?:RISK_)?CODE = "([a-z_]+)"', source, re.MULTILINE))
    codes |= {"pregnancy", "breastfeeding"}  # Finding(label, ...) in safety.py
    codes |= set(re.findall(r'\("(allergy_[a-z_]+)", "', source))  # the allergy rules' per-place codes
    allergens = (ROOT / "resources" / "rules" / "allergens.json").read_text(encoding="utf-8")
    codes |= set(re.findall(r'"code":\s*"([a-z_]+)"', allergens))  # cross-reactivity rules are data
    doc = (ROOT / "docs" / "export-format.md").read_text(encoding="utf-8")
    table = doc.split("### Finding codes", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_0-9]+)` \|", table, re.MULTILINE))
    assert {"bleeding_risk", "immunosuppressed_steroid", "risk_not_discussed", "history_not_recorded",
            "allergy_cross_reactive", "allergy_antisepsis"} <= codes
    assert codes - documented == set()


def test_a_reader_that_stops_early_gets_no_traceback(demo_export: tuple[Path, Path]) -> None:
    """`tpi-notes assess FILE | head -1`: the closed pipe ends the run quietly (no 'unexpected error')."""
    import os
    import subprocess
    import sys

    _db, export = demo_export
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "assess", str(export)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ))
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # far less than the 600 lines the run writes
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=120) == 1
    assert json.loads(first)["session_id"] and err == ""
