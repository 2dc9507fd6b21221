"""The :class:`Atlas`: an immutable set of regions for both views, with lookups and hit-testing."""

from __future__ import annotations

from collections.abc import Mapping

from .hittest import GridIndex
from .model import VIEWS, Point, Region, ViewInfo, check_view


class Atlas:
    """One version of the anatomy atlas (see ``resources/atlas/README.md``).

    Regions are kept in draw order; where two overlap, :meth:`hit_test` returns the one drawn last.
    Two atlases are equal when their version, regions and views are equal.
    """

    def __init__(self, version: str, regions: tuple[Region, ...], views: Mapping[str, ViewInfo]) -> None:
        if set(views) != set(VIEWS):
            raise ValueError(f"atlas {version}: views must be exactly {', '.join(VIEWS)}")
        self._version = version
        self._regions = regions
        self._views = dict(views)
        self._by_code: dict[str, Region] = {}
        for region in regions:
            if region.code in self._by_code:
                raise ValueError(f"atlas {version}: duplicate region code {region.code!r}")
            self._by_code[region.code] = region
        self._per_view = {v: tuple(r for r in regions if r.view == v) for v in VIEWS}
        self._index = {
            v: GridIndex([(r, r.polygon) for r in self._per_view[v]]) for v in VIEWS
        }

    @property
    def version(self) -> str:
        return self._version

    @property
    def regions(self) -> tuple[Region, ...]:
        """All regions of both views, in draw order."""
        return self._regions

    @property
    def views(self) -> Mapping[str, ViewInfo]:
        return dict(self._views)

    def view(self, view: str) -> ViewInfo:
        return self._views[check_view(view)]

    def regions_in(self, view: str) -> tuple[Region, ...]:
        """The regions of one view, in draw order."""
        return self._per_view[check_view(view)]

    def region(self, code: str) -> Region:
        """The region with this code; :class:`KeyError` if the atlas has none."""
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"atlas {self._version} has no region {code!r}") from None

    def hit_test(self, view: str, x: float, y: float) -> Region | None:
        """The region under normalised point ``(x, y)`` of ``view``, or ``None`` (gaps, outside)."""
        return self._index[check_view(view)].lookup(x, y)

    # Convenience accessors for renderers -------------------------------------------------------

    def aspect(self, view: str) -> float:
        """Width/height of the view."""
        return self.view(view).aspect

    def outline(self, view: str) -> str:
        """The body outline path of the view."""
        return self.view(view).outline

    def details(self, view: str) -> tuple[str, ...]:
        """Open line-art paths of the view (not clickable)."""
        return self.view(view).details

    def side_label_position(self, view: str, side: str) -> Point:
        """Where the "Patient's R"/"Patient's L" label of ``side`` goes in ``view``."""
        return self.view(view).side_labels[side]

    def muscle_ids(self) -> tuple[str, ...]:
        """Distinct muscle ids with a region, in first-drawn order."""
        return tuple(dict.fromkeys(r.muscle_id for r in self._regions))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Atlas):
            return NotImplemented
        return (self._version, self._regions, self._views) == (other._version, other._regions, other._views)

    def __hash__(self) -> int:
        return hash((self._version, self._regions))

    def __repr__(self) -> str:
        return f"Atlas(version={self._version!r}, regions={len(self._regions)})"
