"""Finding, reading and validating ``resources/atlas/atlas-<version>.json`` files (cached per version)."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .atlas import Atlas
from .hittest import ring_bbox
from .model import SIDES, VIEWS, DeepAlternative, Region, ViewInfo
from .pathdata import flatten, parse_path

FORMAT = "tpi-notes-atlas"
FORMAT_VERSION = 1
_FILE = re.compile(r"^atlas-(?P<version>[0-9A-Za-z._-]+)\.json$")


def resources_dir() -> Path:
    """The reference data folder, found as tpi_notes.paths finds it (this package stays stdlib-only): the
    ``TPI_NOTES_RESOURCES`` environment variable, else the package's copy in a wheel or bundle
    (``tpi_notes/_resources``), else ``resources/`` of the source tree."""
    override = os.environ.get("TPI_NOTES_RESOURCES")
    if override:
        return Path(override)
    return _shipped_resources()


@lru_cache(maxsize=1)
def _shipped_resources() -> Path:
    """Found once a process: every save asks (issue 19)."""
    packaged = resources.files(__package__.rpartition(".")[0] or "tpi_notes").joinpath("_resources")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "resources"


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[._-]", version))


def available_versions(resources: Path | None = None) -> tuple[str, ...]:
    """Atlas versions present in ``resources/atlas``, oldest first."""
    folder = (resources or resources_dir()) / "atlas"
    found = [m.group("version") for p in folder.glob("atlas-*.json") if (m := _FILE.match(p.name))]
    return tuple(sorted(found, key=_version_key))


def load_atlas(version: str | None = None) -> Atlas:
    """Load (once) and return the atlas of ``version``; ``None`` means the newest one available.

    Raises :class:`ValueError` when the version is unknown (the message lists the known ones) or the
    file is malformed.
    """
    resources = str(resources_dir())
    if version is None:
        version = _newest(resources)
    return _load(resources, str(version))


@lru_cache(maxsize=8)
def _newest(resources: str) -> str:
    known = available_versions(Path(resources))
    if not known:
        raise ValueError(f"no atlas files (atlas-<version>.json) in {Path(resources) / 'atlas'}")
    return known[-1]


@lru_cache(maxsize=8)
def _load(resources: str, version: str) -> Atlas:
    path = Path(resources) / "atlas" / f"atlas-{version}.json"
    if not _FILE.match(path.name) or not path.is_file():
        known = ", ".join(available_versions(Path(resources))) or "none"
        raise ValueError(f"unknown atlas version {version!r}; known versions: {known}")
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    try:
        return atlas_from_dict(data, expected_version=version)
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"{path.name}: malformed atlas ({exc!r})") from exc


def atlas_from_dict(data: dict[str, Any], *, expected_version: str | None = None) -> Atlas:
    """Build an :class:`Atlas` from the decoded JSON document."""
    if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"not a {FORMAT} v{FORMAT_VERSION} document")
    version = str(data["version"])
    if expected_version is not None and version != expected_version:
        raise ValueError(f"atlas file for version {expected_version!r} says version {version!r}")
    views = {name: _view(name, data["views"][name]) for name in VIEWS}
    deep = {
        mid: DeepAlternative(mid, str(m["name"]), bool(m["near_lung"]))
        for mid, m in data["deep_muscles"].items()
    }
    muscles: dict[str, dict[str, Any]] = data["muscles"]
    regions = tuple(_region(r, muscles, deep, views) for r in data["regions"])
    return Atlas(version, regions, views)


def _point(value: Any) -> tuple[float, float]:
    x, y = value
    return (float(x), float(y))


def _view(name: str, v: dict[str, Any]) -> ViewInfo:
    aspect = float(v["aspect"])
    rings = flatten(parse_path(v["outline"]), scale_x=aspect)
    if len(rings) != 1:
        raise ValueError(f"view {name}: the outline must be one closed path")
    for d in v["details"]:
        parse_path(d)  # validate early; renderers parse again
    labels = {side: _point(v["side_labels"][side]) for side in SIDES}
    return ViewInfo(
        name=name,
        caption=str(v["caption"]),
        aspect=aspect,
        outline=v["outline"],
        outline_polygon=rings[0],
        details=tuple(v["details"]),
        side_labels=labels,
        caption_position=_point(v["caption_position"]),
    )


def _region(
    r: dict[str, Any],
    muscles: dict[str, dict[str, Any]],
    deep: dict[str, DeepAlternative],
    views: dict[str, ViewInfo],
) -> Region:
    code, view, side, muscle_id = r["code"], r["view"], r["side"], r["muscle_id"]
    if view not in views or side not in SIDES:
        raise ValueError(f"region {code}: bad view {view!r} or side {side!r}")
    prefix = "ant" if view == VIEWS[0] else "post"
    if code != f"{prefix}.{muscle_id}.{side}":
        raise ValueError(f"region {code}: code must be {prefix}.{muscle_id}.{side}")
    if muscle_id not in muscles:
        raise ValueError(f"region {code}: muscle {muscle_id!r} is not in the muscle table")
    muscle = muscles[muscle_id]
    rings = flatten(parse_path(r["path"]), scale_x=views[view].aspect)
    if len(rings) != 1:
        raise ValueError(f"region {code}: the path must be one closed shape")
    return Region(
        code=code,
        muscle_id=muscle_id,
        muscle=str(muscle["name"]),
        side=side,
        view=view,
        group=str(muscle["group"]),
        near_lung=bool(muscle["near_lung"]),
        path=r["path"],
        polygon=rings[0],
        bbox=ring_bbox(rings[0]),
        anchor=_point(r["anchor"]),
        deep=tuple(deep[d] for d in muscle["deep"]),
    )
