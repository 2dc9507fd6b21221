"""Placing, moving and re-assigning sites on the atlas: the diagram's rules without any drawing."""

from __future__ import annotations

from dataclasses import replace

from tpi_notes.anatomy import Atlas, DeepAlternative, Region
from tpi_notes.domain.session import TECHNIQUES, Site


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def place_site(atlas: Atlas, view: str, x: float, y: float, number: int, technique: str = "injection") -> Site | None:
    """A new site at a point of the diagram, or None where there is no muscle (gaps, outside the body)."""
    if technique not in TECHNIQUES:
        raise ValueError(f"unknown technique {technique!r}")
    region = atlas.hit_test(view, x, y)
    if region is None:
        return None
    return Site(number=number, view=view, x=round(_clamp(x), 4), y=round(_clamp(y), 4), region_code=region.code,
                muscle_id=region.muscle_id, muscle=region.muscle, side=region.side, technique=technique)


def move_site(atlas: Atlas, site: Site, view: str, x: float, y: float) -> Site | None:
    """The site at its new point with its muscle re-resolved; None if the point is not on a muscle.

    A chosen deep muscle is kept when the new region offers it too, otherwise the site takes the
    surface muscle of the new region.
    """
    region = atlas.hit_test(view, x, y)
    if region is None:
        return None
    moved = replace(site, view=view, x=round(_clamp(x), 4), y=round(_clamp(y), 4), region_code=region.code,
                    muscle_id=region.muscle_id, muscle=region.muscle, side=region.side)
    deep = next((d for d in region.deep if d.muscle_id == site.muscle_id), None)
    return with_muscle(moved, deep) if deep else moved


def with_muscle(site: Site, deep: DeepAlternative | None, region: Region | None = None) -> Site:
    """The site assigned to a deep alternative of its region, or back to the surface muscle (deep=None)."""
    if deep is None:
        if region is None:
            raise ValueError("the surface muscle needs its region")
        return replace(site, muscle_id=region.muscle_id, muscle=region.muscle)
    return replace(site, muscle_id=deep.muscle_id, muscle=deep.muscle)


def site_near_lung(atlas: Atlas, site: Site) -> bool:
    """Whether the muscle treated at this site lies over the lung (its region's, or its deep muscle's flag)."""
    region = atlas.region(site.region_code)
    if site.muscle_id == region.muscle_id:
        return region.near_lung
    return any(d.near_lung for d in region.deep if d.muscle_id == site.muscle_id)


def renumber(sites: list[Site]) -> list[Site]:
    """Numbers 1..n in list order (the numbers printed beside the markers and in the site table)."""
    return [s if s.number == i else replace(s, number=i) for i, s in enumerate(sites, start=1)]
