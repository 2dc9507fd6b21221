"""The clinic's paper size (issue 16 item 7): Letter by default, A4 when the clinic says so, for the note and the
aftercare sheet alike; the content keeps its width, so nothing runs off the narrower A4 page."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pypdf import PdfReader
from test_report_support import add_patient, save_session, setup_clinic, sign

from tpi_notes.domain.errors import ValidationError
from tpi_notes.services import clinic_settings, documents
from tpi_notes.services.context import AppContext

LETTER, A4 = (612.0, 792.0), (595.276, 841.89)


def _sizes(pdf: bytes) -> set[tuple[float, float]]:
    return {(round(float(p.mediabox.width), 3), round(float(p.mediabox.height), 2)) for p in PdfReader(io.BytesIO(pdf)).pages}


def test_the_documents_follow_the_clinics_paper(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, family="Whitfield", given="Harriet")
    sid = save_session(ctx, patient.id, doctor, 3)
    assert clinic_settings.get_settings(ctx).paper_size == "letter"  # a US clinic's default
    assert _sizes(documents.procedure_note_pdf(ctx, sid)) == {LETTER}
    assert _sizes(documents.aftercare_pdf(ctx, sid, "en", True)) == {LETTER}
    clinic_settings.update_settings(ctx, replace(clinic_settings.get_settings(ctx), paper_size="a4"))
    sign(ctx, sid, doctor)
    note = documents.procedure_note_pdf(ctx, sid)
    assert _sizes(note) == {A4}
    assert _sizes(documents.aftercare_pdf(ctx, sid, "es", False)) == {A4}
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(note)).pages)
    assert "Whitfield" in text and "Page 1 of" in text


def test_only_letter_and_a4_are_offered(ctx: AppContext) -> None:
    with pytest.raises(ValidationError) as refused:
        clinic_settings.update_settings(ctx, replace(clinic_settings.get_settings(ctx), paper_size="legal"))
    assert "A4" in refused.value.errors["paper_size"] and "Letter" in refused.value.errors["paper_size"]
