"""`tpi-notes assess` gives the issue 15 codes and findings for each billing case (the scenarios of test_assess.py)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from test_assess import codes_of, run_lines, scenario


def steroid(ml: float, **component: Any) -> dict[str, Any]:
    return scenario(
        syringes=[{"label": "A", "components": [{"item_code": "lidocaine-1", "volume_ml": 1.5, "lot": "L1"},
                                                {"item_code": "triamcinolone-40", "volume_ml": ml, "lot": "T1",
                                                 **component}]}],
        sites=[{"number": 1, "region_code": "post.gluteus_medius.L", "technique": "injection", "preparation": "A",
                "volume_ml": 1.5 + ml}],
        consent={"type": "written", "risks_discussed": ["bleeding or bruising", "skin atrophy or depigmentation",
                                                        "temporary rise in blood glucose"]})


def hcpcs(v: dict[str, Any]) -> list[str]:
    return [f"{c['code']}{''.join('-' + m for m in c['modifiers'])} x{c['units']}" for c in v["codes"]["hcpcs"]]


def test_assess_bills_the_waste_of_the_vials_opened(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    sixty, recorded, full = steroid(1.5), steroid(1.0, vials_opened=2), steroid(1.0)
    code, (v60, vrec, vfull), err = run_lines(tmp_path, capsysbinary, [sixty, recorded, full])
    assert code == 0, err
    assert hcpcs(v60) == ["J3301 x6", "J3301-JW x2"]  # never J3301-JZ x6
    assert hcpcs(vrec) == ["J3301 x4", "J3301-JW x4"]  # two vials opened as recorded, 40 mg given
    assert hcpcs(vfull) == ["J3301-JZ x4"]


def test_assess_counts_a_muscle_injected_and_needled_once(tmp_path: Path,
                                                          capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    both = scenario(sites=[{"number": 1, "region_code": "post.gluteus_medius.L", "technique": "injection",
                            "preparation": "A", "volume_ml": 3.0},
                           {"number": 2, "region_code": "post.gluteus_medius.L", "technique": "dry_needling",
                            "needles_in": 1, "needles_out": 1}])
    _code, (v,), _err = run_lines(tmp_path, capsysbinary, [both])
    assert v["codes"]["cpt"] == ["20552"]  # not 20552 + 20560
    assert codes_of(v)["same_muscle_two_techniques"] == "warn"


def test_assess_with_the_lcd_profile(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    lcd = scenario(diagnoses=[{"code": "M54.50", "display": "Low back pain, unspecified"}], guidance="ultrasound",
                   sites=[{"number": 1, "region_code": "post.gluteus_medius.L", "preparation": "A", "volume_ml": 1.5},
                          {"number": 2, "region_code": "post.upper_trapezius.L", "preparation": "A",
                           "volume_ml": 1.5}],
                   exam_findings=[{"region_code": "post.gluteus_medius.L", "taut_band": True,
                                   "hypersensitive_spot": True},
                                  {"region_code": "post.upper_trapezius.L", "taut_band": True,
                                   "hypersensitive_spot": True}],
                   consent={"type": "written", "risks_discussed": ["pneumothorax"]},
                   respiratory_check="Breath sounds equal.",
                   codes={"payer_profile": "medicare_tpi_lcd_2024"})
    plain = copy.deepcopy(lcd)
    plain["codes"] = {"payer_profile": "medicare"}
    _code, (v, w), _err = run_lines(tmp_path, capsysbinary, [lcd, plain])
    assert {"lcd_diagnosis_not_covered", "lcd_regions", "lcd_imaging_guidance"} <= set(codes_of(v))
    assert not {c for c in codes_of(w) if c.startswith("lcd_")}
    assert v["codes"]["payer_profile"] == "medicare_tpi_lcd_2024"


def test_assess_with_the_acupuncture_profile(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    estim = {"frequency_hz": 2, "pulse_width_us": 250, "intensity_ma": 5, "minutes": 25}
    acu = scenario(syringes=[], codes={"payer_profile": "acupuncture"},
                   sites=[{"number": 1, "region_code": "post.gluteus_medius.L", "technique": "dry_needling",
                           "needles_in": 2, "needles_out": 2, "e_stim": {**estim, "attended": True}},
                          {"number": 2, "region_code": "post.gluteus_medius.R", "technique": "dry_needling",
                           "needles_in": 2, "needles_out": 2, "e_stim": {**estim, "attended": False}}])
    _code, (v,), err = run_lines(tmp_path, capsysbinary, [acu])
    assert "error" not in v, v
    assert v["codes"]["cpt"] == ["97813", "97814", "97014"]
