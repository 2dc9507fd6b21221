"""What each billed drug used of the vials opened for it (issue 15 item 1; clinical-reference §2.5, §9.3).

JW bills the amount discarded from single-dose vials and JZ attests that none was, so both are worked out
against the vials actually opened: each syringe component records how many (``Component.vials_opened``), or,
when it does not, as many as its volume drawn needs. A drug is its generic: the same drug in two strengths or
two syringes is one total, rounded to billing units once. Multi-dose vials have no waste to bill.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tpi_notes.domain.dosing import DoseSummary
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.numbers import amount, plural

EPS = 1e-6
MAX_VIALS = 20  # vials of one drug opened for one syringe: more is a typing error


@dataclass(frozen=True)
class DrugUse:
    """One drug (generic) in one session: given, opened and discarded, in mg."""

    generic: str
    administered_mg: float  # all strengths and syringes together
    single_dose_mg: float  # of which from single-dose vials
    multi_dose_mg: float  # of which from multi-dose vials
    vials: int  # single-dose vials opened
    opened_mg: float  # what those vials held
    vial_mg: float | None  # one vial's content when every vial opened is the same size

    @property
    def single_dose_only(self) -> bool:
        return self.vials > 0 and self.multi_dose_mg <= EPS

    @property
    def discarded_mg(self) -> float:
        return max(0.0, round(self.opened_mg - self.single_dose_mg, 4))


@dataclass(frozen=True)
class Waste:
    """The discarded amount of one drug, as the note documents it."""

    generic: str
    discarded_mg: float
    vials: int
    full: int | None  # vials emptied; None when vials of several sizes were opened
    partly_used: int | None

    @property
    def text(self) -> str:
        """"Discarded: 20 mg triamcinolone acetonide (1 vial partly used)"."""
        if self.full is None or self.partly_used is None:
            detail = f"{plural(self.vials, 'single-dose vial')} opened"
        else:
            unused = self.vials - self.full - self.partly_used
            parts = [f"{plural(self.partly_used, 'vial')} partly used"] if self.partly_used else []
            if unused > 0:
                parts.append(f"{plural(unused, 'vial')} opened and not used")
            detail = ", ".join(parts)
        return f"Discarded: {amount(self.discarded_mg)} mg {self.generic} ({detail})"


def vials_needed(volume_ml: float, vial_volume_ml: float) -> int:
    return math.ceil(round(volume_ml / vial_volume_ml, 6)) if volume_ml > EPS else 0


def drug_uses(draft: object, formulary: Mapping[str, FormularyItem], doses: DoseSummary) -> dict[str, DrugUse]:
    """Generic name → its use, in the order the dose rows list the drugs (then drugs drawn but not given)."""
    given: dict[str, dict[str, float]] = {}
    for row in doses.rows:
        item = formulary[row.item_code]
        given.setdefault(item.generic, {})[row.item_code] = row.total_mg
    drawn: dict[str, dict[str, list]] = {}
    for prep in draft.preparations:  # type: ignore[attr-defined]
        for c in prep.components:
            item = formulary.get(c.item_code)
            if item is not None:
                drawn.setdefault(item.generic, {}).setdefault(c.item_code, []).append(c)
    out: dict[str, DrugUse] = {}
    for generic in [*given, *(g for g in drawn if g not in given)]:
        by_item = given.get(generic, {})
        single = multi = opened = 0.0
        vials = 0
        sizes: set[float] = set()
        for code in sorted(set(by_item) | set(drawn.get(generic, {}))):
            item = formulary[code]
            mg = by_item.get(code, 0.0)
            if not (item.single_dose_vial and item.vial_volume_ml):
                multi += mg
                continue
            single += mg
            components = drawn.get(generic, {}).get(code, [])
            stated = sum(c.vials_opened for c in components if getattr(c, "vials_opened", None) is not None)
            unstated_ml = sum(c.volume_ml for c in components if getattr(c, "vials_opened", None) is None)
            count = stated + vials_needed(unstated_ml, item.vial_volume_ml)
            if count:
                vial_mg = item.vial_volume_ml * item.concentration_mg_per_ml
                vials += count
                opened += count * vial_mg
                sizes.add(round(vial_mg, 6))
        out[generic] = DrugUse(generic, round(single + multi, 4), round(single, 4), round(multi, 4), vials,
                               round(opened, 4), next(iter(sizes)) if len(sizes) == 1 else None)
    return out


def waste_of(use: DrugUse) -> Waste | None:
    """What the note documents as discarded (None when nothing was)."""
    if use.discarded_mg <= EPS or use.vials == 0:
        return None
    if use.vial_mg is None:
        return Waste(use.generic, use.discarded_mg, use.vials, None, None)
    full = min(use.vials, math.floor(round(use.single_dose_mg / use.vial_mg, 6)))
    partly = 1 if use.single_dose_mg - full * use.vial_mg > EPS and full < use.vials else 0
    return Waste(use.generic, use.discarded_mg, use.vials, full, partly)
