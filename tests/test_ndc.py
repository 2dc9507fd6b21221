"""NDC formats (issue 15 item 6; clinical-reference §9.3): every package form read, claims in the 11-digit form."""

from __future__ import annotations

import pytest

from tpi_notes.domain.formulary_input import normalise_ndc
from tpi_notes.domain.ndc import billing_ndc, parse_ndc


@pytest.mark.parametrize(("text", "billing"), [
    ("0409-4888-02", "00409488802"),      # 4-4-2: the labeler padded
    ("12345-678-90", "12345067890"),      # 5-3-2: the product padded
    ("12345-6789-0", "12345678900"),      # 5-4-1: the package padded
    ("12345-6789-01", "12345678901"),     # 5-4-2: already the billing form
    ("12345678901", "12345678901"),       # 11 digits without dashes
    (" 00409 4888 02 ", "00409488802"),   # spaces typed instead of dashes
    ("123456-7890-12", "123456789012"),   # the FDA's 12-digit 6-4-2 format
    ("123456789012", "123456789012"),
])
def test_every_ndc_form_gives_its_billing_form(text: str, billing: str) -> None:
    assert parse_ndc(text).billing == billing
    assert billing_ndc(text) == billing


@pytest.mark.parametrize("text", ["1234567890", "12345-67890-1", "1234-567-89", "ABCDE-6789-01", "١٢٣٤٥-6789-01",
                                  "12345-6789-012", "1234567890123"])
def test_what_is_not_an_ndc_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an NDC"):
        parse_ndc(text)
    assert billing_ndc(text) == ""


def test_a_lot_accepts_the_twelve_digit_format_and_keeps_the_package_form() -> None:
    assert normalise_ndc("123456789012") == "123456-7890-12"
    assert normalise_ndc("0409-4888-02") == "0409-4888-02"  # the claim pads it, the lot keeps what the box says
    assert parse_ndc("0409-4888-02").billing_dashed == "00409-4888-02"
