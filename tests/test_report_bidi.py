"""Right-to-left names and text, joined Arabic letters and emoji on paper (issue 12 item 4).

The tests read what ReportLab draws, in drawing order (left to right), by recording every string handed to
the PDF text operators: a right-to-left word printed correctly is drawn reversed ("כהן" is drawn "ןהכ") and
Arabic in its joined presentation forms. (Text extractors reorder right-to-left text themselves, so they
cannot tell a correct page from a reversed one.) A character counts as printed only when the font has its
glyph; otherwise it must be replaced visibly.
"""

from __future__ import annotations

import io
import unicodedata

import pytest
from pypdf import PdfReader
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import SimpleDocTemplate
from test_report_support import add_patient, pdf_pages, save_session, setup_clinic, sign

from tpi_notes.reports import script
from tpi_notes.reports.fonts import register_fonts
from tpi_notes.reports.styles import note_styles
from tpi_notes.reports.text import bold, para
from tpi_notes.services import documents
from tpi_notes.services.context import AppContext

HEBREW_FAMILY, HEBREW_GIVEN = "כהן", "שרה"
ARABIC_FAMILY, ARABIC_GIVEN = "محمد", "عبد الله"  # الله has a word ligature DejaVu lacks: spelled out
# محمد joined and in drawing order: final dal, medial meem, medial hah, initial meem
ARABIC_FAMILY_DRAWN = "\ufeaa\ufee4\ufea4\ufee3"
EMOJI_NAME = "Ana 😀🦄 👍🏽 Lee"


def _text(pdf: bytes) -> str:
    return "\n".join(pdf_pages(pdf))


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every string drawn on any page, in drawing order (one entry per line or run)."""
    calls: list[str] = []
    original = PDFTextObject._formatText

    def record(self: PDFTextObject, text: str) -> object:
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(PDFTextObject, "_formatText", record)
    return calls


def _has_glyph(ch: str) -> bool:
    from reportlab.pdfbase import pdfmetrics

    fonts = register_fonts()
    return all(ord(ch) in pdfmetrics.getFont(name).face.charToGlyph for name in (fonts.sans, fonts.sans_bold))


def _shown(ch: str, text: str) -> bool:
    """The character is on the page with a real glyph, or replaced by its code point where it was."""
    return (ch in text and _has_glyph(ch)) or f"[U+{ord(ch):04X}]" in text


@pytest.fixture
def clinic(ctx: AppContext) -> tuple[AppContext, int]:
    return ctx, setup_clinic(ctx)


def test_a_hebrew_name_prints_right_to_left_on_the_note_and_the_aftercare_sheet(
        clinic: tuple[AppContext, int], drawn: list[str]) -> None:
    ctx, doctor = clinic
    patient = add_patient(ctx, family=HEBREW_FAMILY, given=HEBREW_GIVEN, mrn="H-1")
    session_id = save_session(ctx, patient.id, doctor, 2)
    for render in (lambda: documents.procedure_note_pdf(ctx, session_id),
                   lambda: documents.aftercare_pdf(ctx, session_id)):
        drawn.clear()
        pages = len(PdfReader(io.BytesIO(render())).pages)
        text = "".join(drawn)
        # the identity line of the body, and of the running header on every page after the first
        assert text.count(f"{HEBREW_GIVEN[::-1]} ,{HEBREW_FAMILY[::-1]}") >= pages
        assert HEBREW_FAMILY not in text and HEBREW_GIVEN not in text, "drawn in logical order: reads backwards"


def test_an_arabic_name_prints_joined_and_right_to_left(clinic: tuple[AppContext, int], drawn: list[str]) -> None:
    ctx, doctor = clinic
    patient = add_patient(ctx, family=ARABIC_FAMILY, given=ARABIC_GIVEN, mrn="A-1")
    session_id = save_session(ctx, patient.id, doctor, 2)
    sign(ctx, session_id, doctor)
    for render in (lambda: documents.procedure_note_pdf(ctx, session_id),
                   lambda: documents.aftercare_pdf(ctx, session_id),
                   lambda: documents.aftercare_pdf(ctx, session_id, large_print=True)):
        drawn.clear()
        render()
        text = "\n".join(drawn)
        assert ARABIC_FAMILY_DRAWN in text, "not joined, or not right to left"
        assert "[U+" not in text, "an Arabic letter or ligature the font lacks"
        assert ARABIC_FAMILY not in unicodedata.normalize("NFKC", text)


def test_every_character_of_an_emoji_name_prints_or_is_replaced_visibly(clinic: tuple[AppContext, int]) -> None:
    ctx, doctor = clinic
    patient = add_patient(ctx, given=EMOJI_NAME, mrn="E-1")
    session_id = save_session(ctx, patient.id, doctor, 2)
    for pdf in (documents.procedure_note_pdf(ctx, session_id), documents.aftercare_pdf(ctx, session_id)):
        text = _text(pdf)
        lost = [f"U+{ord(ch):04X}" for ch in EMOJI_NAME if not ch.isspace() and not _shown(ch, text)]
        assert not lost, f"printed as nothing: {lost}"
    assert "😀" in text and "[U+1F984]" in text  # DejaVu has the emoticons; not the unicorn


def test_a_right_to_left_paragraph_that_wraps_reads_from_its_first_line_down(drawn: list[str]) -> None:
    letters = "אבגדהוזחטיכלמנסעפצקרשת"
    words = [a + b + c for a in letters[:8] for b in letters[8:16] for c in letters[16:19]]
    SimpleDocTemplate(io.BytesIO(), invariant=1).build([para(" ".join(words), note_styles()["Body"])])
    lines = [line.strip() for line in drawn if line.strip()]
    assert len(lines) > 3
    assert " ".join(line[::-1] for line in lines) == " ".join(words)


def test_mixed_text_keeps_latin_and_numbers_left_to_right() -> None:
    assert script.visual_line("MRN 12345 שרה כהן") == "MRN 12345 ןהכ הרש"
    assert script.visual_line("שרה 123") == "123 הרש"


def test_letters_the_serif_lacks_are_set_in_sans_even_in_bold() -> None:
    fonts = register_fonts()
    styles = note_styles()
    assert styles["ClinicName"].fontName == fonts.serif_bold
    for text in ("מרפאת השרון", [bold("شفاء")]):
        paragraph = para(text, styles["ClinicName"])
        paragraph.wrap(300, 100)
        bl = paragraph.blPara
        faces = {bl.fontName} if bl.kind == 0 else {f.fontName for line in bl.lines for f in line.words}
        assert faces == {fonts.sans_bold}
    assert para("Harbor Clinic", styles["ClinicName"]).style.fontName == fonts.serif_bold
