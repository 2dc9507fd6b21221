"""What a payer auditor re-walking issue 15 still caught (brief H2 item 3), each a test that failed before."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from rule_helpers import ATLAS, FORMULARY, START, draft, patient, site, syringe

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
