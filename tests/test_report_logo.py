"""The clinic's logo, set by the admin, heads the procedure note and the aftercare sheet; a broken one is skipped."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfReader
from test_report_support import add_patient, save_session, setup_clinic, sign

from tpi_notes.db.repositories import reference
from tpi_notes.services import documents
from tpi_notes.services.context import AppContext


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (18, 53, 91)).save(buffer, format="PNG")
    return buffer.getvalue()


def _images_on_first_page(pdf: bytes) -> list[tuple[int, int]]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return [(img.image.width, img.image.height) for img in page.images]


def _set_logo(ctx: AppContext, png: bytes | None) -> None:
    with ctx.transaction() as s:
        reference.settings(s).logo_png = png


def test_the_logo_prints_on_both_documents(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    session = save_session(ctx, add_patient(ctx).id, doctor)
    sign(ctx, session, doctor)
    assert _images_on_first_page(documents.procedure_note_pdf(ctx, session)) == []
    _set_logo(ctx, _png(300, 100))
    assert (300, 100) in _images_on_first_page(documents.procedure_note_pdf(ctx, session))
    for large in (False, True):
        assert (300, 100) in _images_on_first_page(documents.aftercare_pdf(ctx, session, large_print=large))


def test_an_unreadable_logo_never_stops_a_document(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    session = save_session(ctx, add_patient(ctx).id, doctor)
    _set_logo(ctx, b"\x89PNG\r\n\x1a\n this is not really a png")
    assert documents.procedure_note_pdf(ctx, session).startswith(b"%PDF")
    assert documents.aftercare_pdf(ctx, session).startswith(b"%PDF")
