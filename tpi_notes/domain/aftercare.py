"""The patient's aftercare sheet as plain data, composed from what was actually done (product.md §6).

The words live in a versioned library (``resources/aftercare/aftercare-N.json``): per language, blocks
of short items, each block or item carrying the condition under which it applies. :func:`compose_aftercare`
works out the facts of a session (what was injected, dry needling, e-stim, muscles over the lung, blood
thinners, diabetes, breastfeeding) and keeps exactly the blocks and items whose conditions hold.
No Qt, no database: the renderer (``reports/aftercare_sheet.py``) lays the result out.

The patient's copy (issue 13 item 6): the places are numbered, and the markers on the sheet's picture carry
the number of their place (not the note's site number), so "2" on the picture is "2" in the list. The
follow-up is the patient's own (``follow_up_in``, domain/patient_follow_up.py) in the sheet's language; the
clinician's free-text ``follow_up`` never reaches the sheet, in any language (it is clinical shorthand in the
clinician's words). :class:`AftercarePrint` is one printed sheet as the note reports it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from tpi_notes.anatomy import Atlas
from tpi_notes.domain.bleeding import anticoagulant_taken, bleeding_risk
from tpi_notes.domain.clinic import ClinicInfo
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.patient import PatientRecord
from tpi_notes.domain.patient_follow_up import FOLLOW_UP_CHOICES, follow_up_date
from tpi_notes.domain.session import SessionRecord, Site
from tpi_notes.domain.sites import site_near_lung
from tpi_notes.paths import resources_dir

FORMAT = "tpi-notes-aftercare"
CONDITIONS = frozenset({
    "injected", "local_anesthetic", "steroid", "steroid_diabetes", "anticoagulant", "bleeding_risk", "near_lung",
    "needling", "needling_only", "needling_mixed", "estim", "breastfeeding_la_only", "has_after_hours",
    "has_follow_up",
})
EXPANSIONS = ("places", "diary", "follow_up")
FOLLOW_UP_KEYS = (*FOLLOW_UP_CHOICES, "date", "unset")
DIAGRAM_KEYS = ("your_right", "your_left", "front", "back")
AGENT_ORDER = ("local_anesthetic", "saline", "corticosteroid")


@dataclass(frozen=True)
class AftercareLibrary:
    version: str
    date: str
    languages: Mapping[str, Mapping[str, Any]]

    def text(self, lang: str) -> Mapping[str, Any]:
        if lang not in self.languages:
            raise ValidationError({"lang": f"The aftercare text has no language {lang!r}; it has "
                                           f"{', '.join(sorted(self.languages))}."})
        return self.languages[lang]

    def block_ids(self, lang: str) -> tuple[str, ...]:
        return tuple(b["id"] for b in self.text(lang)["blocks"])


@dataclass(frozen=True)
class AftercareItem:
    text: str
    kind: str = "text"  # "text", "bullet", "place" (numbered as its markers), or "diary" (drawn by the renderer)
    number: int | None = None  # a place's number, the one its markers carry on the picture


@dataclass(frozen=True)
class AftercareBlock:
    id: str
    heading: str
    items: tuple[AftercareItem, ...]
    alert: bool = False


@dataclass(frozen=True)
class AftercareDoc:
    session_id: int
    version: str
    lang: str
    title: str
    patient_name: str
    patient_dob: str
    visit_date: str
    clinic_name: str
    phone: str
    after_hours: str
    blocks: tuple[AftercareBlock, ...]
    markers: tuple[tuple[int, str, float, float, str, bool], ...]
    atlas_version: str
    labels: Mapping[str, str] = field(default_factory=dict)
    clinic_logo: bytes | None = None
    # The picture's words in the sheet's language: your_right, your_left, front, back (empty: library v1).
    diagram_labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def block_ids(self) -> tuple[str, ...]:
        return tuple(b.id for b in self.blocks)

    def block(self, block_id: str) -> AftercareBlock | None:
        return next((b for b in self.blocks if b.id == block_id), None)

    def plain_text(self) -> str:
        """The words of the sheet, one sentence-ended line per heading and item (for readability checks)."""
        lines = []
        for block in self.blocks:
            lines.append(block.heading.rstrip(".:?") + ".")
            lines += [item.text if item.text.endswith((".", ":", "?")) else item.text + "."
                      for item in block.items if item.kind != "diary"]
        return "\n".join(lines)


def library_files() -> list[Path]:
    files = (resources_dir() / "aftercare").glob("aftercare-*.json")
    return sorted(files, key=lambda p: int(p.stem.split("-", 1)[1]) if p.stem.split("-", 1)[1].isdigit() else 0)


def load_library(version: str | None = None) -> AftercareLibrary:
    """The newest aftercare library, or the one of ``version`` (a sheet can be reprinted in its words)."""
    files = library_files()
    if not files:
        raise FileNotFoundError(f"No aftercare text in {resources_dir() / 'aftercare'}")
    if version is None:
        return _load(str(files[-1]))
    match = [p for p in files if p.stem == f"aftercare-{version}"]
    if not match:
        raise ValidationError({"version": f"There is no aftercare text version {version!r}."})
    return _load(str(match[0]))


@cache
def _load(path: str) -> AftercareLibrary:
    with open(path, encoding="utf-8") as fh:
        return parse_library(json.load(fh))


def parse_library(raw: Mapping[str, Any]) -> AftercareLibrary:
    """Check a library: known conditions and expansions, the same blocks in every language, a follow-up
    sentence for every choice where the follow-up is expanded, and all the picture's words where it has them."""
    if raw.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} file")
    languages = raw["languages"]
    reference: list[tuple[str, Any, Any]] | None = None
    for lang, text in languages.items():
        shape = []
        for block in text["blocks"]:
            conditions = [block.get("when")] + [i.get(k) for i in block["items"] for k in ("when", "unless")]
            unknown = {c for c in conditions if c} - CONDITIONS
            if unknown:
                raise ValueError(f"{lang}/{block['id']}: unknown condition(s) {sorted(unknown)}")
            for item in block["items"]:
                if "expand" in item and item["expand"] not in EXPANSIONS:
                    raise ValueError(f"{lang}/{block['id']}: unknown expansion {item['expand']!r}")
                if item.get("expand") == "follow_up":
                    missing = [k for k in FOLLOW_UP_KEYS if not text.get("follow_up", {}).get(k)]
                    if missing:
                        raise ValueError(f"{lang}: no follow-up sentence for {missing}")
            shape.append((block["id"], block.get("when"),
                          tuple((i.get("when"), i.get("unless"), i.get("expand")) for i in block["items"])))
        if "diagram" in text and any(not text["diagram"].get(k) for k in DIAGRAM_KEYS):
            raise ValueError(f"{lang}: the diagram needs the words {list(DIAGRAM_KEYS)}")
        if reference is None:
            reference = shape
        elif shape != reference:
            raise ValueError(f"language {lang!r} does not have the same blocks and conditions as the first one")
    return AftercareLibrary(str(raw["version"]), str(raw.get("date", "")), languages)


