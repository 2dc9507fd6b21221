"""What a payer auditor re-walking issue 15 still caught (brief H2 item 3), each a test that failed before."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rule_helpers import ATLAS, FORMULARY, START, draft, patient, site, syringe
from test_assess import run_lines, scenario

from tpi_notes.domain.coding import derive_codes
from tpi_notes.domain.rules import rules_for
from tpi_notes.domain.safety import PastSession, SafetyInput, evaluate


def hcpcs(d, when: datetime) -> list[tuple[str, int, tuple[str, ...]]]:  # noqa: ANN001
    d = replace(d, performed_start=when)
    return [(x.code, x.units, x.modifiers) for x in derive_codes(d, FORMULARY, rules_for(when.date())).hcpcs]


def test_pre_2024_methylprednisolone_waste_never_bills_more_than_the_vial() -> None:
    # 20 mg given from a 1 mL 80 mg/mL single-dose vial in December 2023 (per-vial codes J1020/J1030/J1040):
    # J1020 for the 20 mg given and 60 mg discarded, billed as J1030-JW + J1020-JW (80 mg in all), never
    # J1040-JW (an 80 mg unit for 60 mg discarded: 100 mg billed from an 80 mg vial)
    d = draft([site(1, "gluteus_maximus", "R", ml=1.25)], [syringe(("lidocaine-1", 1.0), ("methylprednisolone-80", 0.25))])
    lines = hcpcs(d, datetime(2023, 12, 1, 10))
    assert lines == [("J1020", 1, ()), ("J1030", 1, ("JW",)), ("J1020", 1, ("JW",))]
    assert sum({"J1020": 20, "J1030": 40, "J1040": 80}[c] * n for c, n, _m in lines) == 80


def test_a_repeat_within_six_weeks_is_seen_across_a_group_and_its_named_muscle() -> None:
    # three weeks ago "L lumbar paraspinals" (atlas 1); today the same spot is "L longissimus (lumbar)" (atlas 2)
    d = draft([site(1, "longissimus_lumborum", "L")], [syringe(("lidocaine-1", 1.0))])
    earlier = PastSession(7, START - timedelta(weeks=3), True, frozenset({("lumbar_erector_spinae", "L")}), 0.0)
    found = evaluate(SafetyInput(patient(), d, FORMULARY, ATLAS, rules_for(START.date()), (earlier,)))
    assert [f.subject for f in found if f.code == "same_muscle_6_weeks"] == ["L longissimus (lumbar)"]
    other_side = replace(earlier, muscles=frozenset({("lumbar_erector_spinae", "R")}))
    found = evaluate(SafetyInput(patient(), d, FORMULARY, ATLAS, rules_for(START.date()), (other_side,)))
    assert not [f for f in found if f.code == "same_muscle_6_weeks"]


STEROID_RISKS = {"type": "written", "risks_discussed": ["bleeding or bruising", "skin atrophy or depigmentation",
                                                        "temporary rise in blood glucose"]}


def _on(day: str, **changes: Any) -> dict[str, Any]:
    return scenario(performed_at=f"{day}T09:00:00-05:00", performed_end=f"{day}T09:30:00-05:00",
                    time_out={"done": True, "at": f"{day}T09:02:00-05:00"}, consent=STEROID_RISKS, **changes)


def test_assess_gives_the_codes_an_auditor_expects_for_each_case(tmp_path: Path,
                                                                 capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    def one_syringe(*parts: tuple[str, float]) -> list[dict[str, Any]]:
        return [{"label": "A", "components": [{"item_code": c, "volume_ml": ml, "lot": f"L{n}"}
                                              for n, (c, ml) in enumerate(parts)]}]

    site = {"number": 1, "region_code": "post.gluteus_medius.L", "preparation": "A"}
    methylpred = _on("2023-12-01", syringes=one_syringe(("lidocaine-1", 1.0), ("methylprednisolone-80", 0.25)),
                     sites=[{**site, "volume_ml": 1.25}])
    strengths = _on("2024-05-06", syringes=[*one_syringe(("lidocaine-1", 1.0), ("triamcinolone-40", 0.125)),
                                            {"label": "B", "components": [
                                                {"item_code": "triamcinolone-10", "volume_ml": 0.5, "lot": "T2"}]}],
                    sites=[{**site, "volume_ml": 1.125},
                           {"number": 2, "region_code": "post.gluteus_medius.R", "preparation": "B", "volume_ml": 0.5}],
                    exam_findings=[{"region_code": f"post.gluteus_medius.{s}", "taut_band": True,
                                    "hypersensitive_spot": True} for s in "LR"])
    twitch = _on("2024-05-06", exam_findings=[{"region_code": "post.gluteus_medius.L", "taut_band": True,
                                               "twitch": True, "jump_sign": True}])
    code, (mp, st, tw), err = run_lines(tmp_path, capsysbinary, [methylpred, strengths, twitch])
    assert code == 0, err
    def billed(v: dict[str, Any]) -> list[str]:
        return [f"{c['code']}{''.join('-' + m for m in c['modifiers'])} x{c['units']}" for c in v["codes"]["hcpcs"]]

    assert billed(mp) == ["J1020 x1", "J1030-JW x1", "J1020-JW x1"]  # 80 mg billed from the 80 mg vial
    assert billed(st)[0] == "J3301 x1"  # 5 mg + 5 mg of one steroid in two strengths: one 10 mg unit, not two
    assert tw["missing_for_signing"] and "a twitch or jump sign does not count" in tw["missing_for_signing"][0]
