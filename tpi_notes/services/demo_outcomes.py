"""The demo clinic's outcomes (issue 17 item 6): a PEG-3 at every visit and, from the second, the response to the
patient's last signed session per muscle and side, so the response map, the trends and the clinic report show
something real on first run.

Believable rather than random: each patient is mostly a responder (about two in three), a partial responder or a
non-responder; a responder's muscles mostly give ≥ 50 % relief for 6 weeks or more and the PEG falls visit by visit,
a non-responder's do not and the PEG stays; one muscle in six goes its own way. A patient who stops coming (the demo's
many one- and two-visit patients) simply has no response recorded for the last session. The draws come from a
random stream of their own per patient, so the rest of the demo is the same as before outcomes existed.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from tpi_notes.domain.outcomes import PEG, PriorResponse, ScaleScore, weeks_between

KINDS = ("good", "partial", "none")


class OutcomeMaker:
    """Per patient, in visit order: :meth:`start_patient`, then :meth:`visit` for each session."""

    def start_patient(self, patient_id: int) -> None:
        self.rng = random.Random(f"tpi-notes demo outcomes {patient_id}")
        self.kind = self.rng.choices(KINDS, [0.66, 0.22, 0.12])[0]
        self.level = self.rng.uniform(5.5, 8.5)  # the PEG before the first session
        self.last: tuple[int, datetime, list[tuple[str, str]]] | None = None

    def visit(self, session: dict[str, Any], sites: list[dict[str, Any]]
              ) -> tuple[tuple[ScaleScore, ...], tuple[PriorResponse, ...], list[dict], list[dict]]:
        """The session's PEG and responses, and their rows (written with the session, before it is signed).
        Plain ``random()`` arithmetic throughout: the 100,000-session demo makes a few hundred thousand of these."""
        draw = self.rng.random
        sid, start = session["id"], session["performed_start"]
        by = session["assistant_id"] or session["physician_id"]
        responses: list[PriorResponse] = []
        last = self.last
        if last is not None:
            if draw() < 0.9:  # now and then nobody asked
                prior, when, muscles = last
                gap = weeks_between(when, start)
                for muscle_id, side in muscles:
                    kind = self.kind if draw() < 0.83 else KINDS[int(draw() * 3)]
                    responses.append(_response(draw, kind, prior, muscle_id, side, gap))
            factor = {"good": (0.72, 0.2), "partial": (0.88, 0.12), "none": (0.97, 0.11)}[self.kind]
            self.level = 1.5 + (self.level - 1.5) * (factor[0] + factor[1] * draw())  # never below 1.5
        level = self.level
        items = tuple(max(0, min(10, round(level - 1.4 + 2.8 * draw()))) for _ in range(3))
        scales = (ScaleScore(PEG, items, start, by),)
        if session["status"] == "signed":
            self.last = (sid, start, list(dict.fromkeys((s["muscle_id"], s["side"]) for s in sites)))
        # the score as domain/outcomes.scale_score makes it (the mean to one decimal), without its lookups
        scale_rows = [{"session_id": sid, "scale": PEG, "items": list(items), "score": round(sum(items) / 3 + 1e-9, 1),
                       "measured_at": start, "measured_by_id": by}]
        response_rows = [{"session_id": sid, "prior_session_id": r.prior_session_id, "muscle_id": r.muscle_id,
                          "side": r.side, "relief_pct": r.relief_pct, "duration_weeks": r.duration_weeks,
                          "lasting": r.lasting} for r in responses]
        return scales, tuple(responses), scale_rows, response_rows


def _response(draw: Any, kind: str, prior: int, muscle_id: str, side: str, gap: int) -> PriorResponse:
    if kind == "good":  # 50-90 %, for 6 weeks or more when the visits are that far apart
        relief, lasting = 50 + 10 * int(draw() * 5), draw() < 0.45
        weeks = gap if lasting or gap < 6 else min(gap, 6 + int(draw() * 7))
    elif kind == "partial":  # 30-40 %, or 50-60 % that wore off within a month
        relief, lasting = (30, 40, 40, 50, 60)[int(draw() * 5)], False
        weeks = min(gap, 1 + int(draw() * (4 if relief >= 50 else 8)))
    else:
        relief, lasting, weeks = (0, 0, 10, 10, 20)[int(draw() * 5)], False, min(gap, int(draw() * 2))
    return PriorResponse(prior, muscle_id, side, relief, weeks, lasting)
