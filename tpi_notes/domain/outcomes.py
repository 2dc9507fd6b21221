"""Outcomes (issue 17, product.md §12): a functional scale each visit and the response to the last session per muscle.

A visit records PEG-3 (clinical-reference §9.2: pain on average, interference with enjoyment of life and with
general activity, 0-10 each; the score is their mean, to one decimal) or a scale the clinic enabled (NDI, ODI:
item scoring only, resources/scales). A returning patient's session also records, per muscle and side treated
last time, the relief it gave (%) and how long it lasted (weeks, or still lasting). Both belong to the session and
sit under its signature (content version 6, domain/signing.py).

The response classes are what the response map colours and the LCD's repeat rule reads: at least 50 % relief for
at least 6 weeks ("good", the 2024 Medicare TPI LCDs' bar for a repeat, clinical-reference §2.7), some relief
("partial": 30 % or more, or 50 % that did not last 6 weeks), none (under 30 %, the change commonly read as
clinically meaningful), or not recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from tpi_notes.paths import resources_dir

PEG = "peg"
PEG_ITEMS = ("pain", "enjoyment", "activity")
GOOD_RELIEF_PCT = 50
GOOD_RELIEF_WEEKS = 6
PARTIAL_RELIEF_PCT = 30
RESPONSE_CLASSES = ("good", "partial", "none", "not_recorded")
RESPONSE_LABELS = {"good": "≥ 50 % for ≥ 6 weeks", "partial": "Partial", "none": "None (< 30 %)",
                   "not_recorded": "Not recorded"}


@dataclass(frozen=True)
class ScaleDefinition:
    code: str
    name: str
    item_ids: tuple[str, ...]
    item_labels: tuple[str, ...]
    item_max: int
    score: str  # "mean" or "percent_of_answered"
    decimals: int
    unit: str


@lru_cache(maxsize=1)
def scale_definitions() -> dict[str, ScaleDefinition]:
    """The scales a clinic may record (resources/scales/functional-scales.json), PEG-3 first."""
    raw = json.loads((resources_dir() / "scales" / "functional-scales.json").read_text(encoding="utf-8"))
    return {code: ScaleDefinition(code, s["name"], tuple(i["id"] for i in s["items"]),
                                  tuple(i["label"] for i in s["items"]), int(s["item_max"]), s["score"],
                                  int(s["decimals"]), s.get("unit", ""))
            for code, s in raw["scales"].items()}


def scale_score(scale: str, items: Sequence[int | None]) -> float | None:
    """The scale's score: PEG the mean of its three items (all needed); NDI/ODI the percent of the answered
    sections' maximum (at least 8 of 10 answered, as their scoring instructions allow one or two missing)."""
    definition = scale_definitions().get(scale)
    if definition is None:
        return None
    answered = [int(v) for v in items if v is not None]
    if definition.score == "mean":
        if len(answered) != len(definition.item_ids):
            return None
        return round(sum(answered) / len(answered) + 1e-9, definition.decimals)
    if len(answered) < len(definition.item_ids) - 2:
        return None
    return round(100 * sum(answered) / (definition.item_max * len(answered)), definition.decimals)


@dataclass(frozen=True)
class ScaleScore:
    """One functional scale measured at a visit (before the procedure)."""

    scale: str
    items: tuple[int | None, ...]
    measured_at: datetime | None = None
    measured_by_id: int | None = None
    # The label read with the row ("N. Nurse, RN"); not stored, and not part of equality: the editor compares the
    # draft it shows with the one it loaded, and a label it cannot rebuild must not mark an untouched draft modified.
    measured_by: str = field(default="", compare=False)

    @property
    def score(self) -> float | None:
        return scale_score(self.scale, self.items)

    @property
    def complete(self) -> bool:
        return self.score is not None

    def item(self, item_id: str) -> int | None:
        ids = scale_definitions()[self.scale].item_ids
        return self.items[ids.index(item_id)] if item_id in ids and ids.index(item_id) < len(self.items) else None


def peg_of(scales: Iterable[ScaleScore]) -> ScaleScore | None:
    return next((s for s in scales if s.scale == PEG), None)


