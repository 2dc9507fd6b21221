"""A group region and its own part are one muscle (issue 15 build 4; clinical-reference §2.1).

Atlas 1 charts groups ("Lumbar paraspinals (erector spinae)", the deep "Scalenes") beside muscles that are part
of them (iliocostalis lumborum; atlas 2's named scalenes). CPT counts muscles, so on one side of one session a
group charted beside one of its own parts is that part, counted once. Which muscles make up a group is data,
``resources/atlas/muscle-parts.json`` (ids are stable across atlas versions). A signed session keeps the codes
it was signed with: notes signed before this rule counted the group beside its part, and keep doing so; a note
signed since carries the ``group_and_part`` warning among its signed findings, and counts once (see
:func:`counts_group_once`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache

from tpi_notes.domain.findings import Finding
from tpi_notes.paths import resources_dir

GROUP_AND_PART = "group_and_part"
SRC_GROUP_AND_PART = ("CPT counts named muscles, one service per muscle and session (clinical-reference §2.1); "
                      "resources/atlas/muscle-parts.json")

Key = tuple[str, str]  # (muscle id, side)


@lru_cache(maxsize=1)
def load_parts() -> Mapping[str, frozenset[str]]:
    """Group muscle id → the ids of the muscles it is made of."""
    data = json.loads((resources_dir() / "atlas" / "muscle-parts.json").read_text(encoding="utf-8"))
    return {group: frozenset(parts) for group, parts in data["groups"].items()}


def related(a: str, b: str) -> bool:
    """Whether one of the two muscles is a group the other belongs to."""
    parts = load_parts()
    return b in parts.get(a, ()) or a in parts.get(b, ())


def absorbed(keys: Iterable[Key]) -> dict[Key, Key]:
    """(group, side) → (its part, side) for each group charted beside one of its own parts on the same side
    (the part first charted); the group is then not a muscle of its own."""
    present = list(dict.fromkeys(keys))
    parts = load_parts()
    out: dict[Key, Key] = {}
    for muscle_id, side in present:
        own = parts.get(muscle_id, frozenset())
        part = next((k for k in present if k[1] == side and k[0] in own), None)
        if part is not None:
            out[(muscle_id, side)] = part
    return out


def counts_group_once(session: object) -> bool:
    """Whether ``session`` counts a group and its own part once: an unsigned one always; a signed one when it was
    signed with the ``group_and_part`` warning (signed since this rule; older notes keep the codes they print)."""
    if getattr(session, "status", "draft") != "signed":
        return True
    return any(getattr(f, "code", "") == GROUP_AND_PART for f in getattr(session, "findings", ()))


def _labels(sites: Iterable) -> dict[Key, str]:
    labels: dict[Key, str] = {}
    for s in sites:
        labels.setdefault((s.muscle_id, s.side), f"{s.side} {s.muscle.lower()}")
    return labels


def group_part_findings(sites: Iterable, *, both_techniques: bool = False, counted_once: bool = True) -> list[Finding]:
    """A warning for each group charted beside its own part on the same side: they are one muscle."""
    sites = tuple(sites)
    labels = _labels(sites)
    techniques: dict[Key, set[str]] = {}
    for s in sites:
        techniques.setdefault((s.muscle_id, s.side), set()).add(s.technique)
    out = []
    for group, part in absorbed(labels).items():
        g, p = labels[group], labels[part]
        if not counted_once:
            counted = "the note was signed counting them as two muscles"
        elif techniques[group] != techniques[part] and techniques[group] | techniques[part] == {"injection",
                                                                                               "dry_needling"}:
            counted = ("the payer profile counts it under both techniques; check the payer's policy"
                       if both_techniques else "one muscle, one service: it is counted once, under injection")
        else:
            counted = f"it is counted once, as {p}"
        out.append(Finding(GROUP_AND_PART, "warn", f"{g} and {p} are the same muscle (the group and its part): "
                           f"{counted}.", SRC_GROUP_AND_PART, subject=g))
    return out
