"""Which sign blockers carry their usual answer inline in the findings panel (resources/rules/inline-answers.json).

Data, not code, so a clinic that answers otherwise changes the file: a blocker's field (exact, or a suffix such
as ``.lot_number`` for every syringe drug) names the kind of answer shown beside its link. The answer is never
given for the user: it is a button to press, as on the field's own tab.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from tpi_notes.paths import resources_dir

FORMAT = "tpi-notes-inline-answers"
KINDS = ("lots", "pain_scale", "choices")


@dataclass(frozen=True)
class Choice:
    label: str  # on the button
    text: str  # written into the field


@dataclass(frozen=True)
class InlineAnswer:
    kind: str
    field: str = ""
    field_suffix: str = ""
    choices: tuple[Choice, ...] = ()

    def matches(self, field: str) -> bool:
        return field == self.field if self.field else bool(self.field_suffix) and field.endswith(self.field_suffix)


@dataclass(frozen=True)
class InlineAnswers:
    answers: tuple[InlineAnswer, ...]

    def for_field(self, field: str) -> InlineAnswer | None:
        return next((a for a in self.answers if a.matches(field)), None)


def parse_inline_answers(raw: dict) -> InlineAnswers:
    if raw.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} file")
    answers = []
    for entry in raw.get("answers", []):
        kind = str(entry.get("answer", ""))
        if kind not in KINDS:
            raise ValueError(f"unknown inline answer {kind!r} (expected one of {', '.join(KINDS)})")
        choices = tuple(Choice(str(c.get("label") or c["text"]), str(c["text"])) for c in entry.get("choices", []))
        answers.append(InlineAnswer(kind, str(entry.get("field", "")), str(entry.get("field_suffix", "")), choices))
    return InlineAnswers(tuple(answers))


@cache
def inline_answers() -> InlineAnswers:
    path = resources_dir() / "rules" / "inline-answers.json"
    try:
        return parse_inline_answers(json.loads(path.read_text(encoding="utf-8")))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
