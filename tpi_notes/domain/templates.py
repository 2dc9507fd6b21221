"""Templates and copy-forward: reusing the muscles, syringes and technique of earlier work.

Never carried over: signatures, pain scores, exam findings, consent, time-out or post-procedure fields.
"""

from __future__ import annotations

import string
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from tpi_notes.anatomy import Atlas
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.draft_json import preparation_from_dict, site_from_dict, to_plain
from tpi_notes.domain.formulary import Lot
from tpi_notes.domain.session import Component, Preparation, Site
from tpi_notes.domain.sites import move_site


@dataclass(frozen=True)
class TemplateSummary:
    id: int
    name: str
    description: str = ""


def template_body(draft: SessionDraft) -> dict[str, Any]:
    """What a template keeps of a draft: syringes (without lots) and sites (without notes)."""
    preps = [Preparation(p.label, tuple(Component(c.item_code, c.volume_ml) for c in p.components))
             for p in draft.preparations]
    sites = [replace(s, note="") for s in draft.sites]
    return {"atlas_version": draft.atlas_version, "preparations": to_plain([asdict(p) for p in preps]),
            "sites": to_plain([asdict(s) for s in sites])}


def _rehome(site: Site, atlas: Atlas) -> Site | None:
    """The site on ``atlas`` (a newer atlas may have moved or renamed a region): re-resolved by position."""
    try:
        region = atlas.region(site.region_code)
    except KeyError:
        return move_site(atlas, site, site.view, site.x, site.y)
    offered = {region.muscle_id} | {d.muscle_id for d in region.deep}
    if region.side == site.side and region.view == site.view and site.muscle_id in offered:
        return site
    # a moved region, or a muscle this atlas names otherwise (atlas 2's scalenus anterior for atlas 1's scalenes):
    # placed again, on the region's muscle unless the same deep muscle is offered there
    return move_site(atlas, site, site.view, site.x, site.y)


def merge_into(draft: SessionDraft, preps: list[Preparation], sites: list[Site], atlas: Atlas, *,
               replace_existing: bool, lots: list[Lot], day: date) -> SessionDraft:
    """``draft`` with these syringes and sites added (or instead of its own), labels and numbers kept tidy."""
    base_preps = [] if replace_existing else list(draft.preparations)
    base_sites = [] if replace_existing else list(draft.sites)
    used = {p.label for p in base_preps}
    free = (ch for ch in string.ascii_uppercase if ch not in used)
    relabel: dict[str, str] = {}
    for prep in preps:
        label = prep.label if prep.label not in used else next(free)
        used.add(label)
        relabel[prep.label] = label
        components = tuple(_keep_lot_if_in_date(c, lots, day) for c in prep.components)
        base_preps.append(Preparation(label, components))
    number = len(base_sites)
    for site in sites:
        moved = _rehome(site, atlas)
        if moved is None:
            continue
        number += 1
        label = relabel.get(moved.preparation_label or "", moved.preparation_label)
        base_sites.append(replace(moved, number=number, preparation_label=label))
    return replace(draft, preparations=tuple(base_preps), sites=tuple(base_sites))


def _keep_lot_if_in_date(c: Component, lots: list[Lot], day: date) -> Component:
    lot = next((x for x in lots if x.item_code == c.item_code and x.lot_number == c.lot_number), None)
    if lot is None or lot.retired or lot.expired_on(day):
        return Component(c.item_code, c.volume_ml)
    return Component(c.item_code, c.volume_ml, lot.lot_number, lot.expiry)


def from_template_body(body: dict[str, Any]) -> tuple[list[Preparation], list[Site]]:
    return ([preparation_from_dict(p) for p in body.get("preparations", [])],
            [site_from_dict(s) for s in body.get("sites", [])])
