"""Coded allergies (issue 13 item 1): what a recorded allergy names, and what it means for a session.

Allergies used to be free text matched as substrings of each agent's generic name: "Kenalog", "Depo-Medrol",
"Naropin" or "Decadron" matched nothing, so the needle went in; any "-caine" word (procaine, an ester) stopped
lidocaine (an amide) with no override, so staff deleted allergies to chart. Chlorhexidine, the default skin prep,
and the nickel of the needles were never compared with anything.

Each entry now keeps the substance as typed or picked (it is always what prints) and resolves it, at read time,
through ``resources/rules/allergens.json`` (generic and brand names of every formulary agent, the agent
classes, the non-drug substances a procedure meets) to agents, classes or a substance. The safety rules compare
the resolution with the syringes, the skin prep and the needles; cross-reactivity (esters vs amides) is data.
An entry that resolves to nothing is never dropped: it prints as typed and asks to be coded.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from tpi_notes.domain.findings import Finding
from tpi_notes.domain.formulary import FormularyItem, load_default_formulary
from tpi_notes.domain.none_answers import means_none
from tpi_notes.paths import resources_dir

FORMAT = "tpi-notes-allergens"
KINDS = ("allergy", "intolerance")
MIGRATED = "migrated"  # recorded_by of an entry carried over from a free-text list by migration 0011
SOURCE = "clinical-reference §9.1 (allergy resolution and cross-reactivity), §4.1-4.2; resources/rules/allergens.json"
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")


# -- the data ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)  # a pure function of the text; the rules fold the same few names for every session
def key(text: str) -> str:
    """Folded (case, accents) with punctuation as spaces: "Kenalog-40" -> "kenalog 40"."""
    decomposed = unicodedata.normalize("NFKD", _PARENTHESES.sub(" ", text or "")).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
                    .split())


@dataclass(frozen=True)
class Allergens:
    """allergens.json read once: names to what they mean, and the rules."""

    version: str
    names: Mapping[str, tuple[str, str]]  # key(name) -> ("agent" | "class" | "substance", id)
    agents: Mapping[str, Mapping[str, Any]]
    classes: Mapping[str, Mapping[str, Any]]
    substances: Mapping[str, Mapping[str, Any]]
    cross: tuple[Mapping[str, Any], ...]
    preservative: Mapping[str, Any]
    dropped: frozenset[str]
    reactions: tuple[str, ...]
    picks: tuple[str, ...]  # the names offered by the form's completer
    none_words: frozenset[str] = frozenset()  # "NKDA", "no known allergies": not an allergy, an answer

    def class_ids(self, agent_id: str) -> frozenset[str]:
        """An agent's classes with their parents ("lidocaine" -> amide local anesthetic, local anesthetic)."""
        out: set[str] = set()
        for cid in self.agents[agent_id].get("classes", ()):
            while cid and cid not in out:
                out.add(cid)
                cid = self.classes[cid].get("parent", "")
        return frozenset(out)


@cache
def allergens() -> Allergens:
    path = resources_dir() / "rules" / "allergens.json"
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    if raw.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} file")
    names: dict[str, tuple[str, str]] = {}
    picks: list[str] = []
    for kind, group in (("agent", "agents"), ("class", "classes"), ("substance", "substances")):
        for entry in raw[group]:
            for name in (entry["label"], *entry["names"]):
                names.setdefault(key(name), (kind, entry["id"]))
            picks.extend(n for n in entry["names"] if len(n) > 3 and not n.startswith("-"))
    dropped = frozenset(key(w) for w in (*raw["filler_words"], *raw["unit_words"]))
    return Allergens(raw["version"], names, {a["id"]: a for a in raw["agents"]},
                     {c["id"]: c for c in raw["classes"]}, {s["id"]: s for s in raw["substances"]},
                     tuple(raw["cross_reactivity"]), raw["preservative"], dropped, tuple(raw["reactions"]),
                     tuple(dict.fromkeys(picks)), frozenset(key(w) for w in raw.get("none_words", ())))


def means_no_allergy(text: str) -> bool:
    """"NKDA", "No known allergies", "none", "n/a" typed as an allergy: the answer "no", not a substance."""
    return means_none(text) or key(text) in allergens().none_words


# -- resolving what was typed ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Resolution:
    """What an entry names: agents (their formulary items), agent classes, or a non-drug substance."""

    agents: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()  # classes the entry names itself ("esters", "corticosteroids")
    substance: str | None = None
    items: tuple[str, ...] = ()  # codes of the shipped formulary's items it covers

    @property
    def coded(self) -> bool:
        return bool(self.agents or self.classes or self.substance)

    def describe(self) -> str:
        """"triamcinolone acetonide (corticosteroid)", "ester local anesthetics", "chlorhexidine"; "" if none."""
        data = allergens()
        parts = []
        for agent in self.agents:
            labels = [data.classes[c]["label"] for c in data.agents[agent].get("classes", ())]
            parts.append(data.agents[agent]["label"] + (f" ({', '.join(labels)})" if labels else ""))
        parts.extend(data.classes[c]["label"] + "s (every one)" for c in self.classes)
        if self.substance:
            parts.append(data.substances[self.substance]["label"])
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"items": list(self.items), "classes": list(self.classes), "agents": list(self.agents),
                "substance": self.substance}


