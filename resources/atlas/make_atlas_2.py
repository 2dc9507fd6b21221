"""Write ``atlas-2.json``: atlas 1's artwork with named muscles in place of group regions (issue 15 item 4).

Clinical-reference §2.1: documentation must name specific muscles, and a group ("lumbar paraspinals") counted
beside its own part (iliocostalis lumborum) inflates the muscle count. Atlas 2 keeps every shape, anchor and
view of atlas 1 (read from ``atlas-1.json``, which never changes) and renames what was a group:

- a surface group region becomes the named muscle a needle reaches there (the lumbar paraspinals: longissimus;
  the adductors: adductor longus; the medial hamstrings: semitendinosus; the wrist flexors and extensors: flexor
  carpi radialis and extensor carpi radialis longus), its neighbours in the group offered as deep alternatives;
- a deep group becomes its named muscles (the scalenes: scalenus anterior, medius and posterior; the
  suboccipitals: rectus capitis posterior major and obliquus capitis inferior; the multifidi: multifidus, by level).

A renamed region gets a new code (``post.longissimus_lumborum.R``); every other code keeps its meaning. Sessions
charted on atlas 1 keep drawing, counting and printing with atlas 1.

    .venv/bin/python resources/atlas/make_atlas_2.py          # rewrite atlas-2.json
    .venv/bin/python resources/atlas/make_atlas_2.py --check  # is it up to date?
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERSION = "2"
DATE = "2026-12-03"

# Surface group -> (named muscle id, name, deep alternatives in place of / besides the group's own).
SURFACE = {
    "lumbar_erector_spinae": ("longissimus_lumborum", "Longissimus (lumbar)",
                              ["multifidus_lumbar", "quadratus_lumborum"]),
    "adductors": ("adductor_longus", "Adductor longus", ["adductor_magnus", "adductor_brevis", "iliopsoas"]),
    "medial_hamstrings": ("semitendinosus", "Semitendinosus", ["semimembranosus"]),
    "wrist_flexors": ("flexor_carpi_radialis", "Flexor carpi radialis",
                      ["flexor_digitorum_superficialis", "pronator_teres"]),
    "wrist_extensors": ("extensor_carpi_radialis_longus", "Extensor carpi radialis longus",
                        ["extensor_carpi_radialis_brevis", "extensor_digitorum", "supinator"]),
}
# Deep group -> its named muscles (each keeps the group's near-lung flag unless given).
DEEP = {
    "scalenes": [("scalenus_anterior", "Scalenus anterior"), ("scalenus_medius", "Scalenus medius"),
                 ("scalenus_posterior", "Scalenus posterior")],
    "suboccipitals": [("rectus_capitis_posterior_major", "Rectus capitis posterior major"),
                      ("obliquus_capitis_inferior", "Obliquus capitis inferior")],
    "cervical_multifidi": [("multifidus_cervical", "Multifidus (cervical)")],
    "thoracic_multifidi": [("multifidus_thoracic", "Multifidus (thoracic)")],
    "lumbar_multifidi": [("multifidus_lumbar", "Multifidus (lumbar)")],
}
# Deep muscles new in atlas 2 (reached through a renamed region), with their near-lung flag.
NEW_DEEP = {
    "adductor_magnus": ("Adductor magnus", False), "adductor_brevis": ("Adductor brevis", False),
    "semimembranosus": ("Semimembranosus", False),
    "flexor_digitorum_superficialis": ("Flexor digitorum superficialis", False),
    "extensor_carpi_radialis_brevis": ("Extensor carpi radialis brevis", False),
    "extensor_digitorum": ("Extensor digitorum", False),
}


def build() -> dict:
    data = json.loads((HERE / "atlas-1.json").read_text(encoding="utf-8"))
    old_deep = data["deep_muscles"]
    deep: dict[str, dict] = {}
    for mid, m in old_deep.items():
        for new_id, name in DEEP.get(mid, [(mid, m["name"])]):
            deep[new_id] = {"name": name, "near_lung": m["near_lung"]}
    for mid, (name, near_lung) in NEW_DEEP.items():
        deep[mid] = {"name": name, "near_lung": near_lung}

    def named(ids: list[str]) -> list[str]:
        return list(dict.fromkeys(new for mid in ids for new, _name in DEEP.get(mid, [(mid, "")])))

    muscles: dict[str, dict] = {}
    for mid, m in data["muscles"].items():
        if mid in SURFACE:
            new_id, name, alternatives = SURFACE[mid]
            muscles[new_id] = {**m, "name": name, "deep": named(alternatives)}
        else:
            muscles[mid] = {**m, "deep": named(m["deep"])}
    regions = []
    for r in data["regions"]:
        mid = SURFACE.get(r["muscle_id"], (r["muscle_id"],))[0]
        prefix = "ant" if r["view"] == "anterior" else "post"
        regions.append({**r, "code": f"{prefix}.{mid}.{r['side']}", "muscle_id": mid})
    used = {d for m in muscles.values() for d in m["deep"]}
    return {**data, "version": VERSION, "date": DATE,
            "source": data["source"] + " Atlas 2: the same artwork with named muscles in place of group regions "
                      "(clinical-reference §2.1; resources/atlas/make_atlas_2.py).",
            "muscles": muscles, "deep_muscles": {k: v for k, v in deep.items() if k in used}, "regions": regions}


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str]) -> int:
    target = HERE / f"atlas-{VERSION}.json"
    text = render()
    if "--check" in argv:
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            print(f"{target.name} is stale: run {Path(__file__).name}")
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
