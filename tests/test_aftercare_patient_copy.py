"""The patient's copy (issue 13 item 6): the follow-up in the patient's language and never the clinician's free
text; "your right / your left" on the patient's own side of each view; markers numbered as the list of places;
the picture's words and numbers larger in large print; and the note showing when, in which language and by whom
the sheet was printed, even when that was after signing (with every signature still verifying)."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from test_report_support import (
    START,
    add_patient,
    flat,
    pdf_pages,
    save_session,
    session_draft,
    setup_clinic,
    sign,
)

from tpi_notes.domain.aftercare import load_library
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.signing import record_content, record_sha256
from tpi_notes.services import drafts
from tpi_notes.services.context import AppContext
from tpi_notes.services.documents import aftercare_pdf, procedure_note_pdf
from tpi_notes.services.integrity import verify_database
from tpi_notes.services.sessions import get_session

CLINICIAN_TEXT = "Reassess trigger points in six weeks; consider physiotherapy referral"
# Right-side sites on both views, and the left deltoid (same place as the right one: one number, two markers).
SITES = [("deltoid", "anterior", "R"), ("infraspinatus", "posterior", "R"), ("deltoid", "anterior", "L")]
LABEL_FONT = "Helvetica-Bold"


@dataclass(frozen=True)
class Run:
    text: str
    x: float
    y: float
    size: float
    font: str

    @property
    def centre(self) -> float:
        return self.x + stringWidth(self.text, LABEL_FONT, self.size) / 2


def runs(pdf: bytes, page: int = 0) -> list[Run]:
    """Every text run of a page with its position and effective size (text matrix x graphics matrix)."""
    out: list[Run] = []

    def visit(text: str, cm: list, tm: list, font: dict | None, size: float) -> None:
        if not text.strip() or font is None:
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[3] * cm[3] + tm[2] * cm[1]) or 1.0
        out.append(Run(text.strip(), x, y, size * scale, str(font.get("/BaseFont", ""))))

    PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return out


def _drawing_runs(pdf: bytes, page: int = 0) -> list[Run]:
    """The picture's words and numbers (the body diagram draws in Helvetica; the sheet's text is DejaVu)."""
    return [r for r in runs(pdf, page) if "Helvetica" in r.font]


def _session(ctx: AppContext, language: str = "es", **fields: object) -> tuple[int, int]:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, family="García", given="Lucía", language=language)
    return doctor, save_session(ctx, patient.id, doctor, len(SITES), muscles=SITES, follow_up=CLINICIAN_TEXT,
                                **fields)


def test_the_spanish_sheet_never_prints_the_clinicians_english_follow_up(ctx: AppContext) -> None:
    _doctor, session_id = _session(ctx)
    spanish = flat("\n".join(pdf_pages(aftercare_pdf(ctx, session_id, "es"))))
    for word in CLINICIAN_TEXT.replace(";", "").split():
        if len(word) > 3:
            assert word not in spanish, word
    assert "Venga a su próxima visita como está planeado" in spanish  # no patient follow-up chosen: the usual line


@pytest.mark.parametrize(("lang", "expected"), [("es", "Vuelva a vernos en más o menos 2 semanas."),
                                                ("en", "Come back to see us in about 2 weeks.")])
def test_the_patient_follow_up_is_printed_in_the_sheets_language(ctx: AppContext, lang: str, expected: str) -> None:
    _doctor, session_id = _session(ctx, follow_up_in="2w")
    text = flat("\n".join(pdf_pages(aftercare_pdf(ctx, session_id, lang))))
    assert expected in text
    assert "Reassess" not in text and "physiotherapy" not in text  # not on the English sheet either


def test_a_dated_follow_up_is_worded_as_a_date_and_a_date_before_the_session_is_refused(ctx: AppContext) -> None:
    doctor, session_id = _session(ctx, follow_up_in="2026-11-23")
    assert "Su próxima visita es el 23 de noviembre de 2026." in flat(
        "\n".join(pdf_pages(aftercare_pdf(ctx, session_id, "es"))))
    draft = drafts.get_draft(ctx, session_id)
    with pytest.raises(ValidationError) as refused:
        drafts.save_draft(ctx, replace(draft, follow_up_in=(START.date() - timedelta(days=1)).isoformat()))
    assert "follow_up_in" in refused.value.errors
    with pytest.raises(ValidationError):
        drafts.save_draft(ctx, replace(draft, follow_up_in="soon"))


def test_every_language_words_every_follow_up_choice() -> None:
    from tpi_notes.domain.patient_follow_up import FOLLOW_UP_CHOICES

    library = load_library()
    for lang in library.languages:
        sentences = library.text(lang)["follow_up"]
        assert set(FOLLOW_UP_CHOICES) | {"date", "unset"} <= set(sentences), lang
        assert "{date}" in sentences["date"]
        assert {"your_right", "your_left", "front", "back"} <= set(library.text(lang)["diagram"])


@pytest.mark.parametrize(("lang", "right", "left"), [("en", "Your right", "Your left"),
                                                     ("es", "Su derecha", "Su izquierda")])
@pytest.mark.parametrize("large", [False, True])
def test_your_right_and_your_left_are_on_the_patients_own_side(ctx: AppContext, lang: str, right: str, left: str,
                                                               large: bool) -> None:
    _doctor, session_id = _session(ctx)
    drawn = _drawing_runs(aftercare_pdf(ctx, session_id, lang, large_print=large))
    labels = sorted((r for r in drawn if r.text in (right, left)), key=lambda r: r.centre)
    assert len(labels) == 4  # two labels over each view
    anterior, posterior = labels[:2], labels[2:]
    # Anterior: the patient faces us, so their right is on our left; posterior: their right is on our right.
    assert [r.text for r in anterior] == [right, left]
    assert [r.text for r in posterior] == [left, right]
    markers = [r for r in drawn if r.text.isdigit()]
    split = (anterior[1].centre + posterior[0].centre) / 2
    front = sorted((m for m in markers if m.x < split), key=lambda m: m.x)
    back = [m for m in markers if m.x > split]
    assert len(front) == 2 and len(back) == 1
    right_deltoid, right_infraspinatus = front[0], back[0]  # the patient's right deltoid is on our left
    for marker, (r_label, l_label) in ((right_deltoid, anterior), (right_infraspinatus, posterior[::-1])):
        assert abs(marker.x - r_label.centre) < abs(marker.x - l_label.centre)


def test_markers_carry_the_numbers_of_the_list_of_places(ctx: AppContext) -> None:
    _doctor, session_id = _session(ctx)
    pdf = aftercare_pdf(ctx, session_id, "en")
    text = flat(pdf_pages(pdf)[0])
    assert "1. Shoulder (both sides)" in text and "2. Shoulder blade (right side)" in text
    numbers = sorted(r.text for r in _drawing_runs(pdf) if r.text.isdigit())
    assert numbers == ["1", "1", "2"]  # both deltoids are place 1; the infraspinatus is place 2 (site 2)


def test_the_picture_grows_in_large_print(ctx: AppContext) -> None:
    _doctor, session_id = _session(ctx)

    def sizes(large: bool) -> dict[str, float]:
        drawn = _drawing_runs(aftercare_pdf(ctx, session_id, "en", large_print=large))
        return {kind: max(r.size for r in drawn if test(r.text)) for kind, test in (
            ("marker", str.isdigit), ("caption", lambda t: t in ("Front", "Back")),
            ("side", lambda t: t in ("Your right", "Your left")))}

    regular, large = sizes(False), sizes(True)
    for kind in ("marker", "caption", "side"):
        assert large[kind] > regular[kind] * 1.5, kind
    assert large["caption"] >= 18 and large["side"] >= 18 and large["marker"] >= 14
    assert regular["caption"] >= 8.5 and regular["marker"] >= 7.5  # readable on the regular sheet too


def test_a_note_printed_after_signing_shows_the_sheet_printed_after_signing(ctx: AppContext) -> None:
    doctor, session_id = _session(ctx, follow_up_in="6w")
    sign(ctx, session_id, doctor)
    signed = get_session(ctx, session_id)
    before = flat("\n".join(pdf_pages(procedure_note_pdf(ctx, session_id))))
    assert "Aftercare sheet not printed" in before
    aftercare_pdf(ctx, session_id, "es", large_print=True)
    aftercare_pdf(ctx, session_id, "en")
    note = flat("\n".join(pdf_pages(procedure_note_pdf(ctx, session_id))))
    today = date.today().isoformat()
    assert f"printed {today}" in note
    assert f"(Spanish, large print; text version 2) by {ctx.actor}" in note  # who printed it, from the audit event
    assert "(English; text version 2)" in note
    assert "Patient follow-up In 6 weeks" in note and "ALTERED" not in note
    after = get_session(ctx, session_id)
    assert after.content_sha256 == signed.content_sha256 and record_sha256(after) == after.content_sha256
    assert record_content(after) == record_content(signed)
    assert verify_database(ctx).ok


def test_the_follow_up_is_under_a_new_signature_only_when_set(ctx: AppContext) -> None:
    doctor, unset = _session(ctx)
    sign(ctx, unset, doctor)
    record = get_session(ctx, unset)
    assert "follow_up_in" not in record_content(record)["session"]  # as every signature made before it existed
    patient_id = record.patient_id
    dated = save_session(ctx, patient_id, doctor, 1, follow_up_in="3m")
    sign(ctx, dated, doctor)
    signed = get_session(ctx, dated)
    assert record_content(signed)["session"]["follow_up_in"] == "3m"
    assert record_sha256(signed) == signed.content_sha256
    assert record_sha256(replace(signed, follow_up_in="2w")) != signed.content_sha256  # a change would show


def test_the_session_builder_keeps_the_follow_up(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    assert session_draft(ctx, patient.id, doctor, 1, follow_up_in="as_needed").follow_up_in == "as_needed"


def test_the_json_lines_export_carries_the_patient_follow_up(ctx: AppContext, tmp_path) -> None:  # noqa: ANN001
    from export_fixtures import export, jsonl_sessions

    doctor, session_id = _session(ctx, follow_up_in="2027-01-05")
    sign(ctx, session_id, doctor)
    unset = save_session(ctx, get_session(ctx, session_id).patient_id, doctor, 1)
    by_id = {e["session_id"]: e for e in jsonl_sessions(export(ctx, "jsonl", tmp_path))}
    assert by_id[session_id]["follow_up_in"] == "2027-01-05"
    assert by_id[session_id]["follow_up"] == CLINICIAN_TEXT  # the clinician's text stays in the record
    assert by_id[unset]["follow_up_in"] == ""


def test_the_note_names_the_nurse_who_printed_the_sheet(ctx: AppContext) -> None:
    from tpi_notes.domain.permissions import Principal
    from tpi_notes.services import staff

    doctor, session_id = _session(ctx)
    sign(ctx, session_id, doctor)
    nurse = staff.add_staff(ctx, "Nadia Nurse", "RN", ("nurse",))
    fixture = ctx.principal
    ctx.act_as(Principal.for_user(nurse.id, "nadia", "Nadia Nurse", ("nurse",)))
    try:
        aftercare_pdf(ctx, session_id, "es")
        note = flat("\n".join(pdf_pages(procedure_note_pdf(ctx, session_id))))
    finally:
        ctx.act_as(fixture)
    assert "(Spanish; text version 2) by Nadia Nurse" in note


def test_a_print_record_changed_behind_the_apps_back_is_flagged_on_the_note(ctx: AppContext) -> None:
    from sqlalchemy import text

    doctor, session_id = _session(ctx)
    sign(ctx, session_id, doctor)
    aftercare_pdf(ctx, session_id, "es", large_print=True)
    with ctx.transaction() as s:  # someone holding the file says the sheet was given in English
        s.execute(text("UPDATE aftercare_print SET lang = 'en', large_print = 0 WHERE session_id = :id"),
                  {"id": session_id})
    note = flat("\n".join(pdf_pages(procedure_note_pdf(ctx, session_id))))
    assert "(English; text version 2)" in note and "DOES NOT MATCH ITS AUDIT EVENT" in note
