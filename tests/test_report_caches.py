"""What the documents keep between prints (issue 19) never goes stale, and the pages stay as they were drawn.

The body diagram's figure is kept as the PDF operators drawn the first time at a size, a paragraph's parsed markup
per text and style, its broken lines per width, words' widths, and the embedded font subsets; each is keyed by
everything it depends on. Here: a clinic renamed between two prints, another atlas at the same size, the same words
in two styles, a paragraph wrapped again at another width, documents with other letters, and the page streams
(Flate only, no ASCII85)."""

from __future__ import annotations

import io
import json
from dataclasses import replace

from pypdf import PdfReader
from reportlab.graphics.shapes import Drawing, Group
from reportlab.platypus import SimpleDocTemplate
from test_report_support import add_patient, flat, pdf_pages, save_session, setup_clinic

from tpi_notes.anatomy import Atlas, load_atlas, resources_dir
from tpi_notes.anatomy.loader import atlas_from_dict
from tpi_notes.reports import body_diagram, fonts
from tpi_notes.reports.body_diagram import body_diagram_drawing
from tpi_notes.reports.page import PageDecor, render_pdf
from tpi_notes.reports.styles import note_styles
from tpi_notes.reports.text import para
from tpi_notes.services import clinic_settings, documents
from tpi_notes.services.context import AppContext

MARKERS = [(1, "anterior", 0.5, 0.4, "injection"), (2, "posterior", 0.45, 0.3, "dry_needling")]


def _diagram_pdf(atlas: Atlas, width: float = 300.0) -> bytes:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, invariant=1).build([body_diagram_drawing(atlas, MARKERS, width)])
    return buf.getvalue()


def _atlas_redrawn() -> Atlas:
    """Atlas 2 with its line-art details left out: the same version and size, another figure."""
    data = json.loads((resources_dir() / "atlas" / "atlas-2.json").read_text(encoding="utf-8"))
    for view in data["views"].values():
        view["details"] = []
    return atlas_from_dict(data)


def _drawn(pdf: bytes) -> bytes:
    """What the pages draw: their content streams and the forms they use (the figure is one per view)."""
    out = b""
    for page in PdfReader(io.BytesIO(pdf)).pages:
        out += page.get_contents().get_data()
        forms = page["/Resources"].get_object().get("/XObject", {})
        out += b"".join(forms[name].get_object().get_data() for name in sorted(forms))
    return out


def test_a_clinic_renamed_between_two_prints_prints_its_new_name(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    session_id = save_session(ctx, add_patient(ctx).id, doctor, 3)
    first = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    sheet = flat("\n".join(pdf_pages(documents.aftercare_pdf(ctx, session_id, "en"))))
    assert "Harbor & Pines Pain Clinic" in first and "Harbor & Pines Pain Clinic" in sheet
    settings = clinic_settings.get_settings(ctx)
    clinic_settings.update_settings(ctx, replace(settings, name="Riverbend Spine <Center>",
                                                 phone="(555) 010-7777"))
    second = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, session_id))))
    sheet = flat("\n".join(pdf_pages(documents.aftercare_pdf(ctx, session_id, "en"))))
    assert "Riverbend Spine <Center>" in second and "Harbor & Pines" not in second
    assert "Riverbend Spine <Center>" in sheet and "(555) 010-7777" in sheet and "Harbor & Pines" not in sheet


def test_the_figure_drawn_again_is_the_figure_first_drawn_for_its_own_atlas() -> None:
    """Two atlases of one version at the same size: each print, fresh or from what was kept, is its own figure."""
    atlas, redrawn = load_atlas("2"), _atlas_redrawn()
    body_diagram._FIGURE_OPS.clear()
    fresh = _diagram_pdf(atlas)
    body_diagram._FIGURE_OPS.clear()
    fresh_redrawn = _diagram_pdf(redrawn)
    assert len(_drawn(fresh_redrawn)) < len(_drawn(fresh))  # fewer paths drawn
    assert _diagram_pdf(atlas) == fresh and _diagram_pdf(redrawn) == fresh_redrawn
    assert _diagram_pdf(atlas) == fresh  # kept, and still the first one's
    assert _drawn(_diagram_pdf(atlas, 301.0)) != _drawn(fresh)  # another size is drawn, not reused


def test_the_same_words_in_two_styles_keep_each_style_and_their_own_fragments() -> None:
    st = note_styles()
    plain, bold = para("Negative 25 G", st["Cell"]), para("Negative 25 G", st["CellBold"])
    assert plain.frags[0].fontName == st["Cell"].fontName
    assert bold.frags[0].fontName == st["CellBold"].fontName != plain.frags[0].fontName
    again = para("Negative 25 G", st["Cell"])
    assert again.frags[0] is not plain.frags[0]  # layout marks fragments: each paragraph has its own
    plain.frags[0].text = "changed by layout"
    assert para("Negative 25 G", st["Cell"]).frags[0].text == "Negative 25 G"


