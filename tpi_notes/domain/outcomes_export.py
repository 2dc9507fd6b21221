"""Outcomes in the exports (issue 17 item 5; docs/export-format.md): JSON Lines ``peg`` and ``prior_response``,
the CSV's ``peg_score``, and reading them back for ``tpi-notes assess``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from tpi_notes.domain.export_records import local_iso
from tpi_notes.domain.outcomes import (
    PEG,
    PEG_ITEMS,
    PriorResponse,
    ScaleScore,
    peg,
    peg_of,
    scale_definitions,
)


def peg_json(scales: Iterable[ScaleScore], zone: tzinfo | None = None) -> dict[str, Any] | None:
    """``{"pain", "enjoyment", "activity", "score", "measured_at"}``, or None when no PEG was recorded."""
    found = peg_of(scales)
    if found is None:
        return None
    return {**{item: found.item(item) for item in PEG_ITEMS}, "score": found.score,
            "measured_at": local_iso(found.measured_at, zone)}


def scales_json(scales: Iterable[ScaleScore], zone: tzinfo | None = None) -> list[dict[str, Any]]:
    """Every functional scale recorded at the visit, the PEG-3 too (also in ``peg``), the NDI and the ODI when the
    clinic records them: ``{"scale", "items", "score", "measured_at"}`` by scale code."""
    return [{"scale": s.scale, "items": list(s.items), "score": s.score, "measured_at": local_iso(s.measured_at, zone)}
            for s in sorted(scales, key=lambda s: s.scale)]


def responses_json(responses: Iterable[PriorResponse]) -> list[dict[str, Any]]:
    return [{"muscle_id": r.muscle_id, "side": r.side, "relief_pct": r.relief_pct, "duration_weeks": r.duration_weeks,
             "lasting": r.lasting, "prior_session_id": r.prior_session_id} for r in responses]


def peg_score_cell(scales: Iterable[ScaleScore]) -> str:
    found = peg_of(scales)
    score = found.score if found else None
    return "" if score is None else f"{score:.1f}"


def _whole(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} is not a whole number")
    return value


def scales_from_json(obj: Mapping[str, Any]) -> tuple[ScaleScore, ...]:
    """The line's ``peg``, and the other scales of its ``scales`` (NDI, ODI), as scales (ValueError names what is
    wrong)."""
    others = _other_scales(obj.get("scales") or [])
    raw = obj.get("peg")
    if raw is None:
        return others
    if not isinstance(raw, Mapping):
        raise ValueError("peg is not an object")
    items = [_whole(raw.get(item), f"peg.{item}") for item in PEG_ITEMS]
    if any(v is not None and not 0 <= v <= 10 for v in items):
        raise ValueError("peg: each item is 0 to 10")
    at = raw.get("measured_at")
    try:
        when = datetime.fromisoformat(at).replace(tzinfo=None) if isinstance(at, str) else None
    except ValueError:
        raise ValueError("peg.measured_at is not an ISO date and time") from None
    return (*others, peg(*items, measured_at=when))


def _when(at: Any, what: str) -> datetime | None:
    try:
        return datetime.fromisoformat(at).replace(tzinfo=None) if isinstance(at, str) else None
    except ValueError:
        raise ValueError(f"{what} is not an ISO date and time") from None


def _other_scales(raw: Any) -> tuple[ScaleScore, ...]:
    """``scales`` entries other than the PEG-3 (read from ``peg``), checked against the scales' definitions."""
    if not isinstance(raw, list):
        raise ValueError("scales is not a list")
    definitions = scale_definitions()
    out = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, Mapping) or entry.get("scale") not in definitions:
            raise ValueError(f"scales[{i}] needs a scale ({', '.join(definitions)})")
        if entry["scale"] == PEG:
            continue
        d = definitions[entry["scale"]]
        items = entry.get("items")
        if not isinstance(items, list) or len(items) != len(d.item_ids):
            raise ValueError(f"scales[{i}].items: {len(d.item_ids)} answers expected")
        values = tuple(_whole(v, f"scales[{i}].items") for v in items)
        if any(v is not None and not 0 <= v <= d.item_max for v in values):
            raise ValueError(f"scales[{i}]: each item is 0 to {d.item_max}")
        out.append(ScaleScore(d.code, values, _when(entry.get("measured_at"), f"scales[{i}].measured_at")))
    return tuple(out)


def responses_from_json(obj: Mapping[str, Any]) -> tuple[PriorResponse, ...]:
    raw = obj.get("prior_response") or []
    if not isinstance(raw, list):
        raise ValueError("prior_response is not a list")
    out = []
    for i, r in enumerate(raw):
        if not isinstance(r, Mapping) or not isinstance(r.get("muscle_id"), str) or r.get("side") not in ("L", "R"):
            raise ValueError(f"prior_response[{i}] needs a muscle_id and a side (L or R)")
        prior = _whole(r.get("prior_session_id"), f"prior_response[{i}].prior_session_id")
        out.append(PriorResponse(prior or 0, r["muscle_id"], r["side"],
                                 _whole(r.get("relief_pct"), f"prior_response[{i}].relief_pct"),
                                 _whole(r.get("duration_weeks"), f"prior_response[{i}].duration_weeks"),
                                 bool(r.get("lasting"))))
    return tuple(out)
