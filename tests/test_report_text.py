"""The building blocks of the documents: escaping, CJK runs, fonts (with the Vera fallback), page furniture,
and the view-model built without a database."""

from __future__ import annotations

import io
import logging

import pytest
from pypdf import PdfReader
from reportlab.platypus import Paragraph, SimpleDocTemplate

from tpi_notes.reports import fonts
from tpi_notes.reports.page import PageDecor, render_pdf
from tpi_notes.reports.styles import note_styles
from tpi_notes.reports.text import Markup, bold, fmt, labelled, para

TRICKY = ["pain <3/10 & stiff>", "Pt says <unknown tag here> ok", "note <i>left</i> side", "Dx: <b>myofascial",
          "a<br>b", "&amp; stays &amp;", "x > y & y < z", "line one\nline two"]


def _pdf_text(flowables: list) -> str:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, invariant=1).build(flowables)
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(buf.getvalue())).pages)


@pytest.mark.parametrize("text", TRICKY)
def test_user_text_prints_verbatim(text: str) -> None:
    style = note_styles()["Body"]
    extracted = _pdf_text([para(text, style)])
    assert " ".join(extracted.split()) == " ".join(text.split())


def test_only_program_markup_passes_unescaped() -> None:
    assert fmt("<b>") == "&lt;b&gt;"
    assert bold("<x>") == "<b>&lt;x&gt;</b>"
    assert isinstance(bold("a"), Markup) and not isinstance(fmt("a") + "", Markup)
    p = labelled("Allergies", "", note_styles()["Body"])
    assert isinstance(p, Paragraph) and "—" in p.text
    assert fmt("a\r\nb") == "a<br/>b"


def test_cjk_runs_switch_to_a_cid_font() -> None:
    assert fonts.split_runs("Lee 王小明 Jr") == [("Lee ", None), ("王小明", "STSong-Light"), (" Jr", None)]
    assert fonts.cjk_font_for("やまだ") == "HeiseiMin-W3"
    assert fonts.cjk_font_for("김민준") == "HYSMyeongJo-Medium"
    assert fmt("王 & <x>") == '<font name="STSong-Light">王</font> &amp; &lt;x&gt;'


def test_fonts_register_once_with_a_bold_family() -> None:
    first = fonts.register_fonts()
    assert fonts.register_fonts() is first
    assert first.source == "DejaVu"
    from reportlab.lib.fonts import tt2ps

    assert tt2ps(first.sans, 1, 0) == first.sans_bold


def test_without_dejavu_vera_stands_in_with_a_warning(monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(fonts, "DEJAVU_DIRS", ())
    monkeypatch.delenv("TPI_NOTES_FONT_DIR", raising=False)
    fonts.register_fonts.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="tpi_notes.reports.fonts"):
            fallback = fonts.register_fonts()
        assert fallback.source.startswith("Vera") and "Vera" in fallback.sans
        assert any("DejaVu fonts not found" in r.message for r in caplog.records)
    finally:
        monkeypatch.undo()
        fonts.register_fonts.cache_clear()
        assert fonts.register_fonts().source == "DejaVu"


def test_every_page_gets_identifiers_numbers_and_the_watermark() -> None:
    style = note_styles()["Body"]

    def story() -> list:  # flowables keep layout state: a new story for every build
        return [para(f"Line {i}", style) for i in range(150)]

    decor = PageDecor(clinic="Clinic & Co <1>", identity="Ødegård, Øyvind · DOB 1970-05-01 · MRN P1",
                      title="Procedure note", watermark="DRAFT — NOT SIGNED", footer="footer <x>")
    pdf = render_pdf(story(), decor, title="t")
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert "Ødegård, Øyvind · DOB 1970-05-01 · MRN P1" in page
        assert f"Page {number} of {len(pages)}" in page
        assert "Clinic & Co <1>" in page and "footer <x>" in page
        assert "DRAFT — NOT SIGNED" in page
    assert render_pdf(story(), decor, title="t") == pdf  # invariant: the same bytes every time
