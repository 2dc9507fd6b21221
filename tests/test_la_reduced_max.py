"""Data the app records and must use (issue 13, Build item 3): a lower local-anesthetic ceiling for the elderly
(or pregnant) patient, a stale weight behind the maximum, and the weight's date printed beside "% of max".
The thresholds are dated data with sources (resources/rules/clinical-rules.json), never constants in code."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from rule_helpers import ATLAS, FORMULARY, START, draft, patient, site, syringe
from test_report_support import add_patient, flat, pdf_pages, save_session, setup_clinic

from tpi_notes.domain.rules import rules_for
from tpi_notes.domain.safety import SafetyInput, evaluate
from tpi_notes.services import documents
from tpi_notes.services.context import AppContext

RULES = rules_for(START.date())  # START is 2026-06-01


def lido(ml: float):  # noqa: ANN201 - lidocaine 1 %, 70 kg: the maximum is 300 mg = 30 mL
    sites = [site(1, "gluteus_maximus", "R", ml=min(ml, 20.0))]
    if ml > 20:
        sites.append(site(2, "gluteus_maximus", "L", ml=round(ml - 20.0, 2)))
    return draft(sites, [syringe(("lidocaine-1", ml))])


def codes(d, p):  # noqa: ANN001, ANN201
    return {(f.code, f.severity) for f in evaluate(SafetyInput(p, d, FORMULARY, ATLAS, RULES))}


def test_thresholds_are_dated_data_with_sources() -> None:
    for day in (date(2001, 5, 1), START.date()):
        rules = rules_for(day)
        assert rules.threshold("reduced_max_age_years") == 70
        assert 0 < rules.threshold("reduced_max_la_fraction") < 1
        assert rules.threshold("weight_max_age_days") == 365
        assert rules.threshold("stale_weight_la_pct") == 50
        assert {"reduced_la_maximum", "stale_weight"} <= set(rules.sources)


def test_ninety_year_old_at_87_percent_gets_the_elderly_warning_sixty_year_old_does_not() -> None:
    assert ("la_reduced_max", "warn") in codes(lido(26.1), patient(birth_date=date(1936, 1, 1)))   # 87 %, aged 90
    assert ("la_reduced_max", "warn") not in codes(lido(26.1), patient(birth_date=date(1966, 1, 1)))  # aged 60
    assert ("la_reduced_max", "warn") not in codes(lido(9.0), patient(birth_date=date(1936, 1, 1)))  # 30 %
    assert ("la_reduced_max", "warn") in codes(lido(26.1), patient(pregnant=True))


def test_the_elderly_fraction_is_read_from_the_rule_set() -> None:
    loose = replace(RULES, thresholds={**RULES.thresholds, "reduced_max_la_fraction": 0.9})
    old = patient(birth_date=date(1936, 1, 1))
    found = evaluate(SafetyInput(old, lido(26.1), FORMULARY, ATLAS, loose))
    assert "la_reduced_max" not in {f.code for f in found}
    strict = replace(RULES, thresholds={**RULES.thresholds, "reduced_max_la_fraction": 0.2})
    found = evaluate(SafetyInput(old, lido(9.0), FORMULARY, ATLAS, strict))  # 30 % > 20 %
    assert "la_reduced_max" in {f.code for f in found}


def test_a_weight_three_years_old_warns_over_half_the_maximum() -> None:
    stale = patient(weight_date=date(2023, 6, 1))
    assert ("weight_stale", "warn") in codes(lido(18.0), stale)       # 60 %
    assert ("weight_stale", "warn") not in codes(lido(12.0), stale)   # 40 %
    assert ("weight_stale", "warn") not in codes(lido(18.0), patient(weight_date=date(2026, 3, 1)))
    [f] = [f for f in evaluate(SafetyInput(stale, lido(18.0), FORMULARY, ATLAS, RULES)) if f.code == "weight_stale"]
    assert "2023-06-01" in f.message and f.source


@pytest.mark.parametrize("weighed", [date(2026, 10, 1)])
def test_the_note_prints_the_weight_and_its_date_beside_percent_of_max(ctx: AppContext, weighed: date) -> None:
    doctor = setup_clinic(ctx)
    p = add_patient(ctx, weight_date=weighed)
    session_id = save_session(ctx, p.id, doctor)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert "% of max" in text
    assert "weight 70 kg (recorded 2026-10-01)" in text, text