def peg(pain: int | None, enjoyment: int | None, activity: int | None, measured_at: datetime | None = None,
        measured_by_id: int | None = None) -> ScaleScore:
    return ScaleScore(PEG, (pain, enjoyment, activity), measured_at, measured_by_id)


@dataclass(frozen=True)
class PriorResponse:
    """The response to one muscle and side treated at an earlier session, recorded at this one."""

    prior_session_id: int
    muscle_id: str
    side: str
    relief_pct: int | None = None
    duration_weeks: int | None = None
    lasting: bool = False  # relief still lasting today (duration_weeks then counts up to today)

    @property
    def key(self) -> tuple[int, str, str]:
        return self.prior_session_id, self.muscle_id, self.side


def response_class(relief_pct: int | None, duration_weeks: int | None, lasting: bool = False) -> str:
    """``good`` / ``partial`` / ``none`` / ``not_recorded`` (module docstring)."""
    if relief_pct is None:
        return "not_recorded"
    if relief_pct >= GOOD_RELIEF_PCT and (duration_weeks or 0) >= GOOD_RELIEF_WEEKS:
        return "good"
    if relief_pct >= PARTIAL_RELIEF_PCT:
        return "partial"
    return "none"


def response_text(r: PriorResponse) -> str:
    """"60 % relief, 8 weeks (still lasting)" / "not recorded"."""
    if r.relief_pct is None:
        return "not recorded"
    if r.lasting:
        weeks = f"still lasting at {r.duration_weeks} weeks" if r.duration_weeks is not None else "still lasting"
    elif r.duration_weeks is not None:
        weeks = f"lasted {r.duration_weeks} week{'s' if r.duration_weeks != 1 else ''}"
    else:
        weeks = "duration not recorded"
    return f"{r.relief_pct} % relief, {weeks}"