def test_a_paragraph_wrapped_again_at_another_width_breaks_its_lines_again() -> None:
    text = "Breath sounds equal bilaterally, no dyspnea, no chest pain, oxygen saturation 98 % on room air."
    p = para(text, note_styles()["Body"])
    _w, wide = p.wrap(500, 1000)
    _w, narrow = p.wrap(80, 1000)
    _w, wide_again = p.wrap(500, 1000)
    assert narrow > wide * 3 and wide_again == wide
    assert len(p.blPara.lines) == 1 and p.width == 500


def test_page_streams_are_flate_compressed_only(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    session_id = save_session(ctx, add_patient(ctx).id, doctor, 3)
    for pdf in (documents.procedure_note_pdf(ctx, session_id), documents.aftercare_pdf(ctx, session_id, "en")):
        for page in PdfReader(io.BytesIO(pdf)).pages:
            contents = page["/Contents"].get_object()
            assert list(contents["/Filter"]) == ["/FlateDecode"]  # not [/ASCII85Decode /FlateDecode]
        assert "Harbor & Pines Pain Clinic" in flat("\n".join(pdf_pages(pdf)))


def test_the_figure_form_holds_the_operators_of_its_paths_drawn_one_by_one() -> None:
    """The kept figure is what ReportLab writes for the atlas paths themselves, path for path."""
    drawing = body_diagram_drawing(load_atlas(), MARKERS, 300)
    figures = [n for n in _walk(drawing) if isinstance(n, body_diagram._Figure)]
    assert len(figures) == 2  # one per view
    plain = Drawing(drawing.width, drawing.height)
    for figure in figures:
        plain.add(Group(*figure._paths()))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, invariant=1).build([plain])
    inline = PdfReader(io.BytesIO(buf.getvalue())).pages[0].get_contents().get_data()
    page = PdfReader(io.BytesIO(_diagram_pdf(load_atlas()))).pages[0]
    forms = page["/Resources"].get_object()["/XObject"]
    assert len(forms) == 2
    for name in forms:
        ops = forms[name].get_object().get_data().strip()
        assert ops.count(b" c") > 100 and ops in inline


def _walk(node: object) -> list[object]:
    return [node, *(n for child in getattr(node, "contents", []) for n in _walk(child))]


def _one_line(name: str) -> bytes:
    decor = PageDecor(clinic="Harbor Clinic", identity=name, title="Test")
    return render_pdf([para(name, note_styles()["Body"])], decor, title=name)


def _font_programs(pdf: bytes) -> list[bytes]:
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"].get_object()["/Font"]
    programs = []
    for name in sorted(fonts):
        descriptor = fonts[name].get_object().get("/FontDescriptor")
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            programs.append(descriptor.get_object()["/FontFile2"].get_object().get_data())
    return programs


def _widths(pdf: bytes) -> list[list[float]]:
    fonts_used = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"].get_object()["/Font"]
    return [list(fonts_used[name].get_object().get("/Widths", [])) for name in sorted(fonts_used)]


def test_a_kept_font_subset_is_the_one_the_document_needs() -> None:
    """Two documents with different letters, in turn: each embeds the glyphs of its own letters, the same bytes
    whether the subset was just made or kept from an earlier print."""
    latin, greek = "Nguyễn Thị Ánh", "Σωκράτης Øyvind Ærø"
    first, other, again = _one_line(latin), _one_line(greek), _one_line(latin)
    assert first == again
    assert _font_programs(first) != _font_programs(other) and _widths(first) != _widths(other)
    fonts._SUBSETS.clear()
    fonts._ARRAYS.clear()
    assert _one_line(greek) == other
    assert _one_line(latin) == first
    assert greek in flat("\n".join(pdf_pages(other)))


def test_kept_word_widths_are_the_fonts_own_measures() -> None:
    from reportlab.lib.rl_accel import instanceStringWidthTTF
    from reportlab.pdfbase.pdfmetrics import getFont, stringWidth

    names = fonts.register_fonts()
    for name in (names.sans, names.sans_bold):
        font = getFont(name)
        for text in ("Yes", "Nguyễn", "Σωκράτης", "W" * 39, "Injection into the upper trapezius " * 3):
            for size in (7.6, 9, 18):
                expected = instanceStringWidthTTF(font, text, size, "utf8")
                assert stringWidth(text, name, size) == expected == stringWidth(text, name, size)
        assert stringWidth("Yes", name, 9) != stringWidth("Yes", name, 18)
