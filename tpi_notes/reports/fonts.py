"""Fonts for the documents, registered once per process.

DejaVu Sans and Serif (from the system, installed by ``.ci/system-deps.sh`` as fonts-dejavu-core) cover
Latin with Vietnamese, Cyrillic and Greek. Where DejaVu is missing, ReportLab's bundled Vera stands in
(Latin only) and a warning is logged. CJK characters are not in either: runs of them are set in
ReportLab's built-in CID fonts (no font file needed; the PDF viewer supplies the glyphs), chosen per
run by :func:`cjk_font_for`.
"""

from __future__ import annotations

import logging
import os
import zlib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import reportlab
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.pdfdoc import PDFArray, PDFName, PDFObject, PDFStream
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)

DEJAVU_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
               Path("/usr/local/share/fonts/dejavu"), Path("/Library/Fonts"), Path("C:/Windows/Fonts"))
DEJAVU_FILES = {"sans": "DejaVuSans.ttf", "sans_bold": "DejaVuSans-Bold.ttf",
                "serif": "DejaVuSerif.ttf", "serif_bold": "DejaVuSerif-Bold.ttf"}
VERA_FILES = {"sans": "Vera.ttf", "sans_bold": "VeraBd.ttf", "serif": "Vera.ttf", "serif_bold": "VeraBd.ttf"}

CJK_CHINESE = "STSong-Light"
CJK_JAPANESE = "HeiseiMin-W3"
CJK_KOREAN = "HYSMyeongJo-Medium"


@dataclass(frozen=True)
class FontSet:
    """Registered ReportLab font names: the families every style refers to."""

    sans: str
    sans_bold: str
    serif: str
    serif_bold: str
    source: str  # "DejaVu" or "Vera (fallback)"


def _font_dir() -> tuple[Path, dict[str, str]] | None:
    extra = os.environ.get("TPI_NOTES_FONT_DIR")
    for folder in ((Path(extra),) if extra else ()) + DEJAVU_DIRS:
        if all((folder / name).is_file() for name in DEJAVU_FILES.values()):
            return folder, DEJAVU_FILES
    return None


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ToUnicode map with characters beyond U+FFFF written as UTF-16 (a surrogate pair).

    ReportLab writes their code point as it is ("<1F600>", an odd number of hex digits), which PDF readers
    cannot decode: an emoji the font draws would copy, search and extract as garbage."""
    cmap = _reportlab_to_unicode_cmap(fontname, subset)
    for index, code in enumerate(subset):
        if code > 0xFFFF:
            cmap = cmap.replace("<%02X> <%04X>" % (index, code),  # noqa: UP031 - ReportLab's own format
                                "<%02X> <%s>" % (index, chr(code).encode("utf-16-be").hex().upper()))  # noqa: UP031
    return cmap


_reportlab_to_unicode_cmap = ttfonts.makeToUnicodeCMap


# (font file, subset) -> (font program, Flate-compressed); a subset is the 128 codes of a document's characters
_SUBSETS: dict[tuple[str, tuple[int, ...]], tuple[bytes, bytes]] = {}
_SUBSETS_KEPT = 128


def _keep_subsets(font: TTFont) -> None:
    """Make each embedded subset of ``font`` once, and compress it once: the same subset comes back print after
    print (ASCII in its own places, the few other characters a document uses after them), and cutting the glyphs
    out of the DejaVu file and compressing them was a tenth of a note's time (issue 19). The PDF is the same bytes:
    the program is ReportLab's own, compressed as ReportLab compresses it (zlib, default level)."""
    face = font.face
    make, add = face.makeSubset, face.addSubsetObjects

    def kept(subset: list[int]) -> tuple[bytes, bytes]:
        key = (face.filename, tuple(subset))
        found = _SUBSETS.get(key)
        if found is None:
            program = make(list(subset))
            found = (program, zlib.compress(program))
            if len(_SUBSETS) >= _SUBSETS_KEPT:
                _SUBSETS.pop(next(iter(_SUBSETS)))
            _SUBSETS[key] = found
        return found

    def add_subset_objects(doc: Any, fontname: str, subset: list[int]) -> Any:
        ref = add(doc, fontname, subset)  # ReportLab's descriptor; its makeSubset is kept() below
        stream = doc.idToObject.get(f"fontFile:{face.filename}({fontname})")
        if doc.compression and isinstance(stream, PDFStream) and "Filter" not in stream.dictionary.dict:
            stream.content = kept(subset)[1]  # already compressed: the Filter entry tells ReportLab so
            stream.dictionary["Filter"] = PDFArray([PDFName("FlateDecode")])
        return ref

    face.makeSubset = lambda subset: kept(subset)[0]
    face.addSubsetObjects = add_subset_objects
    add_objects = font.addObjects

    def add_objects_kept(doc: Any) -> None:
        add_objects(doc)  # then each subset's widths array, written once per subset rather than number by number
        prefix = doc.fontMapping.get(font.fontName, "/")[1:] + "+"
        for name, obj in list(doc.idToObject.items()):
            widths = getattr(obj, "Widths", None) if name.startswith(prefix) else None
            if isinstance(widths, PDFArray):
                obj.Widths = _KeptArray(widths)

    font.addObjects = add_objects_kept