def _prep_classes(session: SessionRecord, formulary: Mapping[str, FormularyItem]) -> set[str]:
    """Agent classes actually injected: components of syringes used at injection sites."""
    used = {s.preparation_label for s in session.sites if s.technique == "injection" and s.preparation_label}
    classes = set()
    for prep in session.preparations:
        if prep.label in used:
            classes |= {formulary[c.item_code].agent_class for c in prep.components
                        if c.item_code in formulary and c.volume_ml > 0}
    return classes


def _near_lung(atlas: Atlas, site: Site) -> bool:
    try:
        return site_near_lung(atlas, site)
    except (KeyError, ValueError):
        return False


def aftercare_facts(session: SessionRecord, patient: PatientRecord, clinic: ClinicInfo,
                    formulary: Mapping[str, FormularyItem], atlas: Atlas) -> frozenset[str]:
    """The conditions that hold for this session: which blocks and items the sheet carries."""
    classes = _prep_classes(session, formulary)
    injection_sites = any(s.technique == "injection" for s in session.sites)
    needling = any(s.technique == "dry_needling" for s in session.sites)
    steroid = "corticosteroid" in classes
    la = "local_anesthetic" in classes
    facts = {
        "injected": bool(classes), "local_anesthetic": la, "steroid": steroid,
        "steroid_diabetes": steroid and patient.diabetes, "anticoagulant": bool(anticoagulant_taken(patient)),
        "bleeding_risk": bleeding_risk(patient, session.sites),  # the same predicate as the safety finding
        "near_lung": any(_near_lung(atlas, s) for s in session.sites), "needling": needling,
        "needling_only": needling and not injection_sites, "needling_mixed": needling and injection_sites,
        "estim": any(s.technique == "dry_needling" and s.estim for s in session.sites),
        "breastfeeding_la_only": patient.breastfeeding and la and not steroid,
        "has_after_hours": bool(clinic.after_hours_phone.strip()),
        # Version 1's "note from your care team" printed the clinician's free text (English on a Spanish
        # sheet); it never holds now: the sheet carries the patient's own follow-up instead.
        "has_follow_up": False,
    }
    return frozenset(name for name, holds in facts.items() if holds)


