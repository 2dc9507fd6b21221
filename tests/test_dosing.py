"""Dose arithmetic: concentrations of mixed syringes, per-site mg, totals and % of the maximum."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tpi_notes.domain.dosing import concentrations, dose_summary, site_doses
from tpi_notes.domain.formulary import load_default_formulary
from tpi_notes.domain.session import Component, Preparation, Site

FORMULARY = {item.code: item for item in load_default_formulary().items}


@dataclass(frozen=True)
class Draft:
    preparations: tuple[Preparation, ...]
    sites: tuple[Site, ...]


def site(n: int, label: str | None, ml: float | None, technique: str = "injection") -> Site:
    return Site(n, "posterior", 0.5, 0.3, "post.upper_trapezius.R", "upper_trapezius", "Upper trapezius", "R",
                technique, label, ml)


def test_percent_is_ten_times_mg_per_ml() -> None:
    assert FORMULARY["lidocaine-1"].concentration_mg_per_ml == 10.0
    assert FORMULARY["lidocaine-0.5"].concentration_mg_per_ml == 5.0
    assert FORMULARY["bupivacaine-0.25"].concentration_mg_per_ml == 2.5
    assert FORMULARY["ropivacaine-0.5"].concentration_mg_per_ml == 5.0


def test_mixed_syringe_example_from_the_reference() -> None:
    prep = Preparation("A", (Component("lidocaine-1", 4.0), Component("triamcinolone-40", 1.0)))
    assert concentrations(prep, FORMULARY) == {"lidocaine-1": 8.0, "triamcinolone-40": 8.0}
    doses = site_doses(site(1, "A", 2.0), (prep,), FORMULARY)
    assert doses == pytest.approx({"lidocaine-1": 16.0, "triamcinolone-40": 16.0})


def test_lidocaine_limit_for_70_kg_is_capped_at_300_mg() -> None:
    assert FORMULARY["lidocaine-1"].max_mg_for(70.0) == 300.0
    assert FORMULARY["lidocaine-1"].max_mg_for(50.0) == pytest.approx(225.0)


@pytest.mark.parametrize("ml,weight,pct", [(24.0, 80.0, 80.0), (30.0, 80.0, 100.0), (7.2, 20.0, 80.0)])
def test_percent_of_maximum_at_the_edges(ml: float, weight: float, pct: float) -> None:
    # 80 kg: 4.5 x 80 = 360, capped at 300 mg = 30 mL of 1 %; 20 kg: 90 mg = 9 mL.
    prep = Preparation("A", (Component("lidocaine-1", ml),))
    summary = dose_summary(Draft((prep,), (site(1, "A", ml),)), FORMULARY, weight)
    assert summary.row("lidocaine-1").pct_of_max == pytest.approx(pct)
    assert summary.local_anesthetic_pct == pytest.approx(pct)


def test_two_local_anesthetics_add_up() -> None:
    prep = Preparation("A", (Component("lidocaine-1", 15.0), Component("bupivacaine-0.5", 10.0)))
    summary = dose_summary(Draft((prep,), (site(1, "A", 25.0),)), FORMULARY, 70.0)
    # lidocaine 150 mg of 300 = 50 %; bupivacaine 50 mg of min(175, 2.5 x 70 = 175) = 28.57 %
    assert summary.row("lidocaine-1").pct_of_max == pytest.approx(50.0)
    assert summary.row("bupivacaine-0.5").pct_of_max == pytest.approx(28.57, abs=0.01)
    assert summary.local_anesthetic_pct == pytest.approx(78.57, abs=0.01)


def test_missing_weight_is_said_not_guessed() -> None:
    prep = Preparation("A", (Component("lidocaine-1", 5.0),))
    summary = dose_summary(Draft((prep,), (site(1, "A", 5.0),)), FORMULARY, None)
    assert summary.local_anesthetic_pct is None
    assert any("Weight missing" in w for w in summary.warnings)


def test_dry_needling_and_unassigned_sites_carry_no_dose() -> None:
    prep = Preparation("A", (Component("lidocaine-1", 5.0),))
    draft = Draft((prep,), (site(1, None, 1.0), site(2, "A", None), site(3, "A", 1.0, "dry_needling")))
    assert dose_summary(draft, FORMULARY, 70.0).rows == ()


codes = st.sampled_from(sorted(FORMULARY))
volumes = st.floats(min_value=0.1, max_value=20.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.tuples(codes, volumes), min_size=1, max_size=4), min_size=1, max_size=3),
       st.lists(st.tuples(st.integers(0, 2), volumes), min_size=0, max_size=12))
def test_totals_equal_the_sum_over_sites(syringes, uses) -> None:  # noqa: ANN001
    preps = tuple(Preparation(chr(65 + i), tuple(Component(c, v) for c, v in comps)) for i, comps in enumerate(syringes))
    sites = tuple(site(n, preps[i % len(preps)].label, v) for n, (i, v) in enumerate(uses, start=1))
    summary = dose_summary(Draft(preps, sites), FORMULARY, 75.0)
    expected: dict[str, float] = {}
    for s in sites:
        for code, mg in site_doses(s, preps, FORMULARY).items():
            expected[code] = expected.get(code, 0.0) + mg
    assert {r.item_code: r.total_mg for r in summary.rows} == pytest.approx(expected, rel=1e-6, abs=1e-3)
    assert summary.injected_ml == pytest.approx(sum(v for _, v in uses), abs=1e-3)
