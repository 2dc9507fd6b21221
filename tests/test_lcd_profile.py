"""Issue 15 items 2 and 5: one muscle one service, and the Medicare 2024 TPI LCD payer profile (clinical-reference §2.7).

The LCD profile is dated payer data (resources/rules/clinical-rules.json, from 2024-04-01) chosen in the clinic
settings like the e-stim profile; its warnings have stable codes so a billing office can filter on them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from rule_helpers import ATLAS, FORMULARY, START, draft, patient, site, syringe

from tpi_notes.domain.outcomes import PriorResponse, peg
from tpi_notes.domain.rules import rules_for
from tpi_notes.domain.safety import PastSession, SafetyInput, evaluate
from tpi_notes.domain.session import Diagnosis

LCD = "medicare_tpi_lcd_2024"


def findings(d, profile: str = LCD, history=()):  # noqa: ANN001, ANN201
    return evaluate(SafetyInput(patient(), d, FORMULARY, ATLAS, rules_for(d.performed_start.date()), history,
                                payer_profile=profile))


def codes(d, profile: str = LCD, history=()) -> dict[str, str]:  # noqa: ANN001
    return {f.code: f.severity for f in findings(d, profile, history)}


def covered(**over: object):  # noqa: ANN201 - one injection, a covered diagnosis, landmark guidance
    base = draft([site(1, "gluteus_medius", "L", ml=3.0)], [syringe(("lidocaine-1", 3.0))],
                 diagnoses=(Diagnosis("M79.18", "Myalgia, other site"),), guidance="landmark",
                 scales=(peg(6, 5, 5, START),))  # the LCD wants a functional scale (issue 17)
    return replace(base, **over)


def test_the_profile_is_offered_from_april_2024_only() -> None:
    assert LCD in rules_for(date(2024, 4, 1)).estim_profiles
    assert LCD not in rules_for(date(2024, 3, 31)).estim_profiles


def test_a_covered_single_region_session_is_clean() -> None:
    assert not {c for c in codes(covered()) if c.startswith("lcd_")}


def test_a_diagnosis_outside_the_covered_list() -> None:
    d = covered(diagnoses=(Diagnosis("M54.50", "Low back pain, unspecified"),))
    found = {f.code: f for f in findings(d)}
    assert found["lcd_diagnosis_not_covered"].severity == "warn"
    assert "M54.50" in found["lcd_diagnosis_not_covered"].message
    assert "M79.10" in found["lcd_diagnosis_not_covered"].message  # says what would be covered
    assert "lcd_diagnosis_not_covered" not in codes(covered(diagnoses=(Diagnosis("G44.229", "x"),)))
    assert "lcd_diagnosis_not_covered" not in codes(d, profile="medicare")  # only under the LCD profile


def test_more_anatomic_regions_than_allowed() -> None:
    # gluteus medius (hip) and upper trapezius (cervical): two of the atlas's region groups
    d = covered(sites=(site(1, "gluteus_medius", "L", ml=1.5), site(2, "upper_trapezius", "L", ml=1.5)))
    found = {f.code: f for f in findings(d)}
    assert found["lcd_regions"].severity == "warn"
    assert "2 anatomic regions" in found["lcd_regions"].message
    both_sides = covered(sites=(site(1, "gluteus_medius", "L", ml=1.5), site(2, "gluteus_medius", "R", ml=1.5)))
    assert "lcd_regions" not in codes(both_sides)


def test_imaging_guidance_billed_with_tpi() -> None:
    assert codes(covered(guidance="ultrasound"))["lcd_imaging_guidance"] == "warn"
    assert "lcd_imaging_guidance" not in codes(covered())


def test_a_repeat_without_documented_relief_says_relief_is_not_recorded() -> None:
    earlier = PastSession(7, START - timedelta(days=70), True, frozenset({("gluteus_medius", "L")}), 0.0)
    found = {f.code: f for f in findings(covered(), history=(earlier,))}
    assert found["lcd_repeat_relief"].severity == "warn"
    assert "relief not recorded" in found["lcd_repeat_relief"].message
    assert "lcd_repeat_relief" not in codes(covered())  # a first session is not a repeat


def test_the_repeat_warning_reads_the_recorded_response_to_the_last_session() -> None:
    """Issue 17: the response recorded at this session for the last one decides the repeat warning."""
    earlier = PastSession(7, START - timedelta(days=70), True, frozenset({("gluteus_medius", "L")}), 0.0)
    good = covered(prior_responses=(PriorResponse(7, "gluteus_medius", "L", 60, 9, True),))
    assert "lcd_repeat_relief" not in codes(good, history=(earlier,))
    short = covered(prior_responses=(PriorResponse(7, "gluteus_medius", "L", 60, 3, False),))
    message = {f.code: f for f in findings(short, history=(earlier,))}["lcd_repeat_relief"].message
    assert "recorded L gluteus medius 60 % relief, lasted 3 weeks." in message
    weak = covered(prior_responses=(PriorResponse(7, "gluteus_medius", "L", 20, 10, False),))
    assert "20 % relief" in {f.code: f for f in findings(weak, history=(earlier,))}["lcd_repeat_relief"].message
    # a response to another session is not this repeat's: still not recorded
    other = covered(prior_responses=(PriorResponse(3, "gluteus_medius", "L", 90, 20, False),))
    assert "relief not recorded" in {f.code: f for f in findings(other, history=(earlier,))}["lcd_repeat_relief"].message


def test_under_the_lcd_a_missing_peg_is_a_warning_and_never_a_blocker() -> None:
    found = {f.code: f for f in findings(covered(scales=()))}
    assert found["lcd_functional_scale"].severity == "warn" and "PEG-3" in found["lcd_functional_scale"].message
    assert "lcd_functional_scale" not in codes(covered(scales=()), profile="medicare")  # elsewhere: recommended
    assert "lcd_functional_scale" not in codes(covered(scales=(peg(6, 5, 5, START),)))


def test_a_muscle_injected_and_needled_is_a_warning_whatever_the_profile() -> None:
    d = draft([site(1, "gluteus_medius", "L"), site(2, "gluteus_medius", "L", "dry_needling")],
              [syringe(("lidocaine-1", 5.0))], performed_start=datetime(2026, 6, 1, 10))
    for profile in ("medicare", "commercial", LCD):
        found = [f for f in findings(d, profile) if f.code == "same_muscle_two_techniques"]
        assert [(f.severity, f.subject) for f in found] == [("warn", "L gluteus medius")]
        assert "counted once, under injection" in found[0].message
