"""History answers with an unknown state: "not asked" is never "no" (issue 13 item 2, product.md §4).

A patient's risk history used to be booleans and a free-text list, so a question nobody asked printed as a
negative: no allergies entered gave "No known allergies" on the signed note, no pregnancy question gave "Not
pregnant". Each history item now has an answer: ``yes``, ``no`` or ``unknown``, with who recorded it and
when. For allergies ``no`` is "no known allergies" chosen explicitly and ``yes`` is the list.

The positive stays where it was (the list, the anticoagulant's name, the booleans): an item is ``yes``
exactly when that value says so, whatever the stored answer, so every rule that reads ``patient.pregnant``
keeps working. The answer only tells ``no`` (asked, denied) from ``unknown`` (never asked). Unknown prints as
"Not recorded".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from tpi_notes.domain.none_answers import named_or_empty
from tpi_notes.paths import resources_dir

ITEMS = ("allergies", "anticoagulant", "bleeding_disorder", "diabetes", "pregnant", "breastfeeding",
         "immunosuppressed", "implanted_device")
STATES = ("yes", "no", "unknown")
NOT_RECORDED = "Not recorded"
MIGRATED = "migrated"  # recorded_by of an answer carried over by migration 0010 (who asked is not known)


@dataclass(frozen=True)
class Answer:
    state: str = "unknown"
    recorded_by: str = ""
    recorded_at: datetime | None = None


_UNKNOWN = Answer()


@dataclass(frozen=True)
class History:
    """The stored answer to each history item (items not stored are unknown)."""

    answers: tuple[tuple[str, Answer], ...] = field(default=())

    @classmethod
    def of(cls, **states: str | Answer) -> History:
        """``History.of(allergies="no", pregnant="no")`` (tests, the demo, the form)."""
        return cls(tuple(sorted((k, v if isinstance(v, Answer) else Answer(v)) for k, v in states.items())))

    def get(self, item: str) -> Answer:
        return dict(self.answers).get(item, _UNKNOWN)

    def with_answers(self, answers: Mapping[str, Answer]) -> History:
        merged = dict(self.answers) | dict(answers)
        return History(tuple(sorted(merged.items())))

    def to_json(self) -> dict[str, dict[str, Any]]:
        return {item: {"state": a.state, "recorded_by": a.recorded_by or None,
                       "recorded_at": a.recorded_at.isoformat() if a.recorded_at else None}
                for item, a in self.answers}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> History:
        out = {}
        for item, value in (raw or {}).items():
            if item not in ITEMS or not isinstance(value, Mapping):
                continue
            state = value.get("state") if value.get("state") in STATES else "unknown"
            when = value.get("recorded_at")
            out[item] = Answer(state, value.get("recorded_by") or "",
                               datetime.fromisoformat(when) if when else None)
        return cls(tuple(sorted(out.items())))


def positive(patient: Any, item: str) -> bool:
    """What the patient's own values say: an allergy listed, a drug named, a box ticked."""
    if item == "allergies":
        return bool(patient.allergies)
    if item == "anticoagulant":
        return bool(named_or_empty(patient.anticoagulant))
    return bool(getattr(patient, item))


def state_of(patient: Any, item: str) -> str:
    """``yes`` when the patient's values say so; else ``no`` only when a "no" was recorded; else ``unknown``."""
    if positive(patient, item):
        return "yes"
    if item == "anticoagulant" and (patient.anticoagulant or "").strip():
        return "no"  # "None", "n/a", "denies" typed: an answer (stored before saving normalised it)
    history = getattr(patient, "history", None)
    return "no" if history is not None and history.get(item).state == "no" else "unknown"


def states(patient: Any) -> dict[str, str]:
    return {item: state_of(patient, item) for item in ITEMS}


def history_context(patient: Any) -> dict[str, dict[str, Any]]:
    """Every item's effective answer with its stamp, as a signed context (content version 3) keeps it."""
    out = {}
    for item in ITEMS:
        state = state_of(patient, item)
        answer = patient.history.get(item)
        stamped = answer.state == state
        out[item] = {"state": state, "recorded_by": (answer.recorded_by or None) if stamped else None,
                     "recorded_at": answer.recorded_at.isoformat() if stamped and answer.recorded_at else None}
    return out


_FROM_VALUES: dict[str, dict[str, dict[str, Any]]] = {}


