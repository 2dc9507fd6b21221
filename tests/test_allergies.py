"""Coded allergies (issue 13 item 1): brand names, ester vs amide, the skin prep, the needles, uncoded text.

Each case is a patient as the rest of the app builds one (the plain allergy list, as typed) and a session, run
through the safety rules; the old substring match gave nothing for a brand name and a hard stop for any "-caine".
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from rule_helpers import ATLAS, FORMULARY, START, draft, patient, site, syringe

from tpi_notes.domain.allergies import AllergyEntry, entry_from_export, resolve
from tpi_notes.domain.findings import FindingOverride, apply_overrides
from tpi_notes.domain.history_answers import History, allergies_text
from tpi_notes.domain.rules import rules_for
from tpi_notes.domain.safety import SafetyInput, evaluate

RULES = rules_for(START.date())


def findings(d, p):  # noqa: ANN001, ANN201
    return [f for f in evaluate(SafetyInput(p, d, FORMULARY, ATLAS, RULES)) if f.code.startswith("allergy")]


def injected(code: str, ml: float = 1.0, **over: object):  # noqa: ANN201 - one syringe of one agent at one site
    return draft([site(1, "gluteus_maximus", "R", ml=ml)], [syringe((code, ml))], **over)


def needled(**over: object):  # noqa: ANN201
    return draft([site(1, "gluteus_medius", "R", "dry_needling")], [], **over)


def allergic(*texts: str):  # noqa: ANN201
    return patient(allergies=texts, history=History.of(allergies="yes"))


@pytest.mark.parametrize("allergy,code,agent", [
    ("Kenalog", "triamcinolone-40", "Triamcinolone acetonide 40 mg/mL"),
    ("Kenalog-10", "triamcinolone-40", "Triamcinolone acetonide 40 mg/mL"),
    ("Depo-Medrol", "methylprednisolone-40", "Methylprednisolone acetate 40 mg/mL"),
    ("Naropin", "ropivacaine-0.5", "Ropivacaine 0.5 %"),
    ("Decadron", "dexamethasone-4", "Dexamethasone sodium phosphate 4 mg/mL"),
    ("Celestone Soluspan", "betamethasone-6", "Betamethasone sodium phosphate/acetate 6 mg/mL"),
    ("Xylocaine", "lidocaine-1", "Lidocaine 1 %"),
    ("Marcaine", "bupivacaine-0.5", "Bupivacaine 0.5 %"),
    ("SENSORCAINE", "bupivacaine-0.25", "Bupivacaine 0.25 %"),
    ("lidocaine 1%", "lidocaine-2", "Lidocaine 2 %"),
    ("Lidocaína", "lidocaine-1", "Lidocaine 1 %"),
])
def test_a_brand_or_generic_name_stops_its_agent(allergy: str, code: str, agent: str) -> None:
    [stop] = [f for f in findings(injected(code), allergic(allergy)) if f.severity == "stop"]
    assert (stop.code, stop.subject, stop.overridable) == ("allergy", agent, False)
    assert allergy in stop.message
    [kept] = apply_overrides([stop], (FindingOverride("allergy", stop.subject, "I know"),))
    assert kept.blocks_signing  # a true allergy to the agent in the syringe is never overridden


def test_an_ester_allergy_does_not_stop_an_amide() -> None:
    for ester in ("procaine", "Novocain", "benzocaine", "ester local anesthetics"):
        got = findings(injected("lidocaine-1"), allergic(ester))
        assert not any(f.blocks_signing for f in got), ester
        assert ("allergy_cross_class", "warn") in {(f.code, f.severity) for f in got}, ester
    # lidocaine 1 % comes from a multi-dose vial (methylparaben, PABA-like): prefer preservative-free
    assert "allergy_preservative" in {f.code for f in findings(injected("lidocaine-1"), allergic("procaine"))}
    # ropivacaine is a single-dose vial: no preservative warning
    assert "allergy_preservative" not in {f.code for f in findings(injected("ropivacaine-0.5"), allergic("procaine"))}


def test_an_amide_allergy_and_another_amide_is_an_overridable_stop() -> None:
    [f] = findings(injected("bupivacaine-0.5"), allergic("lidocaine"))
    assert (f.code, f.severity, f.overridable, f.blocks_signing) == ("allergy_cross_reactive", "stop", True, True)
    [done] = apply_overrides([f], (FindingOverride(f.code, f.subject, "Lidocaine reaction was vasovagal."),))
    assert not done.blocks_signing
    # the class named as such is a true allergy to every member
    assert {g.code for g in findings(injected("bupivacaine-0.5"), allergic("amide local anesthetics"))} == {"allergy"}


def test_an_intolerance_warns() -> None:
    p = replace(allergic("Kenalog"), allergy_entries=(AllergyEntry("Kenalog", "intolerance", "flushing"),))
    [f] = findings(injected("triamcinolone-40"), p)
    assert (f.code, f.severity) == ("allergy_intolerance", "warn")
    assert "flushing" in f.message


def test_chlorhexidine_allergy_and_the_skin_prep() -> None:
    p = allergic("chlorhexidine")
    [stop] = findings(injected("saline-0.9", antisepsis="Chlorhexidine-alcohol"), p)
    assert (stop.code, stop.severity, stop.overridable) == ("allergy_antisepsis", "stop", False)
    assert findings(injected("saline-0.9", antisepsis="Povidone-iodine"), p) == []
    assert findings(needled(antisepsis="Povidone-iodine"), allergic("ChloraPrep")) == []
    assert findings(needled(antisepsis="Betadine swab"), allergic("povidone-iodine"))[0].code == "allergy_antisepsis"


def test_nickel_latex_and_adhesive_warn_with_any_needle() -> None:
    got = {(f.code, f.severity) for f in findings(needled(antisepsis="Povidone-iodine"),
                                                   allergic("nickel", "latex", "tape"))}
    assert got == {("allergy_needle_material", "warn"), ("allergy_latex", "warn"), ("allergy_adhesive", "warn")}
    assert findings(draft([], [], antisepsis="Povidone-iodine"), allergic("nickel")) == []  # no needle, no warning


def test_uncoded_text_warns_and_stays_printed() -> None:
    p = allergic("strawberries")
    [f] = findings(needled(antisepsis="Povidone-iodine"), p)
    assert (f.code, f.severity, f.subject) == ("allergy_unresolved", "warn", "strawberries")
    assert "strawberries (allergy)" in allergies_text(p)
    assert findings(needled(), allergic("penicillin")) == []  # known, and not part of the procedure


def test_resolution_and_export_objects() -> None:
    assert resolve("Kenalog 40").agents == ("triamcinolone",)
    assert resolve("KENALOG-40").items == ("triamcinolone-10", "triamcinolone-40")
    assert resolve("esters").classes == ("ester_local_anesthetic",)
    assert resolve("Hibiclens").substance == "chlorhexidine"
    assert not resolve("strawberries").coded
    entry = entry_from_export({"substance": "Kenalog"})
    assert (entry.kind, entry.resolution.agents) == ("allergy", ("triamcinolone",))
    exported = AllergyEntry("Depo-Medrol", "allergy", "hives").to_json()
    assert exported["resolved"]["items"] == ["methylprednisolone-40", "methylprednisolone-80"]
    assert entry_from_export(exported) == AllergyEntry("Depo-Medrol", "allergy", "hives")
    with pytest.raises(ValueError):
        entry_from_export({"kind": "allergy"})


def test_every_formulary_agent_has_names() -> None:
    from tpi_notes.domain.allergies import agent_of

    assert {code: agent_of(item) for code, item in FORMULARY.items() if agent_of(item) is None} == {}
    for code, item in FORMULARY.items():
        assert code in resolve(item.generic).items or item.agent_class == "saline", code


def test_nkda_typed_as_an_allergy_is_the_answer_no() -> None:
    from datetime import date

    from tpi_notes.domain.patient import PatientInput, validate_patient

    base = PatientInput(mrn="N1", family_name="Doe", given_name="Jo", birth_date=date(1970, 1, 1))
    clean = validate_patient(replace(base, allergies=("NKDA",)), date(2026, 12, 1))
    assert clean.allergies == () and clean.allergy_entries == () and clean.history.get("allergies").state == "no"
    kept = validate_patient(replace(base, allergies=("none", "latex")), date(2026, 12, 1))
    assert kept.allergies == ("latex",) and kept.history.get("allergies").state != "no"


def test_a_clinics_own_item_is_known_by_its_generic_name() -> None:
    from tpi_notes.domain.allergies import item_findings
    from tpi_notes.domain.formulary import FormularyItem

    mepivacaine = FormularyItem("mepivacaine-1", "Mepivacaine 1 %", "mepivacaine hydrochloride", "local_anesthetic",
                                "1 %", 10.0, single_dose_vial=True)
    assert [f.code for f in item_findings((AllergyEntry("Carbocaine"),), mepivacaine)] == ["allergy"]
    assert [f.code for f in item_findings((AllergyEntry("Novocain"),), mepivacaine)] == ["allergy_cross_class"]
