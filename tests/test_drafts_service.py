"""Saving drafts through the service layer: exact round trip, refusals, concurrency, copy-forward, templates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from principals import ALL_PERMISSIONS

from tpi_notes.anatomy import load_atlas
from tpi_notes.domain.draft import DEFAULT_RISKS, NEAR_LUNG_RISK, STEROID_RISKS
from tpi_notes.domain.errors import ConcurrentEditError, NotFoundError, ValidationError
from tpi_notes.domain.patient import PatientInput
from tpi_notes.domain.session import Component, Diagnosis, EStim, ExamFinding, Preparation
from tpi_notes.domain.sites import place_site
from tpi_notes.services import drafts, patients, staff
from tpi_notes.services.clinic import list_lots
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.demo import build_demo


@pytest.fixture
def clinic(ctx: AppContext) -> tuple[AppContext, int, int]:
    doctor = staff.add_staff(ctx, "Amelia Hart", "MD", ("physician",))
    patient = patients.create_patient(ctx, PatientInput(mrn="P1", family_name="Ødegård", given_name="Øyvind",
                                                        birth_date=date(1970, 5, 1), weight_kg=80.0))
    return ctx, patient.id, doctor.id


def region(muscle_id: str, view: str, side: str):  # noqa: ANN201
    return next(r for r in load_atlas().regions if (r.muscle_id, r.view, r.side) == (muscle_id, view, side))


def full_draft(ctx: AppContext, patient_id: int, doctor_id: int):  # noqa: ANN201
    atlas = load_atlas()
    draft = drafts.new_draft(ctx, patient_id)
    sites = []
    for n, (muscle, side) in enumerate([("upper_trapezius", "R"), ("upper_trapezius", "L"),
                                        ("levator_scapulae", "R")], start=1):
        reg = region(muscle, "posterior", side)
        sites.append(replace(place_site(atlas, "posterior", *reg.anchor, n), preparation_label="A", volume_ml=1.0,
                             needle="25 G × 1.5 in", aspiration=True, passes=3, twitch=True, note="tender <band>"))
    reg = region("gluteus_medius", "posterior", "L")
    sites.append(replace(place_site(atlas, "posterior", *reg.anchor, 4, "dry_needling"), needle="0.30 × 50 mm",
                         needles_in=2, needles_out=2, dwell_minutes=10.0, twitch=False,
                         estim=EStim(2.0, 250.0, 8.0, 15.0, True)))
    lot = next(x for x in list_lots(ctx) if x.item_code == "lidocaine-1") if list_lots(ctx) else None
    start = datetime(2026, 11, 2, 9, 30)
    return replace(
        draft, performed_start=start, performed_end=start + timedelta(minutes=25), location="Room 2",
        physician_id=doctor_id, indication="Neck pain for 6 months", conservative_care="PT 8 weeks",
        diagnoses=(Diagnosis("M79.12", ""), Diagnosis("M54.2", "")), consent_type="written",
        consent_risks=DEFAULT_RISKS + (NEAR_LUNG_RISK, *STEROID_RISKS),  # what trapezius and triamcinolone carry
        exam_findings=(ExamFinding(sites[0].region_code, taut_band=True, referred_pain=True,
                                   muscle_id=sites[0].muscle_id, side=sites[0].side),),
        timeout_done=True, timeout_at=start + timedelta(minutes=2), position="Prone", pain_before=7, pain_after=3,
        relief_pct=57, complications="None", tolerance="Tolerated well", blood_loss="Minimal",
        observation_minutes=15, respiratory_check="No dyspnea", disposition="Home", follow_up="6 weeks",
        comments="& all good", sites=tuple(sites),
        preparations=(Preparation("A", (Component("lidocaine-1", 4.0, lot.lot_number if lot else ""),
                                        Component("triamcinolone-40", 1.0))),),
    )


def test_a_draft_round_trips_exactly(clinic) -> None:  # noqa: ANN001
    ctx, patient_id, doctor_id = clinic
    draft = full_draft(ctx, patient_id, doctor_id)
    saved = drafts.save_draft(ctx, draft)
    assert saved.id is not None and saved.row_version == 1
    again = drafts.get_draft(ctx, saved.id)
    expected = replace(draft, id=saved.id, row_version=1,
                       diagnoses=(Diagnosis("M79.12", "Myalgia of auxiliary muscles, head and neck"),
                                  Diagnosis("M54.2", "Cervicalgia")))
    assert again == expected
    assert again.sites[3].estim == EStim(2.0, 250.0, 8.0, 15.0, True)


INVALID = [
    (lambda d: replace(d, pain_before=11), "pain_before"),
    (lambda d: replace(d, pain_after=-1), "pain_after"),
    (lambda d: replace(d, performed_end=d.performed_start - timedelta(minutes=1)), "performed_end"),
    (lambda d: replace(d, diagnoses=(Diagnosis("M54.5", "Low back pain"),)), "diagnoses"),
    (lambda d: replace(d, diagnoses=(Diagnosis("XYZ.99", ""),)), "diagnoses"),
    (lambda d: replace(d, sites=(replace(d.sites[0], volume_ml=-0.5),) + d.sites[1:]), "sites[1].volume_ml"),
    (lambda d: replace(d, sites=(replace(d.sites[0], volume_ml=250.0),) + d.sites[1:]), "sites[1].volume_ml"),
    (lambda d: replace(d, preparations=(Preparation("A", (Component("lidocaine-1", 0.0),)),)),
     "preparations[A].0.volume_ml"),
    (lambda d: replace(d, preparations=(Preparation("A", (Component("lidocaine-1", 1.0),)),)), "preparations[A]"),
    (lambda d: replace(d, sites=d.sites[:3] + (replace(d.sites[3], estim=EStim(5000, 250, 8, 15, True)),)),
     "sites[4].estim.frequency_hz"),
    (lambda d: replace(d, assistant_id=987654), "assistant_id"),  # no such user: once a raw IntegrityError
    (lambda d: replace(d, physician_id=987654), "physician_id"),
]


@pytest.mark.parametrize("spoil,field", INVALID)
def test_invalid_drafts_are_refused_at_the_field_and_nothing_is_written(clinic, spoil, field) -> None:  # noqa: ANN001
    ctx, patient_id, doctor_id = clinic
    with pytest.raises(ValidationError) as err:
        drafts.save_draft(ctx, spoil(full_draft(ctx, patient_id, doctor_id)))
    assert field in err.value.errors, err.value.errors
    assert patients.list_patient_sessions(ctx, patient_id) == []


def test_expired_lot_is_refused(tmp_path) -> None:  # noqa: ANN001
    ctx = open_clinic(str(tmp_path / "demo.db"), principal=ALL_PERMISSIONS)
    build_demo(ctx, patients=3, sessions=3, seed=1)
    expired = next(x for x in list_lots(ctx) if x.item_code == "lidocaine-1" and x.expiry < date(2026, 1, 1))
    doctor = staff.list_staff(ctx, "physician")[0]
    draft = full_draft(ctx, 1, doctor.id)
    draft = replace(draft, preparations=(Preparation("A", (Component("lidocaine-1", 5.0, expired.lot_number),)),))
    with pytest.raises(ValidationError) as err:
        drafts.save_draft(ctx, draft)
    assert "expired" in err.value.errors["preparations[A].0.lot_number"]
    ctx.close()


def test_two_workstations_cannot_overwrite_each_other(clinic, db_path) -> None:  # noqa: ANN001
    ctx, patient_id, doctor_id = clinic
    saved = drafts.save_draft(ctx, full_draft(ctx, patient_id, doctor_id))
    other = open_clinic(str(db_path), principal=ALL_PERMISSIONS)
    try:
        mine, theirs = drafts.get_draft(ctx, saved.id), drafts.get_draft(other, saved.id)
        drafts.save_draft(other, replace(theirs, comments="saved on workstation 2"))
        with pytest.raises(ConcurrentEditError):
            drafts.save_draft(ctx, replace(mine, comments="saved on workstation 1"))
        assert drafts.get_draft(ctx, saved.id).comments == "saved on workstation 2"
    finally:
        other.close()


def test_copy_forward_takes_muscles_syringes_technique_not_scores(clinic) -> None:  # noqa: ANN001
    ctx, patient_id, doctor_id = clinic
    first = drafts.save_draft(ctx, full_draft(ctx, patient_id, doctor_id))
    fresh = drafts.new_draft(ctx, patient_id)
    copied = drafts.copy_forward(ctx, fresh)
    assert [(s.muscle_id, s.side, s.technique) for s in copied.sites] == \
        [(s.muscle_id, s.side, s.technique) for s in first.sites]
    assert copied.preparations[0].components[0].item_code == "lidocaine-1"
    assert (copied.pain_before, copied.pain_after, copied.exam_findings) == (None, None, ())
    assert copied.consent_type == first.consent_type and "consent_type" in copied.carried_fields  # to confirm
    assert copied.id is None


def test_copy_forward_without_history_says_so(clinic) -> None:  # noqa: ANN001
    ctx, patient_id, _ = clinic
    with pytest.raises(NotFoundError):
        drafts.copy_forward(ctx, drafts.new_draft(ctx, patient_id))


def test_templates_append_sites_after_existing_ones(clinic) -> None:  # noqa: ANN001
    ctx, patient_id, doctor_id = clinic
    draft = full_draft(ctx, patient_id, doctor_id)
    template = drafts.save_template(ctx, "Neck, lidocaine + triamcinolone", "", draft)
    assert [t.name for t in drafts.list_templates(ctx)] == ["Neck, lidocaine + triamcinolone"]
    applied = drafts.apply_template(ctx, template.id, draft)
    assert [s.number for s in applied.sites] == list(range(1, 9))
    assert [p.label for p in applied.preparations] == ["A", "B"]
    assert {s.preparation_label for s in applied.sites[4:] if s.technique == "injection"} == {"B"}
    assert all(c.lot_number == "" for c in applied.preparations[1].components)


def test_an_assistant_who_is_neither_nurse_nor_physician_is_refused(clinic) -> None:  # noqa: ANN001
    ctx, patient_id, doctor_id = clinic
    clerk = staff.add_staff(ctx, "Front Desk", "", ("admin",))
    with pytest.raises(ValidationError) as err:
        drafts.save_draft(ctx, replace(full_draft(ctx, patient_id, doctor_id), assistant_id=clerk.id))
    assert "assistant_id" in err.value.errors
    nurse = staff.add_staff(ctx, "Nora Nurse", "RN", ("nurse",))
    saved = drafts.save_draft(ctx, replace(full_draft(ctx, patient_id, doctor_id), assistant_id=nurse.id))
    assert drafts.get_draft(ctx, saved.id).assistant_id == nurse.id
