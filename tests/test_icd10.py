"""ICD-10-CM search over the full code set; headers are refused."""

from __future__ import annotations

from tpi_notes.domain import icd10


def test_common_codes_first_and_by_words() -> None:
    assert [d.code for d in icd10.search("myalgia", 4)] == ["M79.10", "M79.11", "M79.12", "M79.18"]
    assert icd10.search("cervicalgia")[0].code == "M54.2"
    assert icd10.search("tension head")[0].code.startswith("G44.2")


def test_code_prefix_with_or_without_the_dot() -> None:
    assert {d.code for d in icd10.search("M79.1")} == {"M79.10", "M79.11", "M79.12", "M79.18"}
    assert {d.code for d in icd10.search("m791")} == {"M79.10", "M79.11", "M79.12", "M79.18"}


def test_full_code_set_is_there() -> None:
    assert icd10.lookup("S39.92XS") is not None  # far from the pain chapter
    assert icd10.lookup("m79.12").display == "Myalgia of auxiliary muscles, head and neck"


def test_headers_and_unknown_codes_are_refused() -> None:
    assert icd10.lookup("M54.5") is None  # deleted as a billable code in FY2022
    assert icd10.lookup("M79.1") is None
    assert icd10.lookup("Q99.999") is None
    assert icd10.search("zzzz") == []