def _and_join(parts: list[str], word: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {word} {parts[-1]}"


def _places(session: SessionRecord, text: Mapping[str, Any]) -> tuple[list[str], dict[int, int]]:
    """Treated places in plain words, in site order, and each site's place number (1, 2, ...); a muscle
    treated on both sides is named once, and its markers on both sides carry the same number."""
    sides: dict[str, set[str]] = {}
    numbers: dict[int, int] = {}
    for site in sorted(session.sites, key=lambda s: s.number):
        place = text["muscles"].get(site.muscle_id) or site.muscle
        sides.setdefault(place, set()).add(site.side)
        numbers[site.number] = list(sides).index(place) + 1
    out = []
    for place, found in sides.items():
        key = "both" if found >= {"L", "R"} else next(iter(found))
        out.append(text["place_format"].format(place=place, side=text["sides"].get(key, key)))
    return out, numbers


def _date_text(day: date, text: Mapping[str, Any]) -> str:
    return text["date_pattern"].format(day=day.day, month=text["months"][day.month - 1], year=day.year)


def _visit_date(session: SessionRecord, text: Mapping[str, Any]) -> str:
    return _date_text(session.performed_start.date(), text)


def follow_up_sentence(session: SessionRecord, text: Mapping[str, Any]) -> str:
    """The patient's follow-up in the sheet's language: a pick, a date, or the usual "as planned"."""
    value = session.follow_up_in
    day = follow_up_date(value)
    if day is not None:
        return text["follow_up"]["date"].format(date=_date_text(day, text))
    return text["follow_up"].get(value) or text["follow_up"]["unset"]


def compose_aftercare(session: SessionRecord, patient: PatientRecord, clinic: ClinicInfo,
                      formulary: Mapping[str, FormularyItem], atlas: Atlas, library: AftercareLibrary,
                      lang: str) -> AftercareDoc:
    """The sheet for this session in ``lang``: exactly the blocks and items that apply to it."""
    text = library.text(lang)
    facts = aftercare_facts(session, patient, clinic, formulary, atlas)
    classes = _prep_classes(session, formulary)
    agents = [text["agents"][c] for c in AGENT_ORDER if c in classes]
    # {follow_up} (version 1) is empty: the clinician's free text never reaches the patient's sheet.
    values = {"hours": clinic.strenuous_activity_hours or 24, "phone": clinic.phone or "—",
              "after_hours": clinic.after_hours_phone, "clinic": clinic.name or "—",
              "agents": _and_join(agents, text["labels"]["and"]), "follow_up": ""}
    places, place_numbers = _places(session, text)
    blocks = []
    for raw in text["blocks"]:
        if raw.get("when") and raw["when"] not in facts:
            continue
        items: list[AftercareItem] = []
        for item in raw["items"]:
            if (item.get("when") and item["when"] not in facts) or (item.get("unless") and item["unless"] in facts):
                continue
            if item.get("expand") == "places":
                items += [AftercareItem(place, "place", n) for n, place in enumerate(places, start=1)]
            elif item.get("expand") == "diary":
                items.append(AftercareItem("", "diary"))
            elif item.get("expand") == "follow_up":
                items.append(AftercareItem(follow_up_sentence(session, text), "bullet" if item.get("bullet") else
                                           "text"))
            else:
                items.append(AftercareItem(item["text"].format(**values), "bullet" if item.get("bullet") else "text"))
        blocks.append(AftercareBlock(raw["id"], raw["heading"], tuple(items), bool(raw.get("alert"))))
    markers = tuple((place_numbers[s.number], s.view, s.x, s.y, s.technique, bool(s.estim)) for s in session.sites)
    return AftercareDoc(
        session_id=session.id, version=library.version, lang=lang, title=text["title"],
        patient_name=patient.display_name,
        patient_dob=patient.birth_date.isoformat() if patient.birth_date else "", visit_date=_visit_date(session, text),
        clinic_name=clinic.name, phone=clinic.phone, after_hours=clinic.after_hours_phone, blocks=tuple(blocks),
        markers=markers, atlas_version=session.atlas_version, labels=dict(text["labels"]),
        clinic_logo=clinic.logo_png, diagram_labels=dict(text.get("diagram", {})),
    )


def print_detail(version: str, where: str, lang: str, large_print: bool) -> str:
    """The audit event's words for a printed sheet (the form migration 0012 reads back from older trails)."""
    return f"aftercare sheet, library version {version} ({where}), language {lang}{', large print' if large_print else ''}"


def matches_detail(detail: str, version: str, lang: str, large_print: bool) -> bool:
    """Whether a print record says what its audit event says (language, large print, text version)."""
    head, _, rest = detail.partition(" (")
    tail = rest.rpartition("), ")[2]
    return (head == f"aftercare sheet, library version {version}"
            and tail == f"language {lang}{', large print' if large_print else ''}")


@dataclass(frozen=True)
class AftercarePrint:
    """One aftercare sheet printed, as the note reports it (from an aftercare_print row and its audit event)."""

    printed_at: datetime
    lang: str
    large_print: bool
    version: str
    by: str
    matches_audit: bool = True  # False: the row no longer says what its (hash-chained) audit event says

    def summary(self, language_names: Mapping[str, str]) -> str:
        """ "printed 2026-12-03 10:42 (Spanish, large print; text version 2) by N. Nurse" """
        kind = language_names.get(self.lang, self.lang) + (", large print" if self.large_print else "")
        by = f" by {self.by}" if self.by else ""
        warning = "" if self.matches_audit else " [DOES NOT MATCH ITS AUDIT EVENT]"
        return f"printed {self.printed_at:%Y-%m-%d %H:%M} ({kind}; text version {self.version}){by}{warning}"


def language_names(library: AftercareLibrary | None = None) -> dict[str, str]:
    """Each language code of the library with its English name ("es" -> "Spanish"), for the clinician's note."""
    library = library or load_library()
    return {code: text.get("english_name", text.get("name", code)) for code, text in library.languages.items()}