def history_from_values(values: Mapping[str, Any], stored: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """:func:`history_context` from stored patient values (a row's or a signed context's) and their answers
    (``None`` for a context signed before answers existed: only its positives are known).

    Remembered by what it reads (the items' values and the answers): an export asks it twice a session, for
    patients whose answers mostly repeat (issue 19). Each caller gets its own copy."""
    key = repr(([values.get(item) for item in ITEMS], stored))
    found = _FROM_VALUES.get(key)
    if found is None:
        found = history_context(_Values(values, History.from_json(stored)))
        if len(_FROM_VALUES) >= 4096:
            _FROM_VALUES.clear()
        _FROM_VALUES[key] = found
    return {item: dict(answer) for item, answer in found.items()}


class _Values:
    def __init__(self, values: Mapping[str, Any], history: History) -> None:
        self._values, self.history = values, history

    def __getattr__(self, name: str) -> Any:
        value = self._values.get(name)
        return tuple(value or ()) if name == "allergies" else ("" if value is None and name == "anticoagulant"
                                                                 else value)


def nullable(history: Mapping[str, Mapping[str, Any]], item: str) -> bool | None:
    """An export's boolean: true, false only when answered "no", null when never asked."""
    return {"yes": True, "no": False}.get(history.get(item, {}).get("state", "unknown"))


def yes_no_unknown(patient: Any, item: str) -> str:
    """"Yes", "No" or "Not recorded" for the note and the header."""
    return {"yes": "Yes", "no": "No"}.get(state_of(patient, item), NOT_RECORDED)


def pregnancy_text(patient: Any, relevant: bool) -> str:
    """The note's "Pregnancy / breastfeeding" line: both when both, never a negative nobody asserted."""
    pregnant, feeding = state_of(patient, "pregnant"), state_of(patient, "breastfeeding")
    if pregnant == "yes" or feeding == "yes":
        parts = [p for p, s in (("Pregnant", pregnant), ("Breastfeeding", feeding)) if s == "yes"]
        if pregnant != "yes":
            parts.append("not pregnant" if pregnant == "no" else "pregnancy not recorded")
        if feeding != "yes":
            parts.append("not breastfeeding" if feeding == "no" else "breastfeeding not recorded")
        return ", ".join(parts)
    if pregnant == "no" and feeding == "no":
        return "Not pregnant, not breastfeeding"
    if not relevant and pregnant == feeding == "unknown":
        return "Not applicable"
    if pregnant == "unknown" and feeding == "unknown":
        return NOT_RECORDED
    return ("Not pregnant" if pregnant == "no" else "Pregnancy not recorded") + ", " + (
        "not breastfeeding" if feeding == "no" else "breastfeeding not recorded")


def allergies_text(patient: Any) -> str:
    state = state_of(patient, "allergies")
    if state == "yes":  # each as typed, with its kind and reaction: "Kenalog (allergy, anaphylaxis)"
        from tpi_notes.domain.allergies import allergies_label, entries_of

        return allergies_label(entries_of(patient))
    return "No known allergies" if state == "no" else NOT_RECORDED


def anticoagulant_text(patient: Any) -> str:
    state = state_of(patient, "anticoagulant")
    if state == "yes":
        return named_or_empty(patient.anticoagulant)
    return "None" if state == "no" else NOT_RECORDED


# -- which answers signing needs ------------------------------------------------------------------------
@cache
def _questions() -> dict[str, Any]:
    path = resources_dir() / "rules" / "history-questions.json"
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    if raw.get("format") != "tpi-notes-history-questions":
        raise ValueError(f"{path} is not a tpi-notes-history-questions file")
    return raw


def pregnancy_relevant(sex: str, birth_date: date | None, day: date) -> bool:
    """Could this patient be pregnant on ``day`` (data: resources/rules/history-questions.json)?"""
    rule = _questions()["pregnancy"]
    if sex not in rule["sexes"]:
        return False
    if birth_date is None:
        return True
    age = day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
    return rule["min_age"] <= age <= rule["max_age"]


def unanswered_for_signing(patient: Any, day: date) -> list[tuple[str, str]]:
    """(item, message) for each history answer a note cannot be signed without."""
    out = []
    if _questions().get("allergies_required", True) and state_of(patient, "allergies") == "unknown":
        out.append(("allergies", "Review the allergies with the patient (or choose “No known allergies”) in "
                                 "the patient's details."))
    if pregnancy_relevant(patient.sex, patient.birth_date, day):
        for item, word in (("pregnant", "pregnancy"), ("breastfeeding", "breastfeeding")):
            if state_of(patient, item) == "unknown":
                out.append((item, f"Ask about {word} and record the answer in the patient's details."))
    return out


def anticoagulant_choices() -> list[tuple[str, str]]:
    """(name, kind) of the pick-list's agents (resources/rules/anticoagulants.json)."""
    path = resources_dir() / "rules" / "anticoagulants.json"
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    if raw.get("format") != "tpi-notes-anticoagulants":
        raise ValueError(f"{path} is not a tpi-notes-anticoagulants file")
    return [(a["name"], a["kind"]) for a in raw["agents"]]


def recorded(before: Any | None, after: Any, who: str, when: datetime) -> History:
    """``after``'s history with each answer set to its effective state; an answer that changed (or is new)
    is stamped ``who``/``when``, the others keep their stamp."""
    answers = {}
    for item in ITEMS:
        state = state_of(after, item)
        old = before.history.get(item) if before is not None else None
        old_state = state_of(before, item) if before is not None else None
        if state == "unknown":
            answers[item] = Answer()
        elif old is not None and old_state == state and old.recorded_at is not None:
            answers[item] = Answer(state, old.recorded_by, old.recorded_at)
        else:
            answers[item] = Answer(state, who, when)
    return History(tuple(sorted(answers.items())))
