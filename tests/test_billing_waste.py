"""Issue 15 items 1, 2 and 5: drug waste per vial opened, one muscle one service, the acupuncture profile.

Each test is a defect an auditor would catch on the old code (issue 15 "Why").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from rule_helpers import FORMULARY, EStim, draft, site, syringe

from tpi_notes.domain.coding import derive_codes
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.rules import rules_for
from tpi_notes.domain.session import Component, Preparation


def coded(d, profile: str = "medicare", when: datetime | None = None, formulary=FORMULARY):  # noqa: ANN001, ANN201
    d = replace(d, performed_start=when) if when else d
    return derive_codes(d, formulary, rules_for(d.performed_start.date()), profile)


def lines(coding) -> list[tuple[str, int, tuple[str, ...]]]:  # noqa: ANN001
    return [(x.code, x.units, x.modifiers) for x in coding.hcpcs]


def test_sixty_mg_triamcinolone_from_one_ml_vials_opens_two_vials_and_discards_twenty_mg() -> None:
    # 1.5 mL of Kenalog-40 (60 mg) needs two 1 mL single-dose vials: 80 mg opened, 60 mg given, 20 mg discarded
    d = draft([site(1, "gluteus_maximus", "R", ml=3.0)], [syringe(("triamcinolone-40", 1.5), ("lidocaine-1", 1.5))])
    coding = coded(d)
    assert lines(coding) == [("J3301", 6, ()), ("J3301", 2, ("JW",))]
    assert all("JZ" not in x.modifiers for x in coding.hcpcs)
    assert not any("nothing discarded" in x.reason for x in coding.hcpcs)
    (waste,) = coding.waste
    assert (waste.generic, waste.vials, waste.discarded_mg) == ("triamcinolone acetonide", 2, 20.0)
    assert waste.text == "Discarded: 20 mg triamcinolone acetonide (1 vial partly used)"


def test_vials_opened_as_recorded_counts_over_the_volume_drawn() -> None:
    # 1 mL drawn but the nurse records three vials opened (one dropped, one contaminated): 120 mg opened
    prep = Preparation("A", (Component("triamcinolone-40", 1.0, "T1", vials_opened=3), Component("lidocaine-1", 2.0)))
    d = draft([site(1, "gluteus_maximus", "R", ml=3.0)], [prep])
    assert lines(coded(d)) == [("J3301", 4, ()), ("J3301", 8, ("JW",))]


def test_a_full_vial_given_is_jz_and_nothing_discarded() -> None:
    d = draft([site(1, "gluteus_maximus", "R", ml=3.0)], [syringe(("triamcinolone-40", 1.0), ("lidocaine-1", 2.0))])
    coding = coded(d)
    assert lines(coding) == [("J3301", 4, ("JZ",))]
    assert coding.waste == ()


def test_the_same_steroid_in_two_strengths_is_totalled_before_rounding() -> None:
    # 5 mg from Kenalog-10 and 5 mg from Kenalog-40: 10 mg = 1 unit of J3301, not 1 + 1
    d = draft([site(1, "gluteus_maximus", "R", ml=1.0), site(2, "gluteus_medius", "R", ml=0.625, label="B")],
              [syringe(("triamcinolone-10", 0.5), ("lidocaine-1", 0.5)),
               syringe(("triamcinolone-40", 0.125), ("lidocaine-1", 0.5), label="B")])
    administered = [x for x in coded(d).hcpcs if not x.modifiers or x.modifiers == ("JZ",)]
    assert [(x.code, x.units) for x in administered] == [("J3301", 1)]


def test_five_plus_five_mg_dexamethasone_are_units_of_ten_mg() -> None:
    # A clinic's dexamethasone 10 mg/mL (multi-dose) beside the 4 mg/mL vial; before 2009 J1100 was per 4 mg:
    # 5 mg + 5 mg = 10 mg = 3 units, where rounding each product gave 2 + 2
    dex10 = replace(FORMULARY["dexamethasone-4"], code="dexamethasone-10", name="Dexamethasone 10 mg/mL",
                    strength_label="10 mg/mL", concentration_mg_per_ml=10.0, single_dose_vial=False,
                    vial_volume_ml=10.0)
    formulary: dict[str, FormularyItem] = {**FORMULARY, dex10.code: dex10}
    d = draft([site(1, "gluteus_maximus", "R", ml=1.75), site(2, "gluteus_medius", "R", ml=1.0, label="B")],
              [syringe(("dexamethasone-4", 1.25), ("lidocaine-1", 0.5)),
               syringe(("dexamethasone-10", 0.5), ("lidocaine-1", 0.5), label="B")])
    old = coded(d, when=datetime(2008, 6, 2), formulary=formulary)
    assert [x.units for x in old.hcpcs if "JW" not in x.modifiers] == [3]
    now = coded(d, when=datetime(2024, 6, 3), formulary=formulary)
    assert [x.units for x in now.hcpcs if "JW" not in x.modifiers] == [10]


def test_before_april_2024_methylprednisolone_has_waste_too() -> None:
    # 20 mg given from a 40 mg single-dose vial in 2023: J1020 for the 20 mg, J1020-JW for the other 20 mg
    d = draft([site(1, "gluteus_maximus", "R", ml=2.5)],
              [syringe(("methylprednisolone-40", 0.5), ("lidocaine-1", 2.0))])
    assert lines(coded(d, when=datetime(2023, 9, 4))) == [("J1020", 1, ()), ("J1020", 1, ("JW",))]
    full = draft([site(1, "gluteus_maximus", "R", ml=3.0)],
                 [syringe(("methylprednisolone-40", 1.0), ("lidocaine-1", 2.0))])
    assert lines(coded(full, when=datetime(2023, 9, 4))) == [("J1030", 1, ("JZ",))]
    assert lines(coded(full, when=datetime(2023, 5, 2))) == [("J1030", 1, ())]  # JZ from 1 Jul 2023


def test_multi_dose_vials_never_take_jw_or_jz_even_with_vials_recorded() -> None:
    prep = Preparation("A", (Component("triamcinolone-10", 1.0, "T1", vials_opened=2), Component("lidocaine-1", 2.0)))
    coding = coded(draft([site(1, "gluteus_maximus", "R", ml=3.0)], [prep]))
    assert lines(coding) == [("J3301", 1, ())] and coding.waste == ()


# -- one muscle, one service ------------------------------------------------------------------------------
def test_a_muscle_injected_and_needled_is_counted_once_under_injection() -> None:
    d = draft([site(1, "gluteus_medius", "L"), site(2, "gluteus_medius", "L", "dry_needling"),
               site(3, "gluteus_maximus", "L", "dry_needling")], [syringe(("lidocaine-1", 5.0))])
    coding = coded(d, profile="commercial")
    assert [(x.code, x.units) for x in coding.cpt] == [("20552", 1), ("20560", 1)]
    assert "L gluteus medius" not in coding.cpt[1].reason.split("→")[0].split(":")[1]
    assert "counted once, under injection" in coding.cpt[0].reason
    only_same = draft([site(1, "gluteus_medius", "L"), site(2, "gluteus_medius", "L", "dry_needling")],
                      [syringe(("lidocaine-1", 5.0))])
    assert [x.code for x in coded(only_same, profile="commercial").cpt] == ["20552"]


# -- the acupuncture profile ------------------------------------------------------------------------------
def test_acupuncture_profile_bills_the_needle_insertion_once() -> None:
    d = draft([site(1, "gluteus_medius", "R", "dry_needling", estim=EStim(2, 250, 5, 25, True)),
               site(2, "gluteus_medius", "L", "dry_needling", estim=EStim(2, 250, 5, 20, False))], [])
    codes = [(x.code, x.units) for x in coded(d, profile="acupuncture").cpt]
    assert [c for c, _u in codes].count("97813") == 1  # the initial 15 minutes once, never for unattended e-stim
    assert not {"20560", "20561"} & {c for c, _u in codes}  # the acupuncture code includes the insertion
    assert codes == [("97813", 1), ("97814", 1), ("97014", 1)]


def test_acupuncture_profile_without_attended_estim() -> None:
    unattended = draft([site(1, "gluteus_medius", "R", "dry_needling", estim=EStim(2, 250, 5, 20, False))], [])
    assert [(x.code, x.units) for x in coded(unattended, profile="acupuncture").cpt] == [("97810", 1), ("97014", 1)]
    plain = draft([site(1, "gluteus_medius", "R", "dry_needling")], [])
    assert [x.code for x in coded(plain, profile="acupuncture").cpt] == ["97810"]


def test_a_date_check() -> None:
    assert rules_for(date(2024, 4, 1)).effective_from == date(2024, 4, 1)


def test_less_than_a_unit_left_over_is_documented_but_never_called_nothing() -> None:
    # 35 mg from a 40 mg vial: 4 units cover the vial (JZ, no billable waste), yet 5 mg was discarded
    d = draft([site(1, "gluteus_maximus", "R", ml=2.875)], [syringe(("triamcinolone-40", 0.875), ("lidocaine-1", 2.0))])
    coding = coded(d)
    assert lines(coding) == [("J3301", 4, ("JZ",))]
    assert "nothing discarded" not in coding.hcpcs[0].reason and "5 mg left over" in coding.hcpcs[0].reason
    assert [w.text for w in coding.waste] == ["Discarded: 5 mg triamcinolone acetonide (1 vial partly used)"]
