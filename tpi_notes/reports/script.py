"""Any script on paper: Arabic letters joined, right-to-left text in reading order, nothing silently lost.

ReportLab draws the characters of a line left to right in the order they are stored and takes each glyph
as it is, so Hebrew and Arabic came out reversed, Arabic letters unjoined, and a character no document
font has (most emoji) as nothing. The documents therefore:

- reshape Arabic into its joined presentation forms (arabic-reshaper), in logical order, before layout
  (:func:`prepare`); vowel marks are kept and moved so they sit on their letter once the line is reversed;
- let ReportLab break a paragraph into lines in logical order, then draw each line in visual order by the
  Unicode bidirectional algorithm (python-bidi) (:class:`BidiParagraph`), so a right-to-left passage that
  wraps still reads from its first line down; a one-line string (header, footer) is reordered whole
  (:func:`visual_line`); the page direction stays left to right;
- print a character that neither document font has as its code point, "[U+1F984]" (:func:`prepare`): the
  reader sees that something is there and which character (a box would not say which, a blank would hide
  it). DejaVu Sans has the common emoticons and many symbols; those print as themselves.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

import arabic_reshaper
from arabic_reshaper.ligatures import LIGATURES
from bidi import algorithm as bidi_algorithm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph
from reportlab.platypus.paragraph import textTransformFrags
from reportlab.platypus.paraparser import ParaParser

from tpi_notes.reports.fonts import is_cjk, register_fonts

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u0870-\u08ff]")
_KEPT = frozenset("\n\t")


@cache
def _covered(*names: str) -> frozenset[int]:
    """Code points every one of the registered TrueType faces ``names`` has a glyph for."""
    maps = [pdfmetrics.getFont(name).face.charToGlyph for name in names]
    return frozenset(set(maps[0]).intersection(*maps[1:]))


def _printable() -> frozenset[int]:
    """Code points both sans faces (regular and bold) have glyphs for (DejaVu, or Vera where it is missing)."""
    fonts = register_fonts()
    return _covered(fonts.sans, fonts.sans_bold)


def serif_lacks() -> frozenset[int]:
    """Code points the sans faces have and the serif faces do not (set in sans wherever they occur)."""
    fonts = register_fonts()
    return _difference(_printable(), _covered(fonts.serif, fonts.serif_bold))


@cache
def _difference(have: frozenset[int], lack: frozenset[int]) -> frozenset[int]:
    return have - lack


def _reshaper() -> arabic_reshaper.ArabicReshaper:
    return _reshaper_for(_printable())


@cache
def _reshaper_for(printable: frozenset[int]) -> arabic_reshaper.ArabicReshaper:
    """Arabic joining with the vowel marks kept (moved so they land on their letter once reversed) and only
    the ligatures whose glyphs the font has (lam-alef yes; a word ligature such as U+FDF2 would print as
    its code point)."""
    config: dict[str, bool] = {"delete_harakat": False, "shift_harakat_position": True}
    for name, (_match, forms) in LIGATURES:
        config[name] = all(ord(ch) in printable for ch in "".join(forms))
    return arabic_reshaper.ArabicReshaper(configuration=config)


def code_point(ch: str) -> str:
    return f"[U+{ord(ch):04X}]"


@cache
def _printable_chars(printable: frozenset[int]) -> frozenset[str]:
    """The characters that print as themselves: those the fonts have, and newline and tab."""
    return frozenset(map(chr, printable)) | _KEPT


def prepare(text: str) -> str:
    """User text ready for the page, still in logical order: Arabic joined, unprintable characters shown
    as their code points. Idempotent."""
    if _ARABIC.search(text):
        text = _reshaper().reshape(text)
    printable = _printable()
    if _printable_chars(printable).issuperset(text):  # the usual case, checked in C rather than per character
        return text
    return "".join(ch if ord(ch) in printable or ch in _KEPT or is_cjk(ch) else code_point(ch) for ch in text)


def has_rtl(text: str) -> bool:
    if not text or max(text) < "\u0590":  # below Hebrew, the first right-to-left block: no need to look closer
        return False
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def visual_order(text: str) -> list[tuple[int, str]]:
    """(logical index, character as drawn) in drawing order for one line of a left-to-right page
    (the Unicode bidirectional algorithm; mirrored brackets in right-to-left runs)."""
    storage = bidi_algorithm.get_empty_storage()
    storage["base_level"], storage["base_dir"] = 0, "L"
    bidi_algorithm.get_embedding_levels(text, storage)
    for index, ch in enumerate(storage["chars"]):
        ch["index"] = index
    bidi_algorithm.explicit_embed_and_overrides(storage, False)
    bidi_algorithm.resolve_weak_types(storage, False)
    bidi_algorithm.resolve_neutral_types(storage, False)
    bidi_algorithm.resolve_implicit_levels(storage, False)
    bidi_algorithm.reorder_resolved_levels(storage, False)
    bidi_algorithm.apply_mirroring(storage, False)
    return [(ch["index"], ch["ch"]) for ch in storage["chars"]]


def visual_line(text: str) -> str:
    """One line in drawing order (unchanged when it has no right-to-left letters)."""
    if not has_rtl(text):
        return text
    return "".join(ch for _i, ch in visual_order(text))


def _visual_frag_line(line: Any) -> Any:
    """A line of styled fragments (bold label, CJK run, …) in drawing order: the line's text is reordered
    as a whole and cut back into fragments that keep their own font and colour."""
    frags = line.words
    if any(hasattr(f, "cbDefn") or not isinstance(getattr(f, "text", None), str) for f in frags):
        return line
    text = "".join(f.text for f in frags)
    if not has_rtl(text):
        return line
    owner = [n for n, f in enumerate(frags) for _ch in f.text]
    pieces: list[Any] = []
    for index, ch in visual_order(text):
        source = frags[owner[index]]
        if pieces and pieces[-1][0] is source:
            pieces[-1][1].append(ch)
        else:
            pieces.append((source, [ch]))
    out = copy.copy(line)
    out.words = [f.clone(text="".join(chars)) for f, chars in pieces]
    return out


def _visual_lines(bl: Any) -> Any | None:
    """The paragraph's broken lines in drawing order, or None when no line has right-to-left letters."""
    if bl.kind == 0:
        if not any(has_rtl("".join(words)) for _extra, words in bl.lines):
            return None
        return bl.clone(lines=[(extra, visual_line(" ".join(words)).split(" ")) if has_rtl("".join(words))
                               else (extra, words) for extra, words in bl.lines])
    lines = [_visual_frag_line(line) for line in bl.lines]
    if all(new is old for new, old in zip(lines, bl.lines, strict=True)):
        return None
    return bl.clone(lines=lines)


