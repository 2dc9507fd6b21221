"""The canonical form behind every signature must never drift: a changed serialisation would make every
signed note in every clinic read as tampered. These pin it: a golden hash, and the fast normaliser checked
against the plain definition it replaced."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tpi_notes.domain.signing import _normalise, content_sha256


def _reference(value: Any) -> Any:
    """The definition: datetimes to the second, dates as ISO text, floats to 6 places, mappings and
    sequences element by element, anything else as it is."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, Mapping):
        return {str(k): _reference(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_reference(v) for v in value]
    return value


_LEAVES = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
           | st.dates() | st.datetimes())
_VALUES = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                       | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4), max_leaves=20)


@given(_VALUES)
def test_the_fast_normaliser_agrees_with_the_definition(value: Any) -> None:
    assert _normalise(value) == _reference(value)


def test_a_known_content_keeps_its_known_hash() -> None:
    content = {"session": {"performed_start": datetime(2026, 3, 4, 9, 30, 12, 999), "pain_before": 7,
                           "timeout_done": True, "indication": "Neck pain & <stiffness>", "volume": 0.1 + 0.2},
               "sites": [{"number": 1, "side": "L", "x": 0.25, "note": None}], "diagnoses": ({"code": "M79.18"},)}
    assert content_sha256(content) == GOLDEN_V1
    assert content_sha256(content, 2) == GOLDEN_V2


GOLDEN_V1 = "7b28b57932b4e0722d23ee33a3db52893bd8ccf54904dc2acddc907222ba6eb4"
GOLDEN_V2 = "1121e6862bcdee6f8e7e373429bc253fb58bfcddb5c6bd0fbdcf2b7add0b39cb"