def weeks_between(earlier: datetime, later: datetime) -> int:
    return max(0, (later.date() - earlier.date()).days // 7)


@dataclass(frozen=True)
class PegChange:
    """A PEG score beside the first and the previous one (None when there is none to compare)."""

    score: float
    first: float | None
    first_at: datetime | None
    last: float | None
    last_at: datetime | None

    @staticmethod
    def _text(now: float, then: float | None, when: datetime | None, what: str) -> str:
        if then is None or when is None:
            return f"no earlier PEG ({what})"
        delta = round(now - then, 1)
        pct = f", {round(100 * delta / then):+d} %" if then else ""
        return f"{delta:+.1f}{pct} since the {what} visit ({then:.1f} on {when:%Y-%m-%d})"

    def since_first(self) -> str:
        return self._text(self.score, self.first, self.first_at, "first")

    def since_last(self) -> str:
        return self._text(self.score, self.last, self.last_at, "last")


def peg_change(score: float, earlier: Sequence[tuple[datetime, float]]) -> PegChange:
    """``earlier``: (date, PEG score) of the patient's earlier visits, any order."""
    ordered = sorted(earlier)
    first = ordered[0] if ordered else None
    last = ordered[-1] if ordered else None
    return PegChange(score, first[1] if first else None, first[0] if first else None,
                     last[1] if last else None, last[0] if last else None)


def scales_content(scales: Iterable[ScaleScore]) -> list[dict[str, Any]]:
    """The scales as signed (stored values only, never the derived score)."""
    return sorted(({"scale": s.scale, "items": list(s.items), "measured_at": s.measured_at,
                    "measured_by_id": s.measured_by_id} for s in scales), key=lambda x: x["scale"])


def responses_content(responses: Iterable[PriorResponse]) -> list[dict[str, Any]]:
    return sorted(({"prior_session_id": r.prior_session_id, "muscle_id": r.muscle_id, "side": r.side,
                    "relief_pct": r.relief_pct, "duration_weeks": r.duration_weeks, "lasting": r.lasting}
                   for r in responses), key=lambda x: (x["prior_session_id"], x["muscle_id"], x["side"]))


def validate(scales: Iterable[ScaleScore], responses: Iterable[PriorResponse]) -> list[tuple[str, str]]:
    """(field, message) for each value out of range; the editor's buttons cannot make one, a journal or a bug can."""
    problems = []
    defs = scale_definitions()
    for s in scales:
        d = defs.get(s.scale)
        if d is None:
            problems.append((f"scale.{s.scale}", f"Unknown functional scale {s.scale!r}."))
            continue
        if len(s.items) != len(d.item_ids) or any(v is not None and not 0 <= v <= d.item_max for v in s.items):
            problems.append((f"scale.{s.scale}", f"{d.name}: each item is 0 to {d.item_max}."))
    for r in responses:
        if r.relief_pct is not None and not 0 <= r.relief_pct <= 100:
            problems.append(("prior_response", "Relief is a percentage from 0 to 100."))
        if r.duration_weeks is not None and not 0 <= r.duration_weeks <= 520:
            problems.append(("prior_response", "Relief lasted 0 to 520 weeks."))
    return problems


@dataclass(frozen=True)
class TreatedMuscle:
    muscle_id: str
    side: str
    muscle: str  # the name the session's site gave it ("Upper trapezius")

    @property
    def label(self) -> str:
        return f"{self.side} {self.muscle.lower()}"


@dataclass(frozen=True)
class PriorSession:
    """What the editor shows of a patient's last signed session: its date, muscles and sides, agents."""

    id: int
    performed_start: datetime
    muscles: tuple[TreatedMuscle, ...]
    agents: tuple[str, ...]
    techniques: tuple[str, ...]

    @property
    def summary(self) -> str:
        agents = ", ".join(self.agents) if self.agents else "dry needling"
        return f"{self.performed_start:%Y-%m-%d} ({agents})"


@dataclass(frozen=True)
class MuscleResponse:
    """The latest recorded response of one muscle and side (the response map's colour)."""

    muscle_id: str
    side: str
    muscle: str
    treated_on: datetime  # the session whose response this is (or the last treatment, when not recorded)
    response: PriorResponse | None

    @property
    def klass(self) -> str:
        r = self.response
        return "not_recorded" if r is None else response_class(r.relief_pct, r.duration_weeks, r.lasting)


@dataclass(frozen=True)
class PatientOutcomes:
    """The patient page's outcomes: each treated muscle's latest response, and the PEG trend (date, score)."""

    muscles: tuple[MuscleResponse, ...]
    peg: tuple[tuple[datetime, float], ...]

    def text(self) -> str:
        """The response map as words (its text alternative)."""
        if not self.muscles:
            return "No muscle treated yet."
        lines = []
        for m in sorted(self.muscles, key=lambda m: (RESPONSE_CLASSES.index(m.klass), m.muscle, m.side)):
            what = response_text(m.response) if m.response else "response not recorded"
            lines.append(f"{m.side} {m.muscle.lower()}: {RESPONSE_LABELS[m.klass].lower()} — {what} "
                         f"(treated {m.treated_on:%Y-%m-%d})")
        return "\n".join(lines)


def latest_responses(treated: Sequence[tuple[int, datetime, TreatedMuscle]],
                     recorded: Sequence[tuple[int, datetime, PriorResponse]]) -> tuple[MuscleResponse, ...]:
    """Each muscle and side ever treated, with the response recorded for its latest treatment that has one.

    ``treated``: (session id, date, muscle) of the patient's signed sessions; ``recorded``: (recording session id,
    date, response) oldest first. A muscle treated again since its last recorded response keeps that response
    until the new one is recorded (what the physician knows of it); one never recorded is "not recorded"."""
    when = {sid: at for sid, at, _m in treated}
    latest: dict[tuple[str, str], tuple[datetime, PriorResponse]] = {}
    for _sid, _at, r in recorded:
        at = when.get(r.prior_session_id)
        if at is None:
            continue
        key = (r.muscle_id, r.side)
        if key not in latest or at >= latest[key][0]:
            latest[key] = (at, r)
    out: dict[tuple[str, str], MuscleResponse] = {}
    for _sid, at, m in sorted(treated, key=lambda t: t[1]):
        key = (m.muscle_id, m.side)
        found = latest.get(key)
        out[key] = (MuscleResponse(m.muscle_id, m.side, m.muscle, found[0], found[1]) if found else
                    MuscleResponse(m.muscle_id, m.side, m.muscle, at, None))
    return tuple(out.values())
