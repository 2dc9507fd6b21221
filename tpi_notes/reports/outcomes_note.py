"""The note's "Function and response to prior injections" section (issue 17): the PEG-3 with its date, who
measured it and the change since the first and the last visit (the NDI and the ODI alike, in percentage points,
when the clinic records them), and the response recorded for each muscle and side of an earlier session (its date,
muscle, agents, relief and how long it lasted; clinical-reference §1.2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.styles import StyleSheet1
from reportlab.platypus import Flowable

from tpi_notes.domain.outcomes import (
    PEG,
    PriorResponse,
    ScaleScore,
    peg_change,
    response_text,
    scale_definitions,
)
from tpi_notes.reports.tables import grid, pair_rows

RESPONSE_HEADER = ("Session", "Muscle and side", "Agents", "Relief", "Duration")


@dataclass(frozen=True)
class NoteOutcomes:
    """Plain text for the section: label/value pairs for the scales, one row per response."""

    scales: tuple[tuple[str, str], ...] = ()
    responses: tuple[tuple[str, str, str, str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.scales and not self.responses


def _points(now: float, then: float | None, when: datetime | None, code: str, what: str) -> str:
    """A percent scale's change (NDI, ODI) in percentage points: "-20 points since the first visit (60 % on …)"."""
    if then is None or when is None:
        return f"no earlier {code.upper()} ({what})"
    return f"{round(now - then):+d} points since the {what} visit ({then:g} % on {when:%Y-%m-%d})"


def _scale_pairs(scale: ScaleScore, earlier: Sequence[tuple[datetime, float]]) -> list[tuple[str, str]]:
    """``earlier``: (date, score) of the same scale at the patient's signed visits before this one."""
    d = scale_definitions()[scale.scale]
    when = f"{scale.measured_at:%Y-%m-%d %H:%M}" if scale.measured_at else "date not recorded"
    by = f" by {scale.measured_by}" if scale.measured_by else ""
    items = ", ".join(f"{label.split(' (')[0].lower()} {'—' if v is None else v}"
                      for label, v in zip(d.item_labels, scale.items, strict=False))
    score = scale.score
    unit = f" {d.unit}" if d.unit == "%" else d.unit
    value = f"{items}: score {'not complete' if score is None else f'{score:g}{unit}'}"
    short = "" if scale.scale == PEG else f"{scale.scale.upper()}, "  # "Neck Disability Index (NDI, 2026-…)"
    pairs = [(f"{d.name} ({short}{when}{by})", value)]
    if score is None:
        return pairs
    change = peg_change(score, earlier)  # the first and the last earlier score, whatever the scale
    if scale.scale == PEG:
        pairs.append(("PEG change", f"{change.since_first()}; {change.since_last()}"))
    else:
        pairs.append((f"{scale.scale.upper()} change",
                      f"{_points(score, change.first, change.first_at, scale.scale, 'first')}; "
                      f"{_points(score, change.last, change.last_at, scale.scale, 'last')}"))
    return pairs


def note_outcomes(scales: Sequence[ScaleScore], responses: Sequence[PriorResponse],
                  earlier_peg: Sequence[tuple[datetime, float]],
                  treated: Mapping[int, tuple[datetime, Mapping[tuple[str, str], str], Sequence[str]]],
                  earlier_scales: Mapping[str, Sequence[tuple[datetime, float]]] | None = None) -> NoteOutcomes:
    """``earlier_peg``: (date, score) of the patient's signed visits before this one; ``treated``: per earlier
    session id, its date, muscle names by (muscle id, side) and agents (repositories/outcomes.sessions_treated);
    ``earlier_scales``: the same as ``earlier_peg`` for the other scales (NDI, ODI) by code."""
    pairs: list[tuple[str, str]] = []
    for scale in scales:
        pairs += _scale_pairs(scale, earlier_peg if scale.scale == PEG else (earlier_scales or {}).get(scale.scale, ()))
    if pairs and not any(s.scale == PEG for s in scales):
        pairs.append(("PEG-3", "not recorded at this visit"))
    rows = []
    for r in sorted(responses, key=lambda r: (treated.get(r.prior_session_id, (datetime.min,))[0], r.muscle_id,
                                              r.side)):
        at, muscles, agents = treated.get(r.prior_session_id, (None, {}, ()))
        muscle = muscles.get((r.muscle_id, r.side), r.muscle_id.replace("_", " "))
        relief = "not recorded" if r.relief_pct is None else f"{r.relief_pct} %"
        duration = response_text(r).split(", ", 1)[1] if r.relief_pct is not None else (
            "still lasting" if r.lasting else "—")
        rows.append((f"{at:%Y-%m-%d} (#{r.prior_session_id})" if at else f"#{r.prior_session_id}",
                     f"{r.side} {muscle.lower()}", ", ".join(agents) or "dry needling", relief, duration))
    return NoteOutcomes(tuple(pairs), tuple(rows))


def outcomes_section(outcomes: NoteOutcomes | None, st: StyleSheet1, section) -> list[Flowable]:  # noqa: ANN001
    """The section's flowables (``section``: the note's own heading maker); nothing for a note without outcomes."""
    if outcomes is None or outcomes.empty:  # nothing recorded (every note from before issue 17): no section
        return []
    out: list[Flowable] = [*section("Function and response to prior injections", st), *pair_rows(outcomes.scales, st,
                                                                                                 columns=1)]
    if outcomes.responses:
        out.append(grid(RESPONSE_HEADER, outcomes.responses, (3.2, 4.4, 6.4, 1.6, 3.6), st))
    return out
