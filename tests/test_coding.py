"""Billing codes from the diagram: muscles per technique, J-code units, waste modifiers, e-stim, dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from rule_helpers import FORMULARY, EStim, draft, site, syringe

from tpi_notes.domain.coding import derive_codes, eight_minute_units
from tpi_notes.domain.rules import rules_for


def coded(d, profile: str = "medicare", when: datetime | None = None):  # noqa: ANN001, ANN201
    d = replace(d, performed_start=when) if when else d
    return derive_codes(d, FORMULARY, rules_for(d.performed_start.date()), profile)


def cpt(d, **kw) -> list[str]:  # noqa: ANN001
    return [line.code for line in coded(d, **kw).cpt]


@pytest.mark.parametrize("sites,expected", [
    ([("upper_trapezius", "R")], ["20552"]),
    ([("upper_trapezius", "R"), ("upper_trapezius", "R")], ["20552"]),          # two points, one muscle
    ([("upper_trapezius", "R"), ("upper_trapezius", "L")], ["20552"]),          # left and right: 2 muscles
    ([("upper_trapezius", "R"), ("upper_trapezius", "L"), ("levator_scapulae", "R")], ["20553"]),
])
def test_injection_cpt_counts_distinct_muscles_each_side(sites: list, expected: list) -> None:
    d = draft([site(n, m, s) for n, (m, s) in enumerate(sites, 1)], [syringe(("lidocaine-1", 5.0))])
    assert cpt(d) == expected


def test_the_reason_names_the_muscles() -> None:
    d = draft([site(1, "upper_trapezius", "R"), site(2, "upper_trapezius", "L"), site(3, "levator_scapulae", "R")],
              [syringe(("lidocaine-1", 5.0))])
    assert coded(d).cpt[0].reason == \
        "3 muscles (injection): R upper trapezius, L upper trapezius, R levator scapulae → 20553"


def test_injection_and_dry_needling_in_one_session() -> None:
    d = draft([site(1, "upper_trapezius", "R"), site(2, "gluteus_medius", "R", "dry_needling"),
               site(3, "gluteus_medius", "L", "dry_needling"), site(4, "gluteus_maximus", "L", "dry_needling")],
              [syringe(("lidocaine-1", 5.0))])
    lines = coded(d, profile="commercial").cpt
    assert [(line.code, line.units) for line in lines] == [("20552", 1), ("20561", 1)]
    medicare = coded(d).cpt
    assert medicare[1].modifiers == ("GY",)  # dry needling is excluded by Medicare


def test_fifteen_mg_triamcinolone_is_two_units_of_j3301_with_waste() -> None:
    # 0.375 mL of triamcinolone 40 mg/mL (15 mg) in a 1 mL syringe, all given: ceil(15/10) = 2 units;
    # the rest of the 40 mg single-dose vial is discarded: 2 more units with JW
    d = draft([site(1, "gluteus_maximus", "R", ml=1.0)], [syringe(("triamcinolone-40", 0.375), ("lidocaine-1", 0.625))])
    lines = coded(d).hcpcs
    assert [(line.code, line.units, line.modifiers) for line in lines] == [("J3301", 2, ()), ("J3301", 2, ("JW",))]


def test_nothing_discarded_is_jz_from_july_2023_only() -> None:
    d = draft([site(1, "gluteus_maximus", "R", ml=5.0)], [syringe(("lidocaine-1", 4.0), ("triamcinolone-40", 1.0))])
    assert coded(d, when=datetime(2024, 6, 1)).hcpcs[0].modifiers == ("JZ",)
    assert coded(d, when=datetime(2023, 6, 1)).hcpcs[0].modifiers == ()


def test_multi_dose_vials_take_no_waste_modifier() -> None:
    d = draft([site(1, "gluteus_maximus", "R", ml=5.0)], [syringe(("lidocaine-1", 4.0), ("triamcinolone-10", 1.0))])
    assert [(line.code, line.units, line.modifiers) for line in coded(d).hcpcs] == [("J3301", 1, ())]


def test_methylprednisolone_is_coded_by_the_rules_of_its_date() -> None:
    d = draft([site(1, "gluteus_maximus", "R", ml=5.0)], [syringe(("lidocaine-1", 4.0), ("methylprednisolone-40", 1.0))])
    assert [(x.code, x.units) for x in coded(d, when=datetime(2024, 5, 1)).hcpcs][:1] == [("J1010", 40)]
    assert [(x.code, x.units) for x in coded(d, when=datetime(2023, 5, 1)).hcpcs][:1] == [("J1030", 1)]


def test_local_anesthetic_is_bundled() -> None:
    coding = coded(draft([site(1, "gluteus_maximus", "R")], [syringe(("lidocaine-1", 5.0))]))
    assert coding.hcpcs == () and any("bundled" in n for n in coding.notes)


@pytest.mark.parametrize("minutes,units", [(7, 0), (8, 1), (22, 1), (23, 2), (37, 2), (38, 3)])
def test_eight_minute_rule(minutes: int, units: int) -> None:
    assert eight_minute_units(minutes) == units


@pytest.mark.parametrize("profile,attended,expected", [
    ("medicare", False, [("G0283", 1)]), ("commercial", False, [("97014", 1)]),
    ("medicare", True, [("97032", 2)]), ("acupuncture", False, [("97014", 1)]),  # after 97810: test_billing_waste
])
def test_estim_code_from_the_payer_profile(profile: str, attended: bool, expected: list) -> None:
    d = draft([site(1, "gluteus_medius", "R", "dry_needling", estim=EStim(2, 250, 5, 25, attended))], [])
    assert [(x.code, x.units) for x in coded(d, profile=profile).cpt[1:]] == expected


def test_no_codes_before_the_rules_began() -> None:
    with pytest.raises(ValueError):
        rules_for(datetime(1999, 12, 31).date())
