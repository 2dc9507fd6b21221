"""Finding a muscle of the atlas from what a clinician types (the add-site box, issue 16 item 5).

Every muscle the atlas can chart is found: the surface muscles of its regions and the deep muscles reached
through them (piriformis, quadratus lumborum, the scalenes …). A name is found by the start of each of its
words ("glute med", "lev scap", "upper trap"), by the abbreviations clinicians write (QL, SCM, TFL, traps,
paraspinals …, :data:`ALIASES`), and a side word at either end ("R upper trap", "levator bilat") chooses the
PATIENT's side. Plain Python: the widget (site_entry.py) shows the matches and adds the site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tpi_notes.anatomy import Atlas

# Abbreviations and everyday names -> the muscle ids they mean, the likeliest first. One id: Enter adds it;
# several: they are listed to choose from (nothing is guessed).
ALIASES: dict[str, tuple[str, ...]] = {
    "trap": ("upper_trapezius",), "traps": ("upper_trapezius",), "ut": ("upper_trapezius",),
    "utrap": ("upper_trapezius",),
    "trapezius": ("upper_trapezius", "middle_trapezius", "lower_trapezius"),
    "ql": ("quadratus_lumborum",), "scm": ("sternocleidomastoid",), "tfl": ("tensor_fasciae_latae",),
    "gmax": ("gluteus_maximus",), "gmed": ("gluteus_medius",), "gmin": ("gluteus_minimus",),
    "glutes": ("gluteus_maximus", "gluteus_medius", "gluteus_minimus"),
    "lat": ("latissimus_dorsi",), "lats": ("latissimus_dorsi",),
    "pec": ("pectoralis_major", "pectoralis_minor"), "pecs": ("pectoralis_major", "pectoralis_minor"),
    "psoas": ("iliopsoas",), "iliacus": ("iliopsoas",),
    "ssp": ("supraspinatus",), "isp": ("infraspinatus",),
    "vmo": ("vastus_medialis",), "quad": ("rectus_femoris", "vastus_lateralis", "vastus_medialis",
                                         "vastus_intermedius"),
    "quads": ("rectus_femoris", "vastus_lateralis", "vastus_medialis", "vastus_intermedius"),
    "fcr": ("flexor_carpi_radialis",), "fds": ("flexor_digitorum_superficialis",),
    "ecrl": ("extensor_carpi_radialis_longus",), "ecrb": ("extensor_carpi_radialis_brevis",),
    "edc": ("extensor_digitorum",), "tib ant": ("tibialis_anterior",), "tib post": ("tibialis_posterior",),
    "calf": ("gastrocnemius", "soleus"),
    # a note names the muscle, never "paraspinals" (clinical-reference §1.4): these list the muscles to choose from
    "lumbar paraspinals": ("longissimus_lumborum", "iliocostalis_lumborum", "multifidus_lumbar",
                           "quadratus_lumborum"),
    "paraspinals": ("longissimus_lumborum", "iliocostalis_lumborum", "longissimus_thoracis",
                    "iliocostalis_thoracis", "multifidus_lumbar", "multifidus_thoracic", "semispinalis_capitis",
                    "multifidus_cervical"),
    "thoracic paraspinals": ("longissimus_thoracis", "iliocostalis_thoracis", "multifidus_thoracic"),
    "cervical paraspinals": ("semispinalis_capitis", "splenius_capitis", "multifidus_cervical"),
    "erector spinae": ("longissimus_lumborum", "iliocostalis_lumborum", "longissimus_thoracis",
                       "iliocostalis_thoracis"),
    "erectors": ("longissimus_lumborum", "iliocostalis_lumborum", "longissimus_thoracis", "iliocostalis_thoracis"),
    "scalenes": ("scalenus_anterior", "scalenus_medius", "scalenus_posterior"),
    "scalene": ("scalenus_anterior", "scalenus_medius", "scalenus_posterior"),
    "suboccipitals": ("rectus_capitis_posterior_major", "obliquus_capitis_inferior"),
    "suboccs": ("rectus_capitis_posterior_major", "obliquus_capitis_inferior"),
    "multifidi": ("multifidus_lumbar", "multifidus_thoracic", "multifidus_cervical"),
    "hamstrings": ("biceps_femoris", "semitendinosus", "semimembranosus"),
    "hams": ("biceps_femoris", "semitendinosus", "semimembranosus"),
    "obliques": ("external_oblique", "internal_oblique"),
    "rotator cuff": ("supraspinatus", "infraspinatus", "teres_minor", "subscapularis"),
    "abs": ("rectus_abdominis",),
}

SIDE_WORDS = {"r": ("R",), "rt": ("R",), "right": ("R",), "l": ("L",), "lt": ("L",), "left": ("L",),
              "b": ("R", "L"), "bil": ("R", "L"), "bilat": ("R", "L"), "bilateral": ("R", "L"),
              "both": ("R", "L")}
_SPLIT = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Muscle:
    """A muscle the atlas can chart; ``under`` names the surface muscles a deep one is reached through."""

    muscle_id: str
    name: str
    under: tuple[str, ...] = ()

    @property
    def deep(self) -> bool:
        return bool(self.under)

    def words(self) -> list[str]:
        return [w for w in _SPLIT.split(self.name.casefold()) if w]


@dataclass(frozen=True)
class Lookup:
    """What the text asks for: the muscles it matches (best first) and the side a side word chose, if any."""

    muscles: tuple[Muscle, ...]
    sides: tuple[str, ...] | None
    text: str  # the muscle part of the text, side words taken off

    def chosen(self) -> Muscle | None:
        """The one muscle meant: an exact name, the only match, or an abbreviation naming one muscle."""
        exact = [m for m in self.muscles if m.name.casefold() == self.text]
        if exact:
            return exact[0]
        if len(self.muscles) == 1:
            return self.muscles[0]
        alias = ALIASES.get(self.text)
        if alias is not None and len(alias) == 1:
            return next((m for m in self.muscles if m.muscle_id == alias[0]), None)
        return None


def atlas_muscles(atlas: Atlas) -> tuple[Muscle, ...]:
    """Every muscle the atlas charts, once, sorted by name (worked out once per atlas version)."""
    if atlas.version not in _MUSCLES:
        _MUSCLES[atlas.version] = _muscles(atlas)
    return _MUSCLES[atlas.version]


_MUSCLES: dict[str, tuple[Muscle, ...]] = {}


def _muscles(atlas: Atlas) -> tuple[Muscle, ...]:
    """Every muscle the atlas charts, once, sorted by name: surface ones, then deep ones with where they lie."""
    surface: dict[str, str] = {}
    deep: dict[str, tuple[str, list[str]]] = {}
    for region in atlas.regions:
        surface.setdefault(region.muscle_id, region.muscle)
        for alternative in region.deep:
            name, under = deep.setdefault(alternative.muscle_id, (alternative.muscle, []))
            if region.muscle not in under:
                under.append(region.muscle)
    muscles = [Muscle(i, n) for i, n in surface.items()]
    muscles += [Muscle(i, n, tuple(u)) for i, (n, u) in deep.items() if i not in surface]
    return tuple(sorted(muscles, key=lambda m: m.name.casefold()))


def _normalise(text: str) -> list[str]:
    return [w for w in _SPLIT.split(text.casefold()) if w]


def _words_match(tokens: list[str], words: list[str]) -> bool:
    """Each typed token starts a different word of the name, in any order ("med glute" too); a plural "s"
    is forgiven ("rhomboids")."""
    free = list(words)
    for token in tokens:
        hit = next((w for w in free if w.startswith(token) or (len(token) > 3 and token.endswith("s")
                                                                and w.startswith(token[:-1]))), None)
        if hit is None:
            return False
        free.remove(hit)
    return True


def split_side(text: str) -> tuple[list[str], tuple[str, ...] | None]:
    """The words of ``text`` without a side word at its start or end, and that side (None: none written)."""
    tokens = _normalise(text)
    sides = None
    if len(tokens) > 1 and tokens[0] in SIDE_WORDS:
        sides, tokens = SIDE_WORDS[tokens[0]], tokens[1:]
    elif len(tokens) > 1 and tokens[-1] in SIDE_WORDS:
        sides, tokens = SIDE_WORDS[tokens[-1]], tokens[:-1]
    return tokens, sides


def lookup(atlas: Atlas, text: str) -> Lookup:
    """The muscles ``text`` may mean, the likeliest first: abbreviations, then names that start with it, then
    names whose words start with its words; surface muscles before deep ones."""
    tokens, sides = split_side(text)
    joined = " ".join(tokens)
    muscles = atlas_muscles(atlas)
    by_id = {m.muscle_id: m for m in muscles}
    if not tokens:
        return Lookup((), sides, "")
    ranked: dict[str, tuple[int, int, str]] = {}

    def add(muscle: Muscle, rank: int) -> None:
        key = (rank, int(muscle.deep), muscle.name.casefold())
        if muscle.muscle_id not in ranked or key < ranked[muscle.muscle_id]:
            ranked[muscle.muscle_id] = key

    for alias, ids in ALIASES.items():
        if alias == joined or (len(joined) >= 2 and alias.startswith(joined)):
            for position, muscle_id in enumerate(ids):
                if muscle_id in by_id:
                    add(by_id[muscle_id], position if alias == joined else 10 + position)
    for muscle in muscles:
        name = muscle.name.casefold()
        if name == joined:
            add(muscle, -1)
        elif name.startswith(joined):
            add(muscle, 20)
        elif _words_match(tokens, muscle.words()):
            add(muscle, 30)
        elif joined in name and len(joined) >= 4:
            add(muscle, 40)
    order = sorted(ranked, key=lambda i: ranked[i])
    return Lookup(tuple(by_id[i] for i in order), sides, joined)
