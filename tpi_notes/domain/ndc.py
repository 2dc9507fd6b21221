"""National Drug Codes (clinical-reference §2.5, §9.3): the forms on packages, and the 11-digit form claims use.

A package prints a 10-digit NDC in three segments (4-4-2, 5-3-2 or 5-4-1); claims want the 11-digit 5-4-2 form,
made by padding the short segment with a leading zero (so which segment is short must be known: a 10-digit NDC
is only accepted with its dashes). The 11-digit 5-4-2 form is accepted with or without dashes, and the FDA's
12-digit 6-4-2 format (final rule of March 2026, in force from 2033) with or without dashes; a 12-digit NDC has no
11-digit form (its claims format is not set yet), so it is billed as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

FORMS = ((4, 4, 2), (5, 3, 2), (5, 4, 1), (5, 4, 2), (6, 4, 2))
HINT = ("An NDC has three groups of digits: 4-4-2, 5-3-2 or 5-4-1 (10 digits), 5-4-2 (11, the billing form) or "
        "6-4-2 (the FDA's 12-digit format), e.g. 12345-6789-01.")


@dataclass(frozen=True)
class Ndc:
    labeler: str
    product: str
    package: str

    @property
    def dashed(self) -> str:
        """As printed on the package: "0409-4888-02"."""
        return f"{self.labeler}-{self.product}-{self.package}"

    @property
    def billing(self) -> str:
        """The 11-digit 5-4-2 form without dashes that claims carry ("00409488802"); a 12-digit NDC unchanged."""
        if len(self.labeler) == 6:
            return self.labeler + self.product + self.package
        return self.labeler.zfill(5) + self.product.zfill(4) + self.package.zfill(2)

    @property
    def billing_dashed(self) -> str:
        """The billing form with its dashes, for people: "00409-4888-02"."""
        digits = self.billing
        if len(digits) == 12:
            return f"{digits[:6]}-{digits[6:10]}-{digits[10:]}"
        return f"{digits[:5]}-{digits[5:9]}-{digits[9:]}"


def parse_ndc(text: str) -> Ndc:
    """The NDC in ``text`` (spaces ignored); ValueError with a message for a person when it is not one."""
    value = "".join(text.split())
    if value.isascii() and value.isdigit() and len(value) in (11, 12):
        cut = len(value) - 6  # 5-4-2 or 6-4-2
        return Ndc(value[:cut], value[cut:cut + 4], value[cut + 4:])
    parts = value.split("-")
    if len(parts) == 3 and all(p.isascii() and p.isdigit() for p in parts) and \
            tuple(len(p) for p in parts) in FORMS:
        return Ndc(*parts)
    raise ValueError(f"“{text.strip()}” is not an NDC. {HINT}")


@lru_cache(maxsize=1024)  # a pure function of the text: a clinic has a few lots, an export reads them per site
def billing_ndc(text: str | None) -> str:
    """The 11-digit billing form of a stored NDC, "" when there is none or it cannot be read."""
    if not text or not text.strip():
        return ""
    try:
        return parse_ndc(text).billing
    except ValueError:
        return ""