KEPT_PARSE_CHARS = 600  # longer markup (free text) is rarely printed twice: parsed each time, not kept


def _parsed(text: str, style: Any, cleaner: Any, case_sensitive: int) -> tuple[str, Any, tuple, Any]:
    """ReportLab's parse of a paragraph's markup in ``style`` (cleaned text, style, fragments, bullet fragments),
    as Paragraph._setup makes it. A note has some 400 paragraphs, most of them the same words on every print
    ("Yes", "Injection", the labels): the markup parser was a seventh of its time (issue 19). The styles are
    made once (styles.py) and never changed, so a style is its own key."""
    if len(text) > KEPT_PARSE_CHARS:
        return _parse(text, style, cleaner, case_sensitive)
    return _kept_parse(text, style, cleaner, case_sensitive)


def _parse(text: str, style: Any, cleaner: Any, case_sensitive: int) -> tuple[str, Any, tuple, Any]:
    text = cleaner(text)
    parser = ParaParser()
    parser.caseSensitive = case_sensitive
    style, frags, bullet_frags = parser.parse(text, style)
    if frags is None:
        raise ValueError("xml parser error (%s) in paragraph beginning\n'%s'"  # noqa: UP031 - ReportLab's words
                         % (parser.errors[0], text[:min(30, len(text))]))
    textTransformFrags(frags, style)
    return text, style, tuple(frags), tuple(bullet_frags) if bullet_frags else None


_kept_parse = lru_cache(maxsize=4096)(_parse)


class BidiParagraph(Paragraph):
    """A Paragraph whose lines are drawn in visual order. Layout (wrapping, splitting across pages) works
    on the logical text; only drawing swaps in the reordered lines, so a split never reverses twice.

    It also breaks its lines once per width: a table cell is wrapped three times or more at the same width (a
    tall-cell check, the table's sizing, the drawing), each time breaking the same words into the same lines;
    that was a fifth of a note's time (issue 19). The lines depend only on the width, the text and the style."""

    def _setup(self, text: Any, style: Any, bulletText: Any, frags: Any, cleaner: Any) -> None:  # noqa: N803
        if frags is None:  # each paragraph gets its own copies of the fragments: layout marks them
            text, style, parsed, bullet = _parsed(text, style, cleaner, self.caseSensitive)
            frags = [f.clone() for f in parsed]
            if bullet:
                bulletText = [f.clone() for f in bullet]
        super()._setup(text, style, bulletText, frags, cleaner)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - ReportLab API
        kept = self.__dict__.get("_lines_at")
        if kept is not None and kept[0] == availWidth and kept[1] is self.frags and kept[2] is self.style:
            self.width, self._wrapWidths, self.blPara, self.height = availWidth, *kept[3:]
            return availWidth, self.height
        size = super().wrap(availWidth, availHeight)
        if self.__dict__.get("width") == availWidth and "blPara" in self.__dict__ and self.style.wordWrap != "RTL":
            self._lines_at = (availWidth, self.frags, self.style, self._wrapWidths, self.blPara, self.height)
        return size

    def drawPara(self, debug: int = 0) -> Any:  # noqa: N802 - ReportLab API
        logical = self.blPara
        visual = _visual_lines(logical)
        if visual is None:
            return super().drawPara(debug)
        self.blPara = visual
        try:
            return super().drawPara(debug)
        finally:
            self.blPara = logical
