"""The procedure note PDF (product.md §6): content in clinical order, identifiers on every page, escaping,
any script, DRAFT on every page of a draft, signature block and addenda, long notes laid out cleanly."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from test_report_support import PASSWORD, add_patient, flat, pdf_pages, save_session, setup_clinic, sign

from tpi_notes.db.models import AuditEvent
from tpi_notes.db.repositories import session_records
from tpi_notes.services import documents
from tpi_notes.services.addenda import add_addendum
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo
from tpi_notes.services.sessions import get_session


def _joined(text: str) -> str:
    """All whitespace removed: a hash or lot number wrapped over two lines still matches."""
    return "".join(text.split())


@pytest.fixture
def demo(ctx: AppContext) -> AppContext:
    build_demo(ctx, patients=8, sessions=60, seed=5)
    return ctx


def _signed_injection_session(ctx: AppContext) -> int:
    with ctx.transaction() as s:
        for session_id in range(1, 61):
            record = session_records.load(s, session_id)
            if record and record.is_signed and record.preparations and len(record.sites) >= 2:
                return session_id
    raise AssertionError("the demo has no signed injection session")


def test_demo_note_holds_what_section_6_lists(demo: AppContext) -> None:
    session_id = _signed_injection_session(demo)
    record = get_session(demo, session_id)
    from tpi_notes.services.patients import get_patient

    patient = get_patient(demo, record.patient_id)
    pages = pdf_pages(documents.procedure_note_pdf(demo, session_id))
    text = flat("\n".join(pages))
    identity = f"{patient.display_name} · DOB {patient.birth_date.isoformat()} · MRN {patient.mrn}"
    for number, page in enumerate(pages, start=1):
        assert identity in flat(page), f"page {number} lacks the patient's identifiers"
        assert f"Page {number} of {len(pages)}" in page
    assert record.physician in text and record.physician.endswith(("MD", "DO"))
    for diagnosis in record.diagnoses:
        assert diagnosis.code in text
    for site in record.sites:  # a row of the site table
        assert f"{site.number} {site.muscle} {site.side} {site.view.title()}" in text
    for prep in record.preparations:
        for component in prep.components:
            assert component.lot_number in _joined(text)
    assert "% of max" in text and "Total mg" in text
    assert re.search(r"Lidocaine|Bupivacaine|Ropivacaine|saline|Triamcinolone|Methylprednisolone|Dexa|Betameth",
                     text)
    assert re.search(r"\b2055[23]\b", text), "the CPT code"
    assert "Signed electronically by" in text and record.signed_by in text
    assert record.content_sha256 and record.content_sha256 in _joined(text)
    assert "DRAFT" not in text


def test_total_mg_and_percent_of_maximum_are_printed(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, weight_kg=50.0)
    session_id = save_session(ctx, patient.id, doctor, 4, syringe=(("lidocaine-1", 4.0),))
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    # 4 sites x 1 mL of 1 % lidocaine = 40 mg; the maximum for 50 kg is 4.5 mg/kg x 50 kg = 225 mg.
    assert "Lidocaine 1 %" in text and " 40 " in text
    assert "17.8 % of max 225 mg (4.5 mg/kg × 50 kg)" in text


@pytest.mark.parametrize(("family", "given"), [
    ("Nguyễn", "Thị Ánh"), ("Петрова", "Ирина Сергеевна"), ("Παπαδοπούλου", "Ελένη"), ("Ødegård", "Øyvind ß"),
])
def test_names_in_any_script_are_extracted_exactly(ctx: AppContext, family: str, given: str) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, family=family, given=given)
    session_id = save_session(ctx, patient.id, doctor, 2)
    pages = pdf_pages(documents.procedure_note_pdf(ctx, session_id))
    for page in pages:
        assert f"{family}, {given} · DOB" in page


@pytest.mark.parametrize(("family", "given"), [("王", "小明"), ("山田", "はなこ"), ("김", "민준")])
def test_cjk_names_are_set_in_cid_fonts(ctx: AppContext, family: str, given: str) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, family=family, given=given)
    pdf = documents.procedure_note_pdf(ctx, save_session(ctx, patient.id, doctor, 1))
    for page in pdf_pages(pdf):  # each font switch starts a new extracted line; the letters are all there
        assert f"{family}, {given} · DOB" in page.replace("\n", "")
    fonts = {str(f["/BaseFont"]) for page in PdfReader(io.BytesIO(pdf)).pages
             for f in page["/Resources"]["/Font"].values()}
    assert fonts & {"/STSong-Light", "/HeiseiMin-W3", "/HYSMyeongJo-Medium"}


def test_user_text_with_markup_characters_prints_verbatim(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, allergies=("iodine <contrast> & shellfish",))
    session_id = save_session(ctx, patient.id, doctor, 2, indication="pain <3/10 & stiff>",
                              comments="Pt says <unknown tag here> ok; a<br>b & <b>bold?</b>")
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    for verbatim in ("pain <3/10 & stiff>", "Pt says <unknown tag here> ok; a<br>b & <b>bold?</b>",
                     "iodine <contrast> & shellfish"):
        assert verbatim in text


def test_a_draft_carries_draft_on_every_page(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 20)
    pages = pdf_pages(documents.procedure_note_pdf(ctx, session_id))
    assert len(pages) >= 3
    for page in pages:
        # once in the footer and once as the diagonal watermark
        assert flat(page).count("DRAFT — NOT SIGNED") >= 2
    assert "Signed electronically" not in "".join(pages)


def test_a_signed_note_carries_signer_time_hash_and_qr_payload(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 3)
    sign(ctx, session_id, doctor)
    record = get_session(ctx, session_id)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert "Signed electronically by: Amelia Hart, MD" in text
    assert f"Date and time: {record.signed_at:%Y-%m-%d %H:%M}" in text
    assert record.content_sha256 and record.content_sha256 in _joined(text)
    assert "DRAFT" not in text
    assert f"The QR code holds session #{session_id} and this hash." in text


def test_addenda_print_after_the_note_body_each_signed(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 2)
    sign(ctx, session_id, doctor)
    first = add_addendum(ctx, session_id, "late_entry", "Time-out & consent < confirmed > with nurse.", doctor, PASSWORD)
    second = add_addendum(ctx, session_id, "correction", "Follow-up is 6 weeks, not 2.", doctor, PASSWORD)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    body_end = text.index("Attestation and signature")
    late = text.index("Late entry —")
    correction = text.index("Correction —")
    assert body_end < late < correction
    assert "Time-out & consent < confirmed > with nurse." in text
    for addendum in (first, second):
        assert addendum.content_sha256 in _joined(text[late:])
        assert f"{addendum.created_at:%Y-%m-%d %H:%M}" in text[late:]


def _text_origins(pdf: bytes) -> list[tuple[int, float, float, float, float, str]]:
    """(page, x, y, page width, page height, text) of every text run, in page space."""
    out = []
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        width, height = float(page.mediabox.width), float(page.mediabox.height)

        def visit(text: str, cm: list, tm: list, _font: object, _size: float, n: int = number, w: float = width,
                  h: float = height) -> None:
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                out.append((n, x, y, w, h, text))

        page.extract_text(visitor_text=visit)
    return out


def test_a_twenty_site_note_splits_its_tables_cleanly(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 20)
    pdf = documents.procedure_note_pdf(ctx, session_id)
    pages = [flat(p) for p in pdf_pages(pdf)]
    record = get_session(ctx, session_id)
    text = " ".join(pages)
    for site in record.sites:
        assert f"{site.number} {site.muscle} {site.side} {site.view.title()}" in text
    site_pages = [p for p in pages if re.search(r"\b\d+ \w[\w ()]* [LR] Posterior Injection", p)]
    assert site_pages, "the site rows"
    for page in site_pages:  # the header row is repeated on every page the site table reaches
        assert "Technique Syringe mL Needle Aspiration" in page
    for page_no, x, y, width, height, run in _text_origins(pdf):  # nothing drawn off the page
        assert -1 <= x <= width + 1 and -1 <= y <= height + 1, (page_no, run)
    assert len(pages) <= 5


def test_a_short_signed_note_is_one_page_with_everything_on_it(ctx: AppContext) -> None:
    """The routine case (one muscle, dry needling) is a one-page chart copy: letterhead with the patient's
    identifiers, the diagram, the tables and the signature box all on page 1 of 1."""
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    # Dated within a shipped ICD-10-CM set (FY2026 or FY2027: 2025-10-01 to 2027-09-30), so no set warning.
    start = datetime(2026, 9, 14, 9, 30)
    session_id = save_session(ctx, patient.id, doctor, 1, technique="dry_needling", performed_start=start,
                              performed_end=start + timedelta(minutes=25), timeout_at=start + timedelta(minutes=2))
    sign(ctx, session_id, doctor)
    record = get_session(ctx, session_id)
    pages = pdf_pages(documents.procedure_note_pdf(ctx, session_id))
    assert len(pages) == 1
    page = flat(pages[0])
    assert f"{patient.display_name} · DOB 1961-03-09 · MRN P-100" in page
    assert "Page 1 of 1" in page
    for heading in ("Patient and encounter", "Body diagram", "Indication and diagnoses", "Pre-procedure",
                    "Sites (1)", "Medications None: dry needling only.", "Post-procedure",
                    "Safety findings", "Codes", "Attestation and signature"):
        assert heading in page
    assert record.content_sha256 and record.content_sha256 in _joined(page)


def test_a_long_indication_moves_below_the_diagram_at_full_width(ctx: AppContext) -> None:
    """Free text too long to sit beside the diagram (a table cell cannot run onto the next page) is
    printed in full below it, never cut."""
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    story = " ".join(f"Sentence {i} of a long history & <details>." for i in range(60))
    session_id = save_session(ctx, patient.id, doctor, 2, indication=story)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert story in text
    assert text.index("Body diagram") < text.index("Indication and diagnoses")


def test_the_note_is_deterministic_and_every_print_is_audited(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 3)
    assert documents.procedure_note_pdf(ctx, session_id) == documents.procedure_note_pdf(ctx, session_id)
    with ctx.transaction() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "print")).all()
    assert len(events) == 2
    assert all(e.entity_id == session_id and e.patient_id == patient.id for e in events)
    assert "procedure note (draft" in events[0].detail


def test_an_unknown_session_is_a_clear_error(ctx: AppContext) -> None:
    from tpi_notes.domain.errors import NotFoundError

    with pytest.raises(NotFoundError, match="Session 404 does not exist"):
        documents.procedure_note_pdf(ctx, 404)


def test_dry_needling_with_estim_prints_its_parameters_and_codes(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 3, technique="dry_needling", estim=True)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert "Procedure note: Dry needling with electrical stimulation" in text
    assert "Medications None: dry needling only." in text
    assert "Electrical stimulation Site Muscle Frequency Hz Pulse width µs Intensity mA Minutes Billing" in text
    assert "1 R upper trapezius 2 250 8 15 Attended" in text
    assert "Dry needling + e-stim" in text and "2 in / 2 out" in text
    assert re.search(r"\b2056[01]\b", text)


def test_an_override_prints_with_its_reason(ctx: AppContext) -> None:
    from tpi_notes.domain.findings import FindingOverride

    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, breastfeeding=True)
    reason = "Benefit discussed with the patient & her obstetrician; lidocaine <1 mg/kg> only."
    session_id = save_session(ctx, patient.id, doctor, 2, syringe=(("lidocaine-1", 2.0),),
                              overrides=(FindingOverride("breastfeeding", "", reason),))
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert "STOP The patient is recorded as breastfeeding" in text
    assert f"Overridden: {reason}" in text


def test_a_draft_without_sites_does_not_claim_dry_needling(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 0)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    assert "Medications None recorded (no sites yet)." in text
    assert "dry needling only" not in text
