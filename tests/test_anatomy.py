"""The anatomy atlas (product.md §5): data integrity, hit-testing, laterality, loading and the generator."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import random
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tpi_notes.anatomy import ANTERIOR, POSTERIOR, Atlas, DeepAlternative, Region, load_atlas, parse_path
from tpi_notes.anatomy.hittest import point_in_ring
from tpi_notes.anatomy.loader import available_versions

ROOT = Path(__file__).resolve().parents[1]
ATLAS_DIR = ROOT / "resources" / "atlas"
GROUPS = {"cephalic", "cervical", "scapular", "chest", "thoracic", "lumbar", "abdominal", "hip", "upper_limb",
          "lower_limb"}
CODE = re.compile(r"^(ant|post)\.[a-z][a-z_]*[a-z]\.(R|L)$")


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return load_atlas("1")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_atlas_1", ATLAS_DIR / "make_atlas_1.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _design(x: float, y: float, sign: int) -> tuple[float, float]:
    """A point given in the generator's design units (x lateral, y % of height) on one half of a view."""
    return (0.5 + sign * x / 46.0, y / 100.0)


def _inside_samples(region: Region, n: int = 9) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = region.bbox
    pts = [(x0 + (x1 - x0) * (i + 0.5) / n, y0 + (y1 - y0) * (j + 0.5) / n) for i in range(n) for j in range(n)]
    return [p for p in pts if point_in_ring(region.polygon, *p)]


# --- path data -------------------------------------------------------------------------------------------


def test_parse_path_normalises_to_m_l_c_q_z() -> None:
    cmds = parse_path("M 0 0 H 1 V 2 L 3 4 5 6 C 1 1 2 2 3 3 Q 4 4 5 5 Z M1,1 2,2")
    assert cmds == [
        ("M", (0.0, 0.0)),
        ("L", (1.0, 0.0)),
        ("L", (1.0, 2.0)),
        ("L", (3.0, 4.0)),
        ("L", (5.0, 6.0)),
        ("C", (1.0, 1.0, 2.0, 2.0, 3.0, 3.0)),
        ("Q", (4.0, 4.0, 5.0, 5.0)),
        ("Z", ()),
        ("M", (1.0, 1.0)),
        ("L", (2.0, 2.0)),
    ]
    assert parse_path("M-1.5e-1 .5") == [("M", (-0.15, 0.5))]


@pytest.mark.parametrize("bad", ["M 0 0 l 1 1", "M 0 0 A 1 1 0 0 1 2 2", "M 0 0 S 1 1 2 2", "L 1 1", "M 0",
                                 "M 0 0 C 1 1 2", "M 0 0 # 1", "Z", "M 0 0 Z 1 1"])
