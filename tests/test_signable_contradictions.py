"""No signable contradictions (issue 13, Build item 4): a "not indicated" respiratory check with muscles over
the lung, risks the app knows apply left unticked without a reason, a time-out timed before the start."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from rule_helpers import ATLAS, FORMULARY, START, draft, patient, site, syringe
from test_report_support import add_patient, flat, pdf_pages, session_draft, setup_clinic, sign

from tpi_notes.domain.completeness import missing_for_signing
from tpi_notes.domain.draft import DEFAULT_RISKS, NEAR_LUNG_RISK, STEROID_RISKS
from tpi_notes.domain.findings import FindingOverride
from tpi_notes.domain.rules import rules_for
from tpi_notes.domain.safety import SafetyInput, evaluate
from tpi_notes.services import documents, drafts
from tpi_notes.services.assessment import assess
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo
from tpi_notes.services.signing import NotReadyToSign

NOT_INDICATED = "Not indicated: no muscle over the lung treated"  # the editor's own pick-list wording


def findings(d):  # noqa: ANN001, ANN201
    return evaluate(SafetyInput(patient(), d, FORMULARY, ATLAS, rules_for(START.date())))


def lung(**over: object):  # noqa: ANN201 - right upper trapezius (over the lung), lidocaine only
    return draft([site(1, "upper_trapezius", "R")], [syringe(("lidocaine-1", 1.0))], **over)


@pytest.mark.parametrize("text", [NOT_INDICATED, "not indicated", "N/A", "Not required"])
def test_not_indicated_respiratory_check_is_missing_at_its_field_when_a_muscle_is_over_the_lung(text: str) -> None:
    missing = missing_for_signing(lung(respiratory_check=text), [], ATLAS)
    [item] = [m for m in missing if m.field == "respiratory_check"]
    assert "over the lung" in item.message and "not indicated" in item.message.lower()


def test_a_recorded_check_or_no_lung_site_makes_not_indicated_acceptable() -> None:
    done = lung(respiratory_check="Breath sounds equal, no shortness of breath")
    assert not [m for m in missing_for_signing(done, [], ATLAS) if m.field == "respiratory_check"]
    buttock = draft([site(1, "gluteus_maximus", "R")], [syringe(("lidocaine-1", 1.0))], respiratory_check=NOT_INDICATED)
    assert not [m for m in missing_for_signing(buttock, [], ATLAS) if m.field == "respiratory_check"]


def test_applicable_risks_left_unticked_are_overridable_stops() -> None:
    steroid = draft([site(1, "upper_trapezius", "R", ml=2.0)],
                    [syringe(("lidocaine-1", 1.0), ("triamcinolone-40", 1.0))], consent_risks=DEFAULT_RISKS)
    open_risks = {f.subject: f for f in findings(steroid) if f.code == "risk_not_discussed"}
    assert set(open_risks) == {NEAR_LUNG_RISK, *STEROID_RISKS}
    assert all(f.severity == "stop" and f.overridable and f.blocks_signing for f in open_risks.values())
    ticked = replace(steroid, consent_risks=DEFAULT_RISKS + (NEAR_LUNG_RISK, *STEROID_RISKS))
    assert not [f for f in findings(ticked) if f.code == "risk_not_discussed"]
    plain = draft([site(1, "gluteus_maximus", "R")], [syringe(("lidocaine-1", 1.0))], consent_risks=DEFAULT_RISKS)
    assert not [f for f in findings(plain) if f.code == "risk_not_discussed"]


def test_time_out_recorded_before_the_start_is_a_warning() -> None:
    early = [f for f in findings(lung(timeout_at=START - timedelta(minutes=20))) if f.code == "timeout_before_start"]
    assert [f.severity for f in early] == ["warn"]
    assert "09:40" in early[0].message and "10:00" in early[0].message
    assert not [f for f in findings(lung(timeout_at=START)) if f.code == "timeout_before_start"]
    assert not [f for f in findings(lung(timeout_at=START + timedelta(minutes=3))) if f.code == "timeout_before_start"]


# -- through the services -------------------------------------------------------------------------------------
@pytest.fixture
def signer(ctx: AppContext) -> tuple[AppContext, int, int]:
    doctor = setup_clinic(ctx)
    # allergies recorded (and not to any agent used): the history is reviewed, only this file's items are open
    return ctx, add_patient(ctx, allergies=("penicillin",)).id, doctor


def test_signing_refuses_not_indicated_with_lung_sites_and_names_the_field(signer) -> None:  # noqa: ANN001
    ctx, patient_id, doctor = signer
    saved = drafts.save_draft(ctx, session_draft(ctx, patient_id, doctor, respiratory_check=NOT_INDICATED))
    with pytest.raises(NotReadyToSign) as refused:
        sign(ctx, saved.id, doctor)  # type: ignore[arg-type]
    assert [m.field for m in refused.value.missing] == ["respiratory_check"]


def test_saving_pre_ticks_the_risks_the_sites_and_agents_carry(signer) -> None:  # noqa: ANN001
    ctx, patient_id, doctor = signer
    # upper trapezius (over the lung) and a lidocaine + triamcinolone syringe, risks left at the defaults
    saved = drafts.save_draft(ctx, session_draft(ctx, patient_id, doctor, consent_risks=DEFAULT_RISKS))
    assert saved.consent_risks == DEFAULT_RISKS + (NEAR_LUNG_RISK, *STEROID_RISKS)
    lidocaine_buttock = session_draft(ctx, patient_id, doctor, consent_risks=DEFAULT_RISKS,
                                      muscles=[("gluteus_maximus", "posterior", "R")], n_sites=1,
                                      syringe=(("lidocaine-1", 2.0),))
    assert drafts.save_draft(ctx, lidocaine_buttock).consent_risks == DEFAULT_RISKS


def test_an_unticked_applicable_risk_needs_a_reason_to_sign_and_the_reason_prints(signer) -> None:  # noqa: ANN001
    ctx, patient_id, doctor = signer
    saved = drafts.save_draft(ctx, session_draft(ctx, patient_id, doctor, consent_risks=DEFAULT_RISKS))
    unticked = drafts.save_draft(ctx, replace(saved, consent_risks=DEFAULT_RISKS + STEROID_RISKS))
    assert NEAR_LUNG_RISK not in unticked.consent_risks  # not ticked again behind the physician's back
    with pytest.raises(NotReadyToSign) as refused:
        sign(ctx, saved.id, doctor)  # type: ignore[arg-type]
    assert [m.field for m in refused.value.missing] == [f"finding:risk_not_discussed:{NEAR_LUNG_RISK}"]
    reason = "Needle aimed onto the spine of the scapula, away from the pleura; discussed at the last visit."
    drafts.save_draft(ctx, replace(unticked, overrides=(FindingOverride("risk_not_discussed", NEAR_LUNG_RISK,
                                                                        reason),)))
    sign(ctx, saved.id, doctor)  # type: ignore[arg-type]
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, saved.id))))  # type: ignore[arg-type]
    assert "Pneumothorax" in text and flat(f"Overridden: {reason}") in text


def test_the_demo_ticks_the_risks_its_sites_and_agents_carry(ctx: AppContext) -> None:
    build_demo(ctx, patients=8, sessions=60, seed=5)
    checked = 0
    for session_id in range(1, 61):
        draft = drafts.get_draft(ctx, session_id)
        open_risks = [f for f in assess(ctx, draft).findings if f.code == "risk_not_discussed"]
        assert not open_risks, (session_id, draft.consent_risks)
        checked += any(c.item_code.startswith(("triamcinolone", "methylprednisolone", "dexamethasone"))
                       for p in draft.preparations for c in p.components)
    assert checked  # the demo has corticosteroid sessions, so the steroid risks were exercised
