"""Every safety rule of product.md §4, table-driven with its edges."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from rule_helpers import ATLAS, FORMULARY, START, EStim, draft, patient, site, syringe

from tpi_notes.domain.findings import FindingOverride, apply_overrides
from tpi_notes.domain.rules import rules_for
from tpi_notes.domain.safety import PastSession, SafetyInput, evaluate

RULES = rules_for(START.date())


def findings(d, p=None, history=(), limit=200.0):  # noqa: ANN001, ANN201
    return evaluate(SafetyInput(p or patient(), d, FORMULARY, ATLAS, RULES, history, limit))


def codes(d, p=None, history=()):  # noqa: ANN001, ANN201
    return {(f.code, f.severity) for f in findings(d, p, history)}


def lido(ml: float):  # noqa: ANN201 - one syringe of lidocaine 1 % fully given at one site
    return draft([site(1, "gluteus_maximus", "R", ml=min(ml, 20.0))] +
                 ([site(2, "gluteus_maximus", "L", ml=ml - 20.0)] if ml > 20 else []),
                 [syringe(("lidocaine-1", ml))])


@pytest.mark.parametrize("ml,weight,expected", [
    (23.9, 80.0, set()),                                      # 79.7 % of 300 mg: nothing
    (24.0, 80.0, {("la_near_max", "warn")}),                  # exactly 80 %: warn
    (30.0, 80.0, {("la_near_max", "warn")}),                  # exactly 100 %: at the maximum, not over it
    (30.5, 80.0, {("la_over_max", "stop")}),                  # over: stop
    (7.2, 20.0, {("la_near_max", "warn")}),                   # 20 kg: 90 mg max, 72 mg = 80 %
    (5.0, None, {("weight_missing", "warn")}),                # no weight: say so
    (31.0, None, {("weight_missing", "warn"), ("la_over_max", "stop")}),  # even without weight, over 300 mg
])
def test_local_anesthetic_limits(ml: float, weight: float | None, expected: set) -> None:
    got = {c for c in codes(lido(ml), patient(weight_kg=weight)) if c[0].startswith(("la_", "weight"))}
    assert got == expected


def test_two_local_anesthetics_add_up_to_a_stop() -> None:
    # 70 kg: lidocaine 200 mg of 300 (66.7 %) + bupivacaine 70 mg of 175 (40 %) = 106.7 %
    d = draft([site(1, "gluteus_maximus", "R", ml=20.0), site(2, "gluteus_maximus", "L", ml=14.0)],
              [syringe(("lidocaine-1", 20.0), ("bupivacaine-0.5", 14.0))])
    assert ("la_over_max", "stop") in codes(d)
    one_alone = draft([site(1, "gluteus_maximus", "R", ml=20.0)], [syringe(("lidocaine-1", 20.0))])
    assert ("la_over_max", "stop") not in codes(one_alone)


def test_pregnancy_is_a_stop_that_a_reason_overrides() -> None:
    d = lido(5.0)
    [stop] = [f for f in findings(d, patient(pregnant=True)) if f.code == "pregnancy"]
    assert stop.severity == "stop" and stop.overridable and stop.blocks_signing
    [done] = [f for f in apply_overrides([stop], (FindingOverride("pregnancy", "", "Discussed with OB; saline "
                                                                  "only would not help; patient consents."),))]
    assert not done.blocks_signing and done.override_reason.startswith("Discussed")
    [blank] = apply_overrides([stop], (FindingOverride("pregnancy", "", "   "),))
    assert blank.blocks_signing


def test_breastfeeding_is_a_stop_too() -> None:
    assert ("breastfeeding", "stop") in codes(lido(5.0), patient(breastfeeding=True))


@pytest.mark.parametrize("allergy,stop", [("lidocaine", True), ("Amide local anesthetics", True),
                                          ("LIDOCAINE (hives)", True), ("latex", False), ("penicillin", False)])
def test_allergy_to_an_agent_in_a_syringe(allergy: str, stop: bool) -> None:
    assert (("allergy", "stop") in codes(lido(5.0), patient(allergies=(allergy,)))) == stop


def test_allergy_stop_cannot_be_overridden() -> None:
    [f] = [f for f in findings(lido(5.0), patient(allergies=("lidocaine",))) if f.code == "allergy"]
    assert not f.overridable
    [kept] = apply_overrides([f], (FindingOverride("allergy", f.subject, "I know"),))
    assert kept.blocks_signing


def test_expired_lot_is_a_stop() -> None:
    from datetime import date

    from tpi_notes.domain.session import Component, Preparation

    d = lido(5.0)
    old = replace(d, preparations=(Preparation("A", (Component("lidocaine-1", 5.0, "OLD", date(2026, 5, 31)),)),))
    assert ("expired_lot", "stop") in codes(old)
    same_day = replace(d, preparations=(Preparation("A", (Component("lidocaine-1", 5.0, "OK", date(2026, 6, 1)),)),))
    assert ("expired_lot", "stop") not in codes(same_day)


@pytest.mark.parametrize("over,expected", [
    ({"anticoagulant": "apixaban"}, ("bleeding_risk", "warn")),
    ({"bleeding_disorder": True}, ("bleeding_risk", "warn")),
])
def test_bleeding_risk(over: dict, expected: tuple) -> None:
    assert expected in codes(lido(5.0), patient(**over))
    assert expected not in codes(lido(5.0))


def test_diabetes_with_corticosteroid_only() -> None:
    steroid = draft([site(1, "gluteus_maximus", "R", ml=5.0)], [syringe(("lidocaine-1", 4.0), ("triamcinolone-40", 1.0))])
    assert ("diabetes_steroid", "warn") in codes(steroid, patient(diabetes=True))
    assert ("diabetes_steroid", "warn") not in codes(lido(5.0), patient(diabetes=True))
    assert ("diabetes_steroid", "warn") not in codes(steroid)


def past(days_ago: int, muscles=(("gluteus_maximus", "R"),), steroid=0.0, injection=True):  # noqa: ANN001, ANN201
    return PastSession(days_ago, START - timedelta(days=days_ago), injection, frozenset(muscles), steroid)


def test_corticosteroid_over_twelve_months() -> None:
    steroid = draft([site(1, "gluteus_maximus", "R", ml=5.0)], [syringe(("lidocaine-1", 4.0), ("triamcinolone-40", 1.0))])
    # 40 mg now: 40 + 80 + 81 = 201 mg > 200 mg; exactly 200 mg is at the limit, not over it
    assert ("steroid_12_months", "warn") in codes(steroid, history=[past(100, steroid=80.0), past(200, steroid=81.0)])
    assert ("steroid_12_months", "warn") not in codes(steroid, history=[past(100, steroid=80.0), past(200, steroid=80.0)])
    assert ("steroid_12_months", "warn") not in codes(steroid, history=[past(100, steroid=80.0), past(400, steroid=90.0)])


def test_more_than_three_tpi_sessions_in_twelve_months() -> None:
    three = [past(60, ()), past(150, ()), past(300, ())]
    assert ("tpi_frequency", "warn") in codes(lido(5.0), history=three)
    assert ("tpi_frequency", "warn") not in codes(lido(5.0), history=three[:2] + [past(370, ())])


def test_same_muscle_within_six_weeks_each_side_apart() -> None:
    assert ("same_muscle_6_weeks", "warn") in codes(lido(5.0), history=[past(41)])
    assert ("same_muscle_6_weeks", "warn") not in codes(lido(5.0), history=[past(42)])
    assert ("same_muscle_6_weeks", "warn") not in codes(lido(5.0), history=[past(10, (("gluteus_maximus", "L"),))])


def test_near_lung_muscle_treated() -> None:
    d = draft([site(1, "upper_trapezius", "R")], [syringe(("lidocaine-1", 1.0))])
    assert ("near_lung", "warn") in codes(d)
    assert ("near_lung", "warn") not in codes(lido(5.0))


def test_estim_with_an_implanted_device_is_a_stop() -> None:
    d = draft([site(1, "gluteus_medius", "R", "dry_needling", estim=EStim(2, 250, 5, 15, True))], [])
    assert ("estim_device", "stop") in codes(d, patient(implanted_device=True))
    assert ("estim_device", "stop") not in codes(d)
    plain = draft([site(1, "gluteus_medius", "R", "dry_needling")], [])
    assert ("estim_device", "stop") not in codes(plain, patient(implanted_device=True))


def test_needles_in_must_equal_needles_out() -> None:
    d = draft([site(1, "gluteus_medius", "R", "dry_needling", needles_in=3, needles_out=2)], [])
    assert ("needle_count", "stop") in codes(d)
    ok = draft([site(1, "gluteus_medius", "R", "dry_needling", needles_in=3, needles_out=3)], [])
    assert ("needle_count", "stop") not in codes(ok)


def test_consent_and_time_out_missing_stop_signing() -> None:
    d = replace(lido(5.0), consent_type=None, timeout_done=False, timeout_at=None)
    assert {("consent_missing", "stop"), ("timeout_missing", "stop")} <= codes(d)
    assert not {("consent_missing", "stop"), ("timeout_missing", "stop")} & codes(lido(5.0))


def test_every_finding_names_its_source() -> None:
    d = replace(lido(31.0), consent_type=None)
    assert all(f.source for f in findings(d, patient(pregnant=True, weight_kg=None, anticoagulant="warfarin")))