def test_parse_path_rejects_what_it_does_not_support(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_path(bad)


# --- loading ---------------------------------------------------------------------------------------------


def test_default_version_is_the_newest_and_loads_once(atlas: Atlas) -> None:
    assert available_versions() == ("1", "2")
    assert load_atlas("1") is atlas and atlas.version == "1"
    assert load_atlas() is load_atlas("2") and load_atlas().version == "2"  # named muscles (issue 15 item 4)


def test_unknown_version_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown atlas version '99'.*known versions: 1, 2"):
        load_atlas("99")


def test_resources_folder_can_be_moved_and_the_newest_file_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "atlas"
    folder.mkdir()
    shutil.copy(ATLAS_DIR / "atlas-1.json", folder / "atlas-1.json")
    doc = json.loads((ATLAS_DIR / "atlas-1.json").read_text(encoding="utf-8"))
    doc["version"] = "10"
    (folder / "atlas-10.json").write_text(json.dumps(doc), encoding="utf-8")
    (folder / "atlas-2.json").write_text(json.dumps({**doc, "version": "2"}), encoding="utf-8")
    monkeypatch.setenv("TPI_NOTES_RESOURCES", str(tmp_path))
    assert available_versions() == ("1", "2", "10")
    assert load_atlas().version == "10"  # numeric order, not text order
    (folder / "atlas-3.json").write_text(json.dumps({**doc, "version": "4"}), encoding="utf-8")
    with pytest.raises(ValueError, match="says version"):
        load_atlas("3")


def test_json_is_what_the_generator_writes() -> None:
    generator = _generator()
    text = (ATLAS_DIR / "atlas-1.json").read_text(encoding="utf-8")
    assert text == generator.render(generator.build()), "atlas-1.json is stale: run resources/atlas/make_atlas_1.py"
    assert generator.render(generator.build()) == text  # deterministic


def test_anatomy_package_is_pure_python() -> None:
    package = ROOT / "tpi_notes" / "anatomy"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
            for name in names:
                assert name.split(".")[0] in sys.stdlib_module_names, f"{path.name} imports {name}"


# --- the data --------------------------------------------------------------------------------------------


def test_codes_are_unique_and_well_formed(atlas: Atlas) -> None:
    codes = [r.code for r in atlas.regions]
    assert len(codes) == len(set(codes))
    for r in atlas.regions:
        assert CODE.match(r.code), r.code
        assert r.code == f"{'ant' if r.view == ANTERIOR else 'post'}.{r.muscle_id}.{r.side}"
        assert atlas.region(r.code) is r
    with pytest.raises(KeyError):
        atlas.region("ant.no_such_muscle.R")


def test_coverage(atlas: Atlas) -> None:
    ids = set(atlas.muscle_ids())
    assert len(ids) >= 40
    assert len(atlas.regions) >= 80
    expected = {
        "temporalis", "masseter", "frontalis", "occipitalis", "sternocleidomastoid", "upper_trapezius",
        "levator_scapulae", "splenius_capitis", "semispinalis_capitis", "middle_trapezius", "lower_trapezius",
        "rhomboid_major", "rhomboid_minor", "supraspinatus", "infraspinatus", "teres_major", "teres_minor",
        "latissimus_dorsi", "serratus_anterior", "deltoid", "pectoralis_major", "longissimus_thoracis",
        "iliocostalis_thoracis", "lumbar_erector_spinae", "iliocostalis_lumborum", "rectus_abdominis",
        "external_oblique", "gluteus_maximus", "gluteus_medius", "tensor_fasciae_latae", "rectus_femoris",
        "vastus_lateralis", "vastus_medialis", "adductors", "biceps_femoris", "medial_hamstrings",
        "tibialis_anterior", "peroneus_longus", "gastrocnemius", "soleus", "biceps_brachii", "triceps_brachii",
        "brachioradialis", "wrist_extensors", "wrist_flexors",
    }
    assert expected <= ids
    for muscle_id in ("deltoid", "upper_trapezius"):
        assert {r.view for r in atlas.regions if r.muscle_id == muscle_id} == {ANTERIOR, POSTERIOR}
    assert {r.view for r in atlas.regions if r.muscle_id == "rectus_abdominis"} == {ANTERIOR}
    assert {r.view for r in atlas.regions if r.muscle_id == "lumbar_erector_spinae"} == {POSTERIOR}


def test_each_muscle_id_has_one_name_group_and_flag(atlas: Atlas) -> None:
    seen: dict[str, tuple[str, str, bool, tuple[DeepAlternative, ...]]] = {}
    for r in atlas.regions:
        assert r.group in GROUPS
        assert r.side in ("R", "L") and r.view in (ANTERIOR, POSTERIOR)
        facts = (r.muscle, r.group, r.near_lung, r.deep)
        assert seen.setdefault(r.muscle_id, facts) == facts


def test_near_lung_flags(atlas: Atlas) -> None:
    lung = {r.muscle_id: r.near_lung for r in atlas.regions}
    for muscle_id in ("upper_trapezius", "middle_trapezius", "lower_trapezius", "rhomboid_major", "rhomboid_minor",
                      "serratus_anterior", "pectoralis_major", "latissimus_dorsi", "longissimus_thoracis",
                      "iliocostalis_thoracis"):
        assert lung[muscle_id] is True, muscle_id
    for muscle_id in ("gluteus_maximus", "deltoid", "lumbar_erector_spinae", "rectus_femoris", "temporalis"):
        assert lung[muscle_id] is False, muscle_id


def test_deep_alternatives(atlas: Atlas) -> None:
    def deep_of(code: str) -> dict[str, DeepAlternative]:
        return {d.muscle_id: d for d in atlas.region(code).deep}

    every = {d.muscle_id for r in atlas.regions for d in r.deep}
    assert {"piriformis", "quadratus_lumborum", "scalenes", "suboccipitals", "gluteus_minimus", "subscapularis",
            "pectoralis_minor", "iliopsoas", "serratus_posterior_superior"} <= every
    assert any("multifidi" in d for d in every)
    assert "piriformis" in deep_of("post.gluteus_maximus.L")
    assert "gluteus_minimus" in deep_of("post.gluteus_medius.R")
    assert {"quadratus_lumborum", "lumbar_multifidi"} <= set(deep_of("post.lumbar_erector_spinae.R"))
    assert deep_of("ant.sternocleidomastoid.R")["scalenes"].near_lung is True
    assert "scalenes" in deep_of("post.upper_trapezius.L")
    assert "suboccipitals" in deep_of("post.semispinalis_capitis.R")
    assert deep_of("ant.pectoralis_major.L")["pectoralis_minor"].near_lung is True
    assert "subscapularis" in deep_of("post.infraspinatus.R")
    assert "serratus_posterior_superior" in deep_of("post.rhomboid_major.L")
    assert "iliopsoas" in deep_of("ant.rectus_abdominis.R")
    assert "soleus" in deep_of("post.gastrocnemius.R")
    assert deep_of("post.gluteus_maximus.R")["piriformis"].near_lung is False


def test_regions_are_frozen(atlas: Atlas) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        atlas.regions[0].side = "L"  # type: ignore[misc]


def test_views_have_outline_aspect_labels_and_details(atlas: Atlas) -> None:
    for view in (ANTERIOR, POSTERIOR):
        info = atlas.view(view)
        assert 0.35 < atlas.aspect(view) < 0.6
        assert parse_path(atlas.outline(view))[-1] == ("Z", ())
        assert any(cmd == "C" for cmd, _ in parse_path(atlas.outline(view)))
        assert len(atlas.details(view)) >= 5
        xs = [p[0] for p in info.outline_polygon]
        ys = [p[1] for p in info.outline_polygon]
        assert min(xs) >= 0.0 and max(xs) <= 1.0 and min(ys) >= 0.0 and max(ys) <= 1.0
        assert max(ys) - min(ys) > 0.9  # the figure fills the view's height
        height_in_widths = (max(ys) - min(ys)) / ((max(xs) - min(xs)) * atlas.aspect(view))
        assert 2.0 < height_in_widths < 2.6  # an adult standing with the arms slightly out


# --- geometry and hit-testing ----------------------------------------------------------------------------


def test_every_anchor_hits_its_region(atlas: Atlas) -> None:
    for r in atlas.regions:
        assert atlas.hit_test(r.view, *r.anchor) is r, r.code
        x0, y0, x1, y1 = r.bbox
        assert x0 < r.anchor[0] < x1 and y0 < r.anchor[1] < y1


def test_anchors_are_well_inside(atlas: Atlas) -> None:
    """A small step in any direction from the anchor stays in the region (not on an edge)."""
    for r in atlas.regions:
        ax, ay = r.anchor
        step = 0.003
        for dx, dy in ((step, 0), (-step, 0), (0, step), (0, -step)):
            assert atlas.hit_test(r.view, ax + dx / atlas.aspect(r.view), ay + dy) is r, r.code


def test_interior_points_hit_their_region(atlas: Atlas) -> None:
    for r in atlas.regions:
        samples = _inside_samples(r)
        assert len(samples) >= 10, r.code
        for p in samples:
            assert atlas.hit_test(r.view, *p) is r, (r.code, p)


def test_regions_do_not_overlap_and_stay_inside_the_outline(atlas: Atlas) -> None:
    for view in (ANTERIOR, POSTERIOR):
        outline = atlas.view(view).outline_polygon
        regions = atlas.regions_in(view)
        for r in regions:
            assert all(point_in_ring(outline, *p) for p in r.polygon), f"{r.code} crosses the outline"
            for other in regions:
                if other is r:
                    continue
                ax0, ay0, ax1, ay1 = r.bbox
                bx0, by0, bx1, by1 = other.bbox
                if ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0:
                    continue
                inside = [p for p in r.polygon if point_in_ring(other.polygon, *p)]
                assert not inside, f"{r.code} overlaps {other.code}"


def test_random_points_agree_with_brute_force(atlas: Atlas) -> None:
    rng = random.Random(7)
    for _ in range(3000):
        view = rng.choice((ANTERIOR, POSTERIOR))
        x, y = rng.random(), rng.random()
        expected = [r for r in atlas.regions_in(view) if point_in_ring(r.polygon, x, y)]
        assert atlas.hit_test(view, x, y) is (expected[-1] if expected else None)


@pytest.mark.parametrize("view", [ANTERIOR, POSTERIOR])
@pytest.mark.parametrize(
    "point",
    [
        (0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.999, 0.5), (0.001, 0.5),  # corners and edges
        (-5.0, 0.5), (0.5, 3.0), (0.5, -0.2), (float("inf"), 0.5), (float("nan"), 0.5),  # far outside
        (0.5, 0.80), (0.5, 0.65), (0.5, 0.95),  # between the legs
        (0.5, 0.01),  # above the head
    ],
)
def test_points_outside_the_body_hit_nothing(atlas: Atlas, view: str, point: tuple[float, float]) -> None:
    assert atlas.hit_test(view, *point) is None


@pytest.mark.parametrize("sign", [-1, 1])
@pytest.mark.parametrize("view", [ANTERIOR, POSTERIOR])
def test_gaps_hit_nothing(atlas: Atlas, view: str, sign: int) -> None:
    for design in [(11.0, 37.0), (10.3, 44.0), (12.0, 50.0),  # between the arm and the trunk
                   (0.0, 30.0), (0.0, 45.0), (0.0, 13.0),  # the midline (sternum, linea alba, spine)
                   (4.3, 71.8), (17.0, 58.0)]:  # knee, palm
        assert atlas.hit_test(view, *_design(*design, sign)) is None, design


def test_invalid_view_is_refused(atlas: Atlas) -> None:
    for call in (lambda: atlas.hit_test("lateral", 0.5, 0.5), lambda: atlas.regions_in("front"),
                 lambda: atlas.outline("Anterior"), lambda: atlas.aspect("")):
        with pytest.raises(ValueError, match="unknown view"):
            call()


# --- laterality: the classic error of body maps ----------------------------------------------------------


def test_anterior_view_shows_the_patients_right_on_the_viewers_left(atlas: Atlas) -> None:
    shoulder = _design(12.8, 25.0, -1)  # the viewer's left shoulder
    hit = atlas.hit_test(ANTERIOR, *shoulder)
    assert hit is not None and hit.muscle_id == "deltoid" and hit.side == "R"
    hit = atlas.hit_test(ANTERIOR, 1.0 - shoulder[0], shoulder[1])
    assert hit is not None and hit.side == "L"
    assert atlas.side_label_position(ANTERIOR, "R")[0] < 0.5 < atlas.side_label_position(ANTERIOR, "L")[0]


def test_posterior_view_shows_the_patients_right_on_the_viewers_right(atlas: Atlas) -> None:
    shoulder = _design(12.8, 25.0, -1)  # the viewer's left shoulder
    hit = atlas.hit_test(POSTERIOR, *shoulder)
    assert hit is not None and hit.muscle_id == "deltoid" and hit.side == "L"
    hit = atlas.hit_test(POSTERIOR, 1.0 - shoulder[0], shoulder[1])
    assert hit is not None and hit.side == "R"
    assert atlas.side_label_position(POSTERIOR, "L")[0] < 0.5 < atlas.side_label_position(POSTERIOR, "R")[0]


def test_every_region_lies_on_its_sides_half(atlas: Atlas) -> None:
    for r in atlas.regions:
        viewer_left = (r.view == ANTERIOR) == (r.side == "R")
        x0, _, x1, _ = r.bbox
        if viewer_left:
            assert r.anchor[0] < 0.5 and x1 < 0.5, r.code
        else:
            assert r.anchor[0] > 0.5 and x0 > 0.5, r.code


def test_every_region_has_a_mirror_partner(atlas: Atlas) -> None:
    for r in atlas.regions:
        partner = atlas.region(r.code[:-1] + ("L" if r.side == "R" else "R"))
        assert (partner.muscle_id, partner.view) == (r.muscle_id, r.view)
        assert partner.anchor[0] == pytest.approx(1.0 - r.anchor[0], abs=2e-4)
        assert partner.anchor[1] == r.anchor[1]
        assert partner.bbox[0] == pytest.approx(1.0 - r.bbox[2], abs=2e-4)


def test_a_region_is_the_same_muscle_in_front_and_behind_but_on_the_other_half(atlas: Atlas) -> None:
    front = atlas.region("ant.deltoid.R")
    back = atlas.region("post.deltoid.R")
    assert front.anchor[0] < 0.5 < back.anchor[0]
    assert front.anchor[0] == pytest.approx(1.0 - back.anchor[0], abs=0.03)


@pytest.mark.parametrize("version", ["../atlas/atlas-1", "1/../1", "", "3"])
def test_odd_versions_are_unknown(version: str) -> None:
    with pytest.raises(ValueError, match="unknown atlas version"):
        load_atlas(version)