def _lookup(words: list[str]) -> tuple[str, str] | None:
    return allergens().names.get(" ".join(words)) if words else None


def _find(text: str) -> tuple[str, str] | None:
    """("agent" | "class" | "substance", id) for a name: the whole phrase, then without strengths and fillers."""
    data = allergens()
    words = key(text).split()
    return _lookup(words) or _lookup([w for w in words if w not in data.dropped and not w.isdigit()])


@cache
def resolve(substance: str) -> Resolution:
    """What ``substance`` names ("Kenalog 40" -> triamcinolone; "lidocaine 1%" -> lidocaine; "esters" -> the
    ester class; "ChloraPrep" -> chlorhexidine): the whole phrase, then without strengths and filler words."""
    found = _find(substance)
    if found is None:
        return Resolution()
    kind, ident = found
    if kind == "substance":
        return Resolution(substance=ident)
    agents = (ident,) if kind == "agent" else ()
    classes = (ident,) if kind == "class" else ()
    return Resolution(agents, classes, None, _shipped_items(agents, classes))


def _shipped_items(agents: tuple[str, ...], classes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(item.code for item in load_default_formulary().items
                 if _direct(Resolution(agents, classes), agent_of(item)))


def agent_of(item: FormularyItem) -> str | None:
    """The allergens agent of a formulary item, by its generic name (a clinic's own item too)."""
    found = _find(item.generic)
    return found[1] if found and found[0] == "agent" else None


def _item_classes(item: FormularyItem) -> frozenset[str]:
    agent = agent_of(item)
    if agent is not None:
        return allergens().class_ids(agent)
    return frozenset({item.agent_class} & set(allergens().classes))  # unknown generic: its formulary class


def _direct(res: Resolution, agent: str | None, item_classes: frozenset[str] | None = None) -> bool:
    if agent is not None and agent in res.agents:
        return True
    classes = allergens().class_ids(agent) if agent is not None else (item_classes or frozenset())
    return bool(classes & set(res.classes))


# -- an entry ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AllergyEntry:
    """One recorded allergy or intolerance: the substance as typed or picked, with who recorded it when."""

    substance: str
    kind: str = "allergy"
    reaction: str = ""
    recorded_by: str = ""
    recorded_at: datetime | None = None

    @property
    def resolution(self) -> Resolution:
        return resolve(self.substance)

    @property
    def is_allergy(self) -> bool:
        return self.kind != "intolerance"

    def label(self) -> str:
        """"Kenalog (allergy, anaphylaxis)", "codeine (intolerance)": what the note and header print."""
        detail = ", ".join(x for x in (self.kind, self.reaction) if x)
        return f"{self.substance} ({detail})"

    def content(self) -> dict[str, Any]:
        """The stored form (the patient row, a signed context): what was recorded, not what it resolves to."""
        return {"substance": self.substance, "kind": self.kind, "reaction": self.reaction,
                "recorded_by": self.recorded_by or None,
                "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None}

    def to_json(self) -> dict[str, Any]:
        """The export's object: the stored form with what it resolves to today."""
        out = self.content()
        out["resolved"] = self.resolution.to_json()
        return out

    @classmethod
    def from_json(cls, value: Any) -> AllergyEntry:
        """A stored entry, or a plain string (a list from before migration 0011, a version 2/3 signed context)."""
        if isinstance(value, str):
            return cls(value)
        when = value.get("recorded_at")
        kind = value.get("kind") if value.get("kind") in KINDS else "allergy"
        return cls(str(value.get("substance") or ""), kind, str(value.get("reaction") or ""),
                   str(value.get("recorded_by") or ""),
                   datetime.fromisoformat(when) if isinstance(when, str) and when else None)


def entry_from_export(obj: Mapping[str, Any] | str) -> AllergyEntry:
    """An entry from an export line's ``patient.allergies`` object; ``{"substance": "Kenalog"}`` alone (or the
    plain text) is enough: the app resolves it (whatever ``resolved`` the file carries is not trusted). A kind
    other than "intolerance" is read as an allergy, the stricter reading."""
    if isinstance(obj, str) and obj.strip():
        return AllergyEntry(obj.strip())
    if not isinstance(obj, Mapping) or not str(obj.get("substance") or "").strip():
        raise ValueError("an allergy needs a \"substance\"")
    return AllergyEntry.from_json(obj)


def entries_from_json(values: Iterable[Any] | None) -> tuple[AllergyEntry, ...]:
    return tuple(e for e in (AllergyEntry.from_json(v) for v in values or ()) if e.substance.strip())


def merge(texts: Sequence[str], entries: Sequence[AllergyEntry]) -> tuple[AllergyEntry, ...]:
    """The entries for the list ``texts``: an entry kept for each text it matches, a new allergy for a new
    text (a caller that sets only the plain list keeps the kinds and reactions recorded before)."""
    pool = list(entries)
    out = []
    for text in texts:
        match = next((e for e in pool if e.substance == text), None)
        if match is None:
            out.append(AllergyEntry(text))
        else:
            pool.remove(match)
            out.append(match)
    return tuple(out)


def entries_of(patient: Any) -> tuple[AllergyEntry, ...]:
    """A patient's entries, in step with its plain ``allergies`` list."""
    entries = tuple(getattr(patient, "allergy_entries", ()) or ())
    texts = tuple(getattr(patient, "allergies", ()) or ())
    if tuple(e.substance for e in entries) == texts:
        return entries
    return merge(texts, entries)


def stamped(before: Sequence[AllergyEntry], after: Sequence[AllergyEntry], who: str,
            when: datetime) -> tuple[AllergyEntry, ...]:
    """``after`` with each new or changed entry stamped ``who``/``when``; the unchanged keep their stamp."""
    old = {(e.substance, e.kind, e.reaction): e for e in before}
    out = []
    for e in after:
        kept = old.get((e.substance, e.kind, e.reaction))
        if kept is not None and kept.recorded_at is not None:
            out.append(kept)
        else:
            out.append(AllergyEntry(e.substance, e.kind, e.reaction, who, when))
    return tuple(out)


def allergies_label(entries: Sequence[AllergyEntry]) -> str:
    return "; ".join(e.label() for e in entries)


# -- what they mean for a session ------------------------------------------------------------------------
@dataclass
class _Hits:
    by_code: dict[str, list[AllergyEntry]] = field(default_factory=dict)
    why: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    def add(self, code: str, entry: AllergyEntry, rule: Mapping[str, Any] | None = None) -> None:
        self.by_code.setdefault(code, []).append(entry)
        if rule is not None:
            self.why.setdefault(code, rule)


def _names(entries: Sequence[AllergyEntry]) -> str:
    return ", ".join(dict.fromkeys(e.substance + (f" ({e.reaction})" if e.reaction else "") for e in entries))


def _item_hits(entries: Sequence[AllergyEntry], item: FormularyItem) -> _Hits:
    data = allergens()
    agent = agent_of(item)
    classes = _item_classes(item)
    hits = _Hits()
    for e in entries:
        res = e.resolution
        if not (res.agents or res.classes):
            continue
        if _direct(res, agent, classes):
            hits.add("allergy" if e.is_allergy else "allergy_intolerance", e)
            continue
        if not e.is_allergy:
            continue
        source = set(res.classes).union(*(data.class_ids(a) for a in res.agents))
        for rule in data.cross:
            if rule["from"] in source and rule["to"] in classes:
                hits.add(rule["code"], e, rule)
                break
    return hits


def item_findings(entries: Sequence[AllergyEntry], item: FormularyItem) -> list[Finding]:
    """The findings of one agent in a syringe: a true allergy to it or its class is a stop; an intolerance a
    warning; a cross-reactive class as allergens.json says (ester allergy, amide planned: a warning)."""
    hits = _item_hits(entries, item)
    if "allergy" in hits.by_code:  # a true allergy says it all
        return [Finding("allergy", "stop", f"Recorded allergy to {_names(hits.by_code['allergy'])}, and {item.name} "
                        "is in a syringe: use another agent, saline or dry needling.",
                        "clinical-reference §4.1 (true allergy to the planned agent); " + SOURCE, subject=item.name)]
    out = []
    for code, found in hits.by_code.items():
        names = _names(found)
        if code == "allergy_intolerance":
            out.append(Finding(code, "warn", f"Recorded intolerance to {names}, and {item.name} is in a syringe: "
                               "not an allergy, but ask the patient and consider another agent.", SOURCE,
                               subject=item.name))
            continue
        rule = hits.why[code]
        severity = rule["severity"]
        if code == "allergy_cross_class":
            text = (f"Recorded allergy to {names}, another class of local anesthetic than {item.name}: "
                    "cross-reactivity is rare and this class is the usual alternative; check the recorded "
                    "reaction and watch the patient.")
        else:
            text = (f"Recorded allergy to {names}, in the same class as {item.name}: cross-reactivity is possible. "
                    "Choose another agent, or document why it is safe (reaction, allergist's advice).")
        out.append(Finding(code, severity, text, f"{rule['why']} ({SOURCE})", subject=item.name,
                           overridable=bool(rule.get("overridable"))))
    return out


def preservative_findings(entries: Sequence[AllergyEntry], items: Iterable[FormularyItem]) -> list[Finding]:
    """A paraben or ester allergy with an agent from a multi-dose vial (which carries a paraben preservative)."""
    data = allergens()
    rule = data.preservative
    reasons = [e for e in entries if e.is_allergy and (
        e.resolution.substance in rule["substances"]
        or set(rule["classes"]) & set(e.resolution.classes).union(*(data.class_ids(a) for a in e.resolution.agents)))]
    if not reasons:
        return []
    multi = sorted({i.name for i in items if not i.single_dose_vial and i.agent_class != "saline"})
    return [Finding("allergy_preservative", "warn", f"Recorded allergy to {_names(reasons)} and {name} is drawn "
                    "from a multi-dose vial, whose preservative (methylparaben) is PABA-like: prefer a "
                    "preservative-free single-dose vial.", f"{rule['why']} ({SOURCE})", subject=name)
            for name in multi]


def _prep_substances(antisepsis: str) -> list[str]:
    """The substances a skin prep names: "Chlorhexidine-alcohol" -> chlorhexidine, isopropyl alcohol."""
    data = allergens()
    words = key(antisepsis).split()
    found = []
    for size in (3, 2, 1):
        for start in range(len(words) - size + 1):
            hit = data.names.get(" ".join(words[start:start + size]))
            if hit and hit[0] == "substance" and data.substances[hit[1]]["where"] == "antisepsis":
                found.append(hit[1])
    return list(dict.fromkeys(found))


def material_findings(entries: Sequence[AllergyEntry], antisepsis: str, has_sites: bool) -> list[Finding]:
    """The skin prep, the needles, the gloves and the dressing against the non-drug allergies."""
    data = allergens()
    out = []
    by_substance: dict[str, list[AllergyEntry]] = {}
    for e in entries:
        if e.resolution.substance:
            by_substance.setdefault(e.resolution.substance, []).append(e)
    for sid in _prep_substances(antisepsis):
        found = by_substance.get(sid, [])
        label = data.substances[sid]["label"]
        allergic = [e for e in found if e.is_allergy]
        if allergic:
            out.append(Finding("allergy_antisepsis", "stop", f"Recorded allergy to {_names(allergic)} and the skin "
                               f"prep is {antisepsis} ({label}): choose another antiseptic.",
                               "clinical-reference §9.1 (an allergy to the chosen antisepsis is a reason to choose "
                               "another; chlorhexidine anaphylaxis is reported)", subject=label))
        elif found:
            out.append(Finding("allergy_intolerance", "warn", f"Recorded intolerance to {_names(found)}, and the "
                               f"skin prep is {antisepsis}: consider another antiseptic.", SOURCE, subject=label))
    if not has_sites:
        return out
    where = {"needle": ("allergy_needle_material", "{names}: the needles are stainless steel, which contains nickel "
                        "and chromium; consider gold-plated or other nickel-free needles and watch the skin."),
             "gloves": ("allergy_latex", "{names}: use latex-free gloves and check the vial stoppers."),
             "dressing": ("allergy_adhesive", "{names}: use a non-adhesive dressing or none.")}
    for sid, found in by_substance.items():
        place = data.substances[sid]["where"]
        if place in where:
            code, text = where[place]
            out.append(Finding(code, "warn", "Recorded " + ("allergy" if any(e.is_allergy for e in found)
                                                             else "intolerance") + " to " + text.format(
                names=_names(found)), "clinical-reference §9.1 (latex, nickel and chromium, adhesive)",
                subject=data.substances[sid]["label"]))
    return out


def unresolved_findings(entries: Sequence[AllergyEntry]) -> list[Finding]:
    return [Finding("allergy_unresolved", "warn", f"The recorded {e.kind} “{e.substance}” is not coded: the app "
                    "cannot tell whether it concerns an agent, the skin prep or the needles. Pick the substance "
                    "in the patient form (the text stays as typed).", SOURCE, subject=e.substance)
            for e in dict((e.substance, e) for e in entries if not e.resolution.coded).values()]


def allergy_findings(entries: Sequence[AllergyEntry], items: Sequence[FormularyItem], antisepsis: str,
                     has_sites: bool) -> list[Finding]:
    """Every allergy finding of a session: its agents (sorted by code), preservative, prep, needles, uncoded."""
    out = []
    for item in items:
        out.extend(item_findings(entries, item))
    out.extend(preservative_findings(entries, items))
    out.extend(material_findings(entries, antisepsis, has_sites))
    out.extend(unresolved_findings(entries))
    return out
