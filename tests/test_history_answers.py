""""Not asked" is not "no" (issue 13 item 2): a history question nobody answered prints "Not recorded" on the
note and the header, never a negative; pregnant and breastfeeding print both; signing waits for the allergies
to be reviewed and, for a patient who could be pregnant, for the pregnancy and breastfeeding answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from test_report_support import START, add_patient, flat, pdf_pages, save_session, setup_clinic, sign

from tpi_notes.services import documents, drafts, integrity
from tpi_notes.services.assessment import assess
from tpi_notes.services.context import AppContext
from tpi_notes.services.signing import NotReadyToSign


def _note_text(ctx: AppContext, session_id: int) -> str:
    return flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))


def _missing(ctx: AppContext, session_id: int) -> dict[str, str]:
    return {m.field: m.message for m in assess(ctx, drafts.get_draft(ctx, session_id)).missing}


def _history(**states: str):  # noqa: ANN202 - the new answers, imported late so the old code's failure is a test's
    from tpi_notes.domain.history_answers import History

    return History.of(**states)


def test_a_patient_with_nothing_entered_prints_not_recorded_never_a_negative(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    woman = add_patient(ctx, birth_date=date(1996, 5, 1), history=_history())  # 30 at the session, nothing asked
    session_id = save_session(ctx, woman.id, doctor, 1, syringe=(("lidocaine-1", 2.0),))
    text = _note_text(ctx, session_id)
    assert "No known allergies" not in text and "Not pregnant" not in text
    assert "Allergies Not recorded" in text
    assert "Pregnancy / breastfeeding Not recorded" in text
    assert "Bleeding disorder Not recorded" in text and "Diabetes Not recorded" in text
    for lang in ("en", "es"):  # the sheet asserts no negative either (no "keep breastfeeding", no "no allergies")
        sheet = flat("\n".join(pdf_pages(documents.aftercare_pdf(ctx, session_id, lang)))).casefold()
        assert "no known allergies" not in sheet and "not pregnant" not in sheet and "breastfeeding" not in sheet


def test_pregnant_and_breastfeeding_prints_both(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    woman = add_patient(ctx, birth_date=date(1996, 5, 1), pregnant=True, breastfeeding=True, allergies=("latex",),
                        history=_history())
    session_id = save_session(ctx, woman.id, doctor, 1, syringe=(("lidocaine-1", 2.0),))
    text = _note_text(ctx, session_id)
    assert "Pregnant, Breastfeeding" in text


def test_signing_waits_for_allergies_and_pregnancy_of_a_30_year_old_woman(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    woman = add_patient(ctx, birth_date=date(1996, 5, 1), history=_history())
    session_id = save_session(ctx, woman.id, doctor, 1, syringe=(("lidocaine-1", 2.0),))
    missing = _missing(ctx, session_id)
    assert {"patient.allergies", "patient.pregnant", "patient.breastfeeding"} <= set(missing)
    assert "No known allergies" in missing["patient.allergies"]
    with pytest.raises(NotReadyToSign):
        sign(ctx, session_id, doctor)


def test_explicit_answers_let_her_sign_and_print_as_answered(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    woman = add_patient(ctx, birth_date=date(1996, 5, 1),
                        history=_history(allergies="no", pregnant="no", breastfeeding="no", diabetes="no"))
    session_id = save_session(ctx, woman.id, doctor, 1, syringe=(("lidocaine-1", 2.0),))
    assert not {k for k in _missing(ctx, session_id) if k.startswith("patient.")}
    sign(ctx, session_id, doctor)
    text = _note_text(ctx, session_id)
    assert "Allergies No known allergies" in text and "Not pregnant, not breastfeeding" in text
    assert "Diabetes No" in text and "Bleeding disorder Not recorded" in text
    assert integrity.session_is_intact(ctx, session_id)


def test_a_70_year_old_man_needs_allergies_reviewed_but_no_pregnancy_answer(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    man = add_patient(ctx, sex="male", birth_date=date(START.year - 70, 1, 2), history=_history())
    session_id = save_session(ctx, man.id, doctor, 1, syringe=(("lidocaine-1", 2.0),))
    missing = _missing(ctx, session_id)
    assert "patient.allergies" in missing
    assert "patient.pregnant" not in missing and "patient.breastfeeding" not in missing
    with pytest.raises(NotReadyToSign):
        sign(ctx, session_id, doctor)


@pytest.mark.parametrize("sex,born,asked", [
    ("female", date(1996, 5, 1), True), ("unknown", date(1996, 5, 1), True), ("female", date(1950, 1, 1), False),
    ("male", date(1996, 5, 1), False), ("female", date(START.year - 11, 1, 1), False),
])
def test_who_is_asked_about_pregnancy(sex: str, born: date, asked: bool) -> None:
    from tpi_notes.domain.history_answers import pregnancy_relevant

    assert pregnancy_relevant(sex, born, START.date()) is asked


def test_the_answers_are_stamped_with_who_and_when(ctx: AppContext) -> None:
    from tpi_notes.domain.patient import PatientInput
    from tpi_notes.services import patients

    record = add_patient(ctx, history=_history(allergies="no"))
    answer = record.history.get("allergies")
    assert answer.state == "no" and answer.recorded_by == ctx.actor and answer.recorded_at is not None
    assert record.history.get("diabetes").state == "unknown"
    data = PatientInput(**{f: getattr(record, f) for f in PatientInput.__dataclass_fields__})
    later = patients.update_patient(ctx, record.id, replace(data, diabetes=True), record.row_version)
    assert later.history.get("diabetes").state == "yes"
    assert later.history.get("allergies") == answer  # unchanged answers keep their stamp


def test_none_typed_as_the_anticoagulant_is_an_answer(ctx: AppContext) -> None:
    record = add_patient(ctx, anticoagulant="None", history=_history())
    assert record.anticoagulant == "" and record.history.get("anticoagulant").state == "no"


def test_the_json_lines_patient_carries_each_answer_and_never_a_false_nobody_said(ctx: AppContext) -> None:
    import io
    import json

    from tpi_notes.services.exports import export_sessions

    doctor = setup_clinic(ctx)
    unasked = add_patient(ctx, mrn="U-1", birth_date=date(1996, 5, 1), history=_history())
    answered = add_patient(ctx, mrn="A-1", birth_date=date(1996, 5, 1), diabetes=True,
                           history=_history(allergies="no", pregnant="no", breastfeeding="no"))
    save_session(ctx, unasked.id, doctor, 1, syringe=(("lidocaine-1", 2.0),))
    signed = save_session(ctx, answered.id, doctor, 1, syringe=(("lidocaine-1", 2.0),))
    sign(ctx, signed, doctor)
    out = io.BytesIO()
    export_sessions(ctx, "jsonl", out)
    rows = {r["patient"]["mrn"]: r["patient"] for r in map(json.loads, out.getvalue().decode().splitlines())}
    u, a = rows["U-1"], rows["A-1"]
    assert (u["diabetes"], u["pregnant"], u["breastfeeding"]) == (None, None, None)
    assert {item: v["state"] for item, v in u["history"].items()} == dict.fromkeys(
        ("allergies", "anticoagulant", "bleeding_disorder", "diabetes", "pregnant", "breastfeeding",
         "immunosuppressed", "implanted_device"), "unknown")
    assert (a["diabetes"], a["pregnant"], a["breastfeeding"]) == (True, False, False)
    assert a["history"]["allergies"]["state"] == "no" and a["history"]["allergies"]["recorded_by"] == ctx.actor
    assert a["history"]["diabetes"]["recorded_at"] is not None


def test_an_unasked_question_the_plan_makes_matter_gives_a_warning_not_silence() -> None:
    """Diabetes never asked with a corticosteroid, a device never asked with e-stim: a warning to ask, where the
    old rules read the unanswered question as "no" and said nothing."""
    from rule_helpers import ATLAS, FORMULARY, START, EStim, draft, patient, site, syringe

    from tpi_notes.domain.rules import rules_for
    from tpi_notes.domain.safety import SafetyInput, evaluate

    def found(d, p):  # noqa: ANN001, ANN202
        return {(f.code, f.subject) for f in evaluate(SafetyInput(p, d, FORMULARY, ATLAS, rules_for(START.date()),
                                                                  (), 200.0))}

    steroid = draft([site(1, "gluteus_maximus", "R", ml=5.0)], [syringe(("lidocaine-1", 4.0), ("triamcinolone-40", 1.0))])
    lidocaine = draft([site(1, "gluteus_maximus", "R", ml=5.0)], [syringe(("lidocaine-1", 5.0))])
    estim = draft([replace(site(1, "gluteus_maximus", "R", "dry_needling", ml=None), needles_in=1, needles_out=1,
                           estim=EStim(2.0, 250.0, 8.0, 15.0, True))], [])
    assert ("history_not_recorded", "diabetes") in found(steroid, patient(history=_history()))
    assert ("history_not_recorded", "diabetes") not in found(steroid, patient(history=_history(diabetes="no")))
    assert ("history_not_recorded", "diabetes") not in found(lidocaine, patient(history=_history()))
    assert ("history_not_recorded", "implanted_device") in found(estim, patient(history=_history()))
    assert ("history_not_recorded", "implanted_device") not in found(
        estim, patient(history=_history(implanted_device="no")))
