"""Reading what a printed procedure note carries so it can be checked against the record.

A signed note prints a QR code holding ``tpi-notes:session:<number>:sha256:<64 hex>`` (a USB scanner types
it into a field like a keyboard) and, in every footer, the first 16 hex of the hash. Either identifies the
signed content the paper shows: the QR payload, or the session number with at least 12 leading hex digits of
the hash typed from the footer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tpi_notes.domain.errors import ValidationError

MIN_PREFIX = 12  # 48 bits: a typed prefix this long matches another signed content by chance essentially never
_PAYLOAD = re.compile(r"tpi-notes:session:(\d{1,9}):sha256:([0-9a-f]{64})")
_TYPED = re.compile(r"#?\s*(\d{1,9})\s*[,;:/\s]\s*(?:sha-?256\s*)?([0-9a-f]+)(?:…|\.\.\.)?")


@dataclass(frozen=True)
class PrintedNote:
    """What the paper says: the session and its hash (whole, or a prefix typed from the footer)."""

    session_id: int
    sha256: str

    @property
    def complete(self) -> bool:
        return len(self.sha256) == 64


def parse_printout(text: str) -> PrintedNote:
    """The scanned QR payload, or "session number and hash prefix" as typed; ValidationError otherwise."""
    cleaned = " ".join((text or "").strip().lower().split())
    if not cleaned:
        raise ValidationError({"printout": "Scan the note's QR code, or type the session number and the hash "
                                            "from its footer."})
    found = _PAYLOAD.fullmatch(cleaned.replace(" ", ""))
    if found:
        return PrintedNote(int(found.group(1)), found.group(2))
    typed = _TYPED.fullmatch(cleaned)
    if typed is None:
        raise ValidationError({"printout": "This is not a tpi-notes QR code. Type the session number, a space "
                                            "and the hash from the note's footer (e.g. 21 2c3ce37289ed2c32)."})
    digest = typed.group(2)
    if len(digest) < MIN_PREFIX or len(digest) > 64:
        raise ValidationError({"printout": f"Type at least {MIN_PREFIX} characters of the hash (the footer shows "
                                            "16), and no more than 64."})
    return PrintedNote(int(typed.group(1)), digest)
