"""The demo works a session's dose summary and consent risks out once and hands them to the rules and the CSV row
(issue 19): what it hands over must give exactly what the rules work out themselves, and the summary's per-syringe
arithmetic must give the very floats the per-site sum gave (a stored CSV row is compared byte for byte)."""

from __future__ import annotations

from rule_helpers import ATLAS, FORMULARY, START, draft, patient, site, syringe

from tpi_notes.domain.consent_risks import applicable_risks
from tpi_notes.domain.dosing import dose_summary, site_doses
from tpi_notes.domain.rules import rules_for
from tpi_notes.domain.safety import SafetyInput, evaluate


def _session():  # noqa: ANN202 - two syringes shared by several sites, a dry-needling site, a site given nothing
    return draft([site(1, "gluteus_maximus", "R", ml=1.5), site(2, "gluteus_maximus", "L", ml=0.7, label="B"),
                  site(3, "gluteus_medius", "R", ml=1.1), site(4, "gluteus_medius", "L", technique="dry_needling"),
                  site(5, "upper_trapezius", "R", ml=None), site(6, "upper_trapezius", "L", ml=0.3, label="B")],
                 [syringe(("lidocaine-1", 4.0), ("triamcinolone-40", 1.0)),
                  syringe(("bupivacaine-0.25", 3.3), ("lidocaine-1", 1.7), label="B")],
                 consent_risks=())


def test_the_summary_adds_up_each_sites_doses_to_the_same_floats() -> None:
    d = _session()
    summary = dose_summary(d, FORMULARY, 70.0)
    mg: dict[str, float] = {}
    for s in d.sites:  # the per-site sum, in site order, as dose_summary once did it
        for code, value in site_doses(s, d.preparations, FORMULARY).items():
            mg[code] = mg.get(code, 0.0) + value
    assert {r.item_code: r.total_mg for r in summary.rows} == {code: round(v, 4) for code, v in mg.items()}
    assert summary.injected_ml == round(1.5 + 0.7 + 1.1 + 0.3, 4)
    assert [r.total_ml for r in summary.rows] and all(r.total_ml > 0 for r in summary.rows)


def test_a_summary_and_risks_handed_to_the_rules_give_what_they_work_out() -> None:
    d, p = _session(), patient(diabetes=True)
    rules = rules_for(START.date())
    alone = evaluate(SafetyInput(p, d, FORMULARY, ATLAS, rules))
    handed = evaluate(SafetyInput(p, d, FORMULARY, ATLAS, rules, doses=dose_summary(d, FORMULARY, p.weight_kg),
                                  risks=applicable_risks(d.sites, d.preparations, FORMULARY, ATLAS)))
    assert handed == alone
    assert {"diabetes_steroid", "risk_not_discussed"} <= {f.code for f in alone}  # the steroid and risk rules ran