_ARRAYS: dict[tuple, bytes] = {}


class _KeptArray(PDFObject):
    """A PDF array of plain numbers (a font subset's glyph widths: 128 of them, each formatted in Python) written
    as it was the first time."""

    def __init__(self, array: PDFArray) -> None:
        self.array = array

    def format(self, document: Any) -> bytes:
        key = tuple(self.array.sequence)
        out = _ARRAYS.get(key)
        if out is None:
            out = self.array.format(document)
            if len(_ARRAYS) >= _SUBSETS_KEPT:
                _ARRAYS.pop(next(iter(_ARRAYS)))
            _ARRAYS[key] = out
        return out


KEPT_WIDTH_CHARS = 40  # words and short cells; a long line (measured as it is cut to fit) is not kept


def _keep_word_widths(font: TTFont) -> None:
    """Remember the widths of short strings in ``font``: line breaking measures every word of every paragraph,
    mostly the same words print after print, summed glyph by glyph in Python (issue 19). A width depends only on
    the text, the size and the font's own metrics."""
    measure = font.stringWidth
    kept = lru_cache(maxsize=16384)(measure)

    def string_width(text: str, size: float, encoding: str = "utf8") -> float:
        return kept(text, size, encoding) if len(text) <= KEPT_WIDTH_CHARS else measure(text, size, encoding)

    font.stringWidth = string_width


@cache
def register_fonts() -> FontSet:
    """Register the document fonts (once) and return their names; bold works through the family."""
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap
    found = _font_dir()
    if found is None:
        log.warning("DejaVu fonts not found (install fonts-dejavu-core); using ReportLab's Vera, which has "
                    "no Cyrillic, Greek or Vietnamese letters")
        folder, files, prefix, source = Path(reportlab.__file__).parent / "fonts", VERA_FILES, "TpiVera", "Vera"
    else:
        (folder, files), prefix, source = found, "TpiDejaVu", "DejaVu"
    names = {key: f"{prefix}{key.title().replace('_', '-')}" for key in files}
    for key, file_name in files.items():
        font = TTFont(names[key], str(folder / file_name))
        _keep_subsets(font)
        _keep_word_widths(font)
        pdfmetrics.registerFont(font)
    for normal, bold in ((names["sans"], names["sans_bold"]), (names["serif"], names["serif_bold"])):
        # No italics in these documents: the italic slots map to the upright faces.
        pdfmetrics.registerFontFamily(normal, normal=normal, bold=bold, italic=normal, boldItalic=bold)
    for cid in (CJK_CHINESE, CJK_JAPANESE, CJK_KOREAN):
        pdfmetrics.registerFont(UnicodeCIDFont(cid))
    return FontSet(names["sans"], names["sans_bold"], names["serif"], names["serif_bold"],
                   source if found else "Vera (fallback)")


def is_cjk(ch: str) -> bool:
    """A character that DejaVu lacks and a CJK CID font has (Han, kana, Hangul, CJK punctuation)."""
    code = ord(ch)
    return (0x3000 <= code <= 0x30FF or 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF
            or 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F
            or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x2FA1F)


def cjk_font_for(run: str) -> str:
    """The CID font for a run of CJK text: Japanese when it has kana, Korean for Hangul, else Chinese."""
    if any(0x3040 <= ord(c) <= 0x30FF for c in run):
        return CJK_JAPANESE
    if any(0xAC00 <= ord(c) <= 0xD7AF or 0x1100 <= ord(c) <= 0x11FF or 0x3130 <= ord(c) <= 0x318F for c in run):
        return CJK_KOREAN
    return CJK_CHINESE


def split_runs(text: str) -> list[tuple[str, str | None]]:
    """``text`` cut into runs: (run, None) for text in the base font, (run, cid font) for CJK runs."""
    if not text or max(text) < "\u1100":  # below every CJK block (is_cjk): one run, found without a loop
        return [(text, None)] if text else []
    runs: list[tuple[str, str | None]] = []
    current, cjk = "", False
    for ch in text:
        this = is_cjk(ch)
        if current and this != cjk:
            runs.append((current, cjk_font_for(current) if cjk else None))
            current = ""
        current += ch
        cjk = this
    if current:
        runs.append((current, cjk_font_for(current) if cjk else None))
    return runs
