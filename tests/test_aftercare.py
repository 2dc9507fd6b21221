"""The aftercare sheet: the library (reading level, the same blocks in every language), the blocks chosen
for a session (table-driven, no database), the PDF, and the library version recorded."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
import textstat
from test_report_support import add_patient, flat, pdf_pages, save_session, setup_clinic, sign

from tpi_notes.anatomy import load_atlas
from tpi_notes.domain.aftercare import AftercareDoc, compose_aftercare, load_library, parse_library
from tpi_notes.domain.clinic import ClinicInfo
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.formulary import load_default_formulary
from tpi_notes.domain.patient import PatientRecord
from tpi_notes.domain.session import Component, EStim, Preparation, SessionRecord
from tpi_notes.domain.sites import place_site, with_muscle

ATLAS = load_atlas()
FORMULARY = {item.code: item for item in load_default_formulary().items}
LIBRARY = load_library()
CLINIC = ClinicInfo("Harbor Clinic", "1 Main St", "(555) 010-2000", "(555) 010-9999", strenuous_activity_hours=48)
PATIENT = PatientRecord(mrn="M1", family_name="Lee", given_name="Ann", birth_date=date(1970, 1, 1), id=1)
CONDITIONAL = ("numbness", "steroid", "blood_sugar", "bleeding", "needling", "breastfeeding", "breathing")
ALWAYS = ("what_was_done", "normal", "activity", "ice_heat", "pain_relief", "call_clinic", "call_911", "follow_up",
          "pain_diary", "contact")


def _site(number: int, muscle: str, side: str = "R", technique: str = "injection", estim: bool = False,
          deep: str | None = None):  # noqa: ANN202
    region = next(r for r in ATLAS.regions if (r.muscle_id, r.side) == (muscle, side))
    site = place_site(ATLAS, region.view, *region.anchor, number, technique)
    if deep:
        site = with_muscle(site, next(d for d in region.deep if d.muscle_id == deep))
    if technique == "injection":
        return replace(site, preparation_label="A", volume_ml=1.0)
    return replace(site, estim=EStim(2, 250, 8, 15, True) if estim else None)


def _session(sites: list, syringe: tuple[str, ...] = ("lidocaine-1",), follow_up: str = "") -> SessionRecord:
    prep = Preparation("A", tuple(Component(code, 2.0) for code in syringe))
    return SessionRecord(id=7, patient_id=1, status="draft", performed_start=datetime(2026, 11, 2, 9, 30),
                         performed_end=None, physician_id=1, physician="Dr", atlas_version=ATLAS.version,
                         preparations=(prep,) if syringe else (), sites=tuple(sites), follow_up=follow_up)


GLUTE = [_site(1, "gluteus_medius")]
CASES = [
    # name, session, patient changes, blocks expected among the conditional ones
    ("local anesthetic, glute", _session(GLUTE), {}, {"numbness"}),
    ("steroid, not diabetic", _session(GLUTE, ("lidocaine-1", "triamcinolone-40")), {}, {"numbness", "steroid"}),
    ("steroid and diabetes", _session(GLUTE, ("lidocaine-1", "triamcinolone-40")), {"diabetes": True},
     {"numbness", "steroid", "blood_sugar"}),
    ("diabetes without steroid", _session(GLUTE), {"diabetes": True}, {"numbness"}),
    ("saline only", _session(GLUTE, ("saline-0.9",)), {}, set()),
    ("anticoagulant", _session(GLUTE), {"anticoagulant": "apixaban"}, {"numbness", "bleeding"}),
    ("bleeding disorder", _session(GLUTE), {"bleeding_disorder": True}, {"numbness", "bleeding"}),
    ("near-lung muscle", _session([_site(1, "upper_trapezius")]), {}, {"numbness", "breathing"}),
    ("deep near-lung muscle", _session([_site(1, "sternocleidomastoid", deep="scalenus_anterior")]), {},
     {"numbness", "breathing"}),
    ("dry needling", _session([_site(1, "gluteus_medius", technique="dry_needling")], ()), {}, {"needling"}),
    ("dry needling with e-stim", _session([_site(1, "gluteus_medius", technique="dry_needling", estim=True)], ()),
     {}, {"needling"}),
    ("breastfeeding, local anesthetic only", _session(GLUTE), {"breastfeeding": True, "sex": "female"},
     {"numbness", "breastfeeding"}),
    ("breastfeeding with a steroid", _session(GLUTE, ("lidocaine-1", "triamcinolone-40")),
     {"breastfeeding": True, "sex": "female"}, {"numbness", "steroid"}),
]


def _compose(session: SessionRecord, patient: PatientRecord = PATIENT, clinic: ClinicInfo = CLINIC,
             lang: str = "en") -> AftercareDoc:
    return compose_aftercare(session, patient, clinic, FORMULARY, ATLAS, LIBRARY, lang)


def _library_text(lang: str) -> str:
    """Every block and every item of the library, conditions ignored, placeholders filled."""
    values = {"hours": 24, "phone": "(555) 010-2000", "after_hours": "(555) 010-9999", "clinic": "the clinic",
              "agents": "numbing medicine, salt water and a steroid to calm the swelling",
              "follow_up": "Come back in six weeks."}
    text = LIBRARY.text(lang)
    lines = []
    for block in text["blocks"]:
        lines.append(block["heading"].rstrip(":?.") + ".")
        lines += [i["text"].format(**values) for i in block["items"] if "text" in i]
    return "\n".join(line if line.endswith((".", ":", "?")) else line + "." for line in lines)


@pytest.mark.parametrize(("name", "session", "changes", "expected"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_conditional_blocks_appear_exactly_when_they_apply(name: str, session: SessionRecord, changes: dict,
                                                           expected: set[str], lang: str) -> None:
    doc = _compose(session, replace(PATIENT, **changes), lang=lang)
    assert {b for b in CONDITIONAL if doc.block(b)} == expected, name
    assert set(ALWAYS) <= set(doc.block_ids)
    assert list(doc.block_ids) == [b for b in LIBRARY.block_ids(lang) if b in doc.block_ids]  # library order


def test_items_follow_the_session() -> None:
    plain = _compose(_session(GLUTE)).plain_text()
    assert "You can also take ibuprofen" in plain and "Do not take ibuprofen" not in plain
    thinner = _compose(_session(GLUTE), replace(PATIENT, anticoagulant="warfarin")).plain_text()
    assert "Do not take ibuprofen (Advil), naproxen (Aleve) or aspirin" in thinner
    assert "You can also take ibuprofen" not in thinner and "blood thinner the way" in thinner
    disorder = _compose(_session(GLUTE), replace(PATIENT, bleeding_disorder=True)).plain_text()
    assert "Do not take ibuprofen" in disorder and "blood thinner" not in disorder
    assert "for 48 hours" in plain  # the clinic's strenuous-activity hours
    assert "for 24 hours" in _compose(_session(GLUTE), clinic=replace(CLINIC, strenuous_activity_hours=0)).plain_text()
    assert "What we put in: numbing medicine." in plain and "Side of the hip (right side)" in plain
    mixed = _compose(_session(GLUTE, ("lidocaine-1", "saline-0.9", "triamcinolone-40"))).plain_text()
    assert "What we put in: numbing medicine, salt water and a steroid to calm the swelling." in mixed
    needles = _compose(_session([_site(1, "gluteus_medius", technique="dry_needling", estim=True),
                                 _site(2, "gluteus_medius", "L", technique="dry_needling")], ())).plain_text()
    assert "We used thin needles only. No medicine went in." in needles and "What we put in" not in needles
    assert "mild electric current" in needles and "Side of the hip (both sides)" in needles
    lung = _compose(_session([_site(1, "upper_trapezius")])).block("breathing")
    assert lung is not None and lung.alert
    words = " ".join(i.text for i in lung.items)
    assert "emergency room" in words and "hours or even days later" in words and "Call 911" in words
    no_after_hours = _compose(_session(GLUTE), clinic=replace(CLINIC, after_hours_phone="")).plain_text()
    assert "After hours" not in no_after_hours and "(555) 010-9999" not in no_after_hours
    assert "Note from your care team" not in plain
    # The clinician's free-text follow-up never reaches the sheet; the patient's follow-up does (library v2).
    back = _compose(replace(_session(GLUTE, follow_up="Back in 6 weeks"), follow_up_in="2w")).plain_text()
    assert "Back in 6 weeks" not in back and "Come back to see us in about 2 weeks." in back


def test_english_text_reads_at_grade_seven_or_below() -> None:
    textstat.set_lang("en_US")
    grade = textstat.flesch_kincaid_grade(_library_text("en"))
    assert grade <= 7.0, grade
    # a real sheet with every conditional block that can go together
    doc = _compose(_session([_site(1, "upper_trapezius"), _site(2, "gluteus_medius", technique="dry_needling",
                                                                 estim=True)], ("lidocaine-1", "triamcinolone-40")),
                   replace(PATIENT, diabetes=True, anticoagulant="apixaban"))
    assert textstat.flesch_kincaid_grade(doc.plain_text()) <= 7.0


def test_spanish_text_is_easy_to_read() -> None:
    try:
        textstat.set_lang("es")
        # Fernández-Huerta: 70-80 "fairly easy" (about 7th grade), 80-90 "easy", above 90 "very easy".
        assert textstat.fernandez_huerta(_library_text("es")) >= 75
    finally:
        textstat.set_lang("en_US")


def test_every_language_has_the_same_blocks_and_every_muscle_in_plain_words() -> None:
    assert set(LIBRARY.languages) == {"en", "es"}
    assert LIBRARY.block_ids("es") == LIBRARY.block_ids("en")
    muscles = {r.muscle_id for r in ATLAS.regions} | {d.muscle_id for r in ATLAS.regions for d in r.deep}
    for lang in LIBRARY.languages:
        assert muscles <= set(LIBRARY.text(lang)["muscles"]), lang
        assert set(LIBRARY.text(lang)["labels"]) == set(LIBRARY.text("en")["labels"])


def test_a_library_whose_languages_differ_is_refused() -> None:
    import copy
    import json

    raw = json.loads((__import__("tpi_notes.paths").paths.resources_dir() / "aftercare" / "aftercare-1.json")
                     .read_text(encoding="utf-8"))
    broken = copy.deepcopy(raw)
    broken["languages"]["es"]["blocks"].pop()
    with pytest.raises(ValueError, match="same blocks"):
        parse_library(broken)
    unknown = copy.deepcopy(raw)
    unknown["languages"]["en"]["blocks"][0]["when"] = "moon_phase"
    with pytest.raises(ValueError, match="moon_phase"):
        parse_library(unknown)


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValidationError, match="no language 'fr'"):
        _compose(_session(GLUTE), lang="fr")


# -- the PDF, through the service -------------------------------------------------------------------------

def test_the_pdf_carries_the_blocks_that_apply_and_the_library_version(ctx) -> None:  # noqa: ANN001
    doctor = setup_clinic(ctx)
    at_risk = add_patient(ctx, diabetes=True, anticoagulant="apixaban")
    plain = add_patient(ctx, family="Smith", given="Jo", mrn="P-2")
    from tpi_notes.services.documents import aftercare_pdf

    lung = save_session(ctx, at_risk.id, doctor, 3)  # upper trapezius, levator scapulae: near the lung
    text = flat("\n".join(pdf_pages(aftercare_pdf(ctx, lung))))
    for heading in ("Watch your breathing", "Bleeding", "Blood sugar", "About the steroid", "Numbness",
                    "Call 911 right away", "(555) 010-2000", "(555) 010-9999", f"Aftercare sheet version {LIBRARY.version}"):
        assert heading in text
    glute = save_session(ctx, plain.id, doctor, 1, muscles=[("gluteus_medius", "posterior", "L")],
                         syringe=(("lidocaine-1", 2.0),))
    text = flat("\n".join(pdf_pages(aftercare_pdf(ctx, glute))))
    assert "Numbness" in text and "Side of the hip (left side)" in text
    for absent in ("Watch your breathing", "You bleed more easily", "Blood sugar", "About the steroid",
                   "After dry needling"):
        assert absent not in text


def test_language_defaults_to_the_patients(ctx) -> None:  # noqa: ANN001
    from tpi_notes.services.documents import aftercare_pdf

    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, family="García", given="José", language="es", sex="male")
    session_id = save_session(ctx, patient.id, doctor, 2)
    spanish = flat("\n".join(pdf_pages(aftercare_pdf(ctx, session_id))))
    assert "Cuidados después de su tratamiento" in spanish and "Página 1 de" in spanish
    assert "García, José · DOB 1961-03-09" in spanish
    english = flat("\n".join(pdf_pages(aftercare_pdf(ctx, session_id, "en"))))
    assert "Care after your trigger point treatment" in english


def test_the_version_is_recorded_on_a_draft_and_never_on_a_signed_session(ctx) -> None:  # noqa: ANN001
    from sqlalchemy import select

    from tpi_notes.db.models import AuditEvent
    from tpi_notes.domain.signing import record_sha256
    from tpi_notes.services.documents import aftercare_pdf, set_aftercare_version
    from tpi_notes.services.drafts import get_draft
    from tpi_notes.services.sessions import get_session

    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    draft_id = save_session(ctx, patient.id, doctor, 2)
    version_before = get_draft(ctx, draft_id).row_version
    assert set_aftercare_version(ctx, draft_id, "0") is True
    assert get_session(ctx, draft_id).aftercare_version == "0"
    aftercare_pdf(ctx, draft_id)
    assert get_session(ctx, draft_id).aftercare_version == LIBRARY.version
    assert get_draft(ctx, draft_id).row_version == version_before  # an open editor is not disturbed
    sign(ctx, draft_id, doctor)  # the signature covers the recorded version
    signed = get_session(ctx, draft_id)
    assert signed.aftercare_version == LIBRARY.version and record_sha256(signed) == signed.content_sha256

    other = save_session(ctx, patient.id, doctor, 2)
    sign(ctx, other, doctor)
    aftercare_pdf(ctx, other, "es", large_print=True)
    after = get_session(ctx, other)
    assert after.aftercare_version == "" and record_sha256(after) == after.content_sha256
    assert set_aftercare_version(ctx, other, "1") is False
    with ctx.transaction() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "print")
                          .order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.entity_id == other
    assert f"library version {LIBRARY.version}" in event.detail and "signed session unchanged" in event.detail
    assert "es" in event.detail and "large print" in event.detail
