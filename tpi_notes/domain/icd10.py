"""ICD-10-CM diagnoses from versioned code sets, searchable as you type (issue 15 item 7).

A claim must use the code set valid on the date of service (clinical-reference §9.4): each set has a version
("FY2026") and the dates it is valid (a fiscal year runs 1 October to 30 September). The app ships the sets of
resources/icd10/code-sets.json: FY2026 from the simple-icd-10-cm package's April 2026 data, and FY2027 as FY2026
with CMS's FY2027 order addenda applied (domain/icd10_addenda.py; built once per process, when a FY2027 date is
first looked up). An administrator loads later CMS releases (the "order" file, :func:`parse_order_file`) into the
database, and the services pass them in as ``sets``; a loaded release takes the place of a shipped set of the
same version. ``lookup`` and ``search`` use the set valid on ``day``.

Only billable codes (leaves of the classification) are offered: a header such as M54.5 or M79.1 is not
a valid claim diagnosis and ``lookup`` refuses it.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from tpi_notes.domain.findings import Finding
from tpi_notes.domain.icd10_addenda import AddendaLine, apply_addenda, parse_addenda
from tpi_notes.domain.patient import fold
from tpi_notes.domain.session import Diagnosis
from tpi_notes.paths import resources_dir

# Codes a pain clinic charting TPI uses most (clinical-reference §2.6); they are listed first.
COMMON = ("M79.10", "M79.11", "M79.12", "M79.18", "M79.7", "G44.209", "G44.219", "G44.229", "M54.2", "M54.50",
          "M54.59", "M54.6", "M62.830", "M62.838", "G89.29", "G89.4")
# A letter, then letters or digits: FY2027 opens codes with a letter in second place (QA1.790).
_CODE = re.compile(r"^[A-Za-z][0-9A-Za-z]{1,2}(\.?[0-9A-Za-z]{0,4})?$")
_WORD = re.compile(r"[0-9a-z]+")
_lock = threading.Lock()


@dataclass(frozen=True)
class _Index:
    codes: tuple[str, ...]
    descriptions: tuple[str, ...]
    by_code: dict[str, int]
    vocabulary: tuple[str, ...]
    postings: dict[str, frozenset[int]]
    code_version: str


@dataclass(frozen=True)
class CodeSet:
    """One release of the code set: its version, the dates it is valid, and (for a loaded one) its file's hash."""

    version: str
    valid_from: date
    valid_to: date
    release: str = ""
    token: str = ""  # "" = the shipped set; otherwise the SHA-256 of the loaded order file

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class OrderLine:
    """One line of a CMS order file: the code with its dot, whether it is billable, the short and long titles."""

    order: int
    code: str
    billable: bool
    short: str
    long: str


def parse_order_file(text: str) -> list[OrderLine]:
    """The CMS "order" file: order number (5), code (7, no dot), billable flag (1), short description (60) and
    long description, fixed-width and separated by one space. A line that does not fit raises ValueError."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        order, code, flag = line[0:5].strip(), line[6:13].strip(), line[14:15]
        if not (order.isdigit() and code and flag in ("0", "1") and _CODE.match(code)):
            raise ValueError(f"line {number} is not a CMS order-file line: {line[:40]!r}")
        dotted = code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"
        out.append(OrderLine(int(order), dotted.upper(), flag == "1", line[16:76].strip(),
                             line[77:].strip() or line[16:76].strip()))
    if not out:
        raise ValueError("the file has no codes")
    return out


@lru_cache(maxsize=1)
def _shipped_specs() -> dict[str, dict]:
    """The entries of resources/icd10/code-sets.json by version."""
    data = json.loads((resources_dir() / "icd10" / "code-sets.json").read_text(encoding="utf-8"))
    return {x["version"]: x for x in data["sets"]}


@lru_cache(maxsize=1)
def shipped_sets() -> tuple[CodeSet, ...]:
    """The code sets the app ships (resources/icd10/code-sets.json)."""
    return tuple(CodeSet(x["version"], date.fromisoformat(x["valid_from"]), date.fromisoformat(x["valid_to"]),
                         x.get("release", "")) for x in _shipped_specs().values())


def replaceable(version: str) -> bool:
    """Whether a loaded release may take the shipped set ``version``'s place: one built from addenda stands in
    for CMS's order file of that year, which an administrator loads when it is at hand."""
    spec = _shipped_specs().get(version)
    return spec is None or "addenda" in spec


def addenda_lines_of(spec: dict) -> list[AddendaLine]:
    """The changes a shipped set applies to its base, read from the file its entry names after checking the
    SHA-256 recorded there: a file changed after it was recorded would change billing codes unseen."""
    entry = spec["addenda"]
    data = (resources_dir() / "icd10" / entry["file"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise ValueError(f"resources/icd10/{entry['file']} does not match the SHA-256 recorded in code-sets.json; "
                         "reinstall the app")
    return parse_addenda(data.decode("utf-8"))


_installed: dict[str, _Index] = {}


def installed(token: str) -> bool:
    return token in _installed


def install(code_set: CodeSet, entries: Iterable[tuple[str, str]]) -> None:
    """Index a loaded set's billable codes ((code, description) pairs) under its token (kept for the process:
    a loaded release never changes)."""
    pairs = list(entries)
    index = _build([c for c, _ in pairs], [d for _, d in pairs], code_set.version)
    with _lock:
        _installed[code_set.token] = index


def set_for(day: date | None, sets: Sequence[CodeSet] | None = None) -> CodeSet | None:
    """The set valid on ``day`` (the latest-starting one if two overlap), or None when none is."""
    valid = [c for c in (sets or shipped_sets()) if day is None or c.valid_on(day)]
    return max(valid, key=lambda c: (c.valid_from, bool(c.token))) if valid else None  # a loaded one wins a tie


def set_or_nearest(day: date | None, sets: Sequence[CodeSet] | None = None) -> CodeSet:
    """The set valid on ``day``, or else the closest one (a date outside every set gets a warning elsewhere)."""
    all_sets = list(sets or shipped_sets())
    found = set_for(day, all_sets)
    if found is not None or day is None:
        return found or max(all_sets, key=lambda c: c.valid_from)
    return min(all_sets, key=lambda c: min(abs((c.valid_from - day).days), abs((c.valid_to - day).days)))


SET_NOT_VALID = "icd10_set_not_valid"


def fiscal_year(day: date) -> str:
    """The CMS release in effect on ``day``: "FY2027" from 1 October 2026 to 30 September 2027."""
    return f"FY{day.year + 1 if day.month >= 10 else day.year}"


def set_finding(day: date, sets: Sequence[CodeSet] | None = None) -> Finding | None:
    """A warning when no loaded set is valid on the date of service: the diagnoses were checked against the
    nearest one, which a claim for that date cannot rely on. It names the release to load and where: the app
    ships FY2026 and FY2027, so a date from 2027-10-01 on needs the CMS FY2028 order file."""
    if set_for(day, sets) is not None:
        return None
    near = set_or_nearest(day, sets)
    return Finding(SET_NOT_VALID, "warn", f"No loaded ICD-10-CM set is valid on {day.isoformat()}; codes checked "
                   f"against {near.version} ({near.valid_from.isoformat()} to {near.valid_to.isoformat()}). An "
                   f"administrator loads the CMS {fiscal_year(day)} order file: Administration > Load ICD-10-CM "
                   "release, or tpi-notes load-icd10.", "CMS code set of the date of service (clinical-reference §9.4)",
                   subject=day.isoformat())


def shipped_only_note(days: Iterable[date]) -> str | None:
    """One line for a set of sessions some of which no shipped set covers (the demo clinic's three years): said
    once, where the sessions are made, rather than as a warning on each of their notes."""
    shipped = shipped_sets()
    if all(set_for(day, shipped) is not None for day in days):
        return None
    names = " and ".join(f"{c.version} ({c.valid_from.isoformat()} to {c.valid_to.isoformat()})" for c in shipped)
    return (f"ICD-10-CM: the app ships {names} only; the demo's sessions on other dates are checked against the "
            "nearest, said here once rather than on each note. A clinic loads each year's CMS order file: "
            "Administration > Load ICD-10-CM release, or tpi-notes load-icd10.")


def _index_of(day: date | None, sets: Sequence[CodeSet] | None) -> _Index:
    chosen = set_or_nearest(day, sets)
    if chosen.token:
        return _installed[chosen.token] if chosen.token in _installed else _index()
    return _shipped_index(chosen.version)


_shipped: dict[str, _Index] = {}
_builds: dict[str, int] = {}
_shipped_lock = threading.Lock()


def _shipped_index(version: str) -> _Index:
    """The index of a shipped set: the package's for FY2026, or its base's with the addenda applied, built
    once per process (the first FY2027 look-up; `preload_in_background` does it ahead of the user)."""
    spec = _shipped_specs().get(version)
    if spec is None or "addenda" not in spec:
        return _index()
    found = _shipped.get(version)
    if found is not None:
        return found
    base = _shipped_index(spec["base"])  # outside the lock: it may build the package's index under _lock
    with _shipped_lock:
        if version not in _shipped:
            _shipped[version] = _derive(base, addenda_lines_of(spec), version)
            _builds[version] = _builds.get(version, 0) + 1
        return _shipped[version]


def shipped_index_builds() -> dict[str, int]:
    """How many times each addenda-built set was built in this process (once, whatever the look-ups)."""
    return dict(_builds)


def shipped_code_count(version: str) -> int:
    """The billable codes of a shipped set."""
    return len(_shipped_index(version).by_code)


def _words(text: str) -> set[str]:
    return set(_WORD.findall(fold(text)))


def _derive(base: _Index, changes: Sequence[AddendaLine], version: str) -> _Index:
    """``base`` with ``changes`` applied, reusing its word postings: only the words of the codes that changed
    are re-indexed (a few hundred codes of 74,000: about 0.3 s, where indexing every title again takes 2 s or
    more). A deleted code keeps its slot in ``codes`` but no key and no posting leads to it."""
    before = {base.codes[i]: base.descriptions[i] for i in base.by_code.values()}  # live codes only
    after = apply_addenda(before, changes)
    codes, descriptions, by_code = list(base.codes), list(base.descriptions), dict(base.by_code)
    gone: dict[str, set[int]] = {}
    come: dict[str, set[int]] = {}
    for code, text in before.items():
        new = after.get(code)
        if new == text:
            continue
        i = by_code[code.replace(".", "")]
        for word in _words(text):
            gone.setdefault(word, set()).add(i)
        if new is None:
            del by_code[code.replace(".", "")]
        else:
            descriptions[i] = new
            for word in _words(new):
                come.setdefault(word, set()).add(i)
    for code, text in after.items():
        if code not in before:
            by_code[code.replace(".", "")] = len(codes)
            for word in _words(text):
                come.setdefault(word, set()).add(len(codes))
            codes.append(code)
            descriptions.append(text)
    postings = dict(base.postings)
    for word in gone.keys() | come.keys():
        kept = (postings.get(word, frozenset()) - gone.get(word, set())) | come.get(word, set())
        if kept:
            postings[word] = frozenset(kept)
        else:
            postings.pop(word, None)
    return _Index(tuple(codes), tuple(descriptions), by_code, tuple(sorted(postings)), postings,
                  f"{base.code_version} with {version} addenda")


def _build(codes: list[str], descriptions: list[str], version: str) -> _Index:
    postings: dict[str, set[int]] = {}
    for i, text in enumerate(descriptions):
        for word in set(_WORD.findall(fold(text))):
            postings.setdefault(word, set()).add(i)
    return _Index(tuple(codes), tuple(descriptions), {c.replace(".", ""): i for i, c in enumerate(codes)},
                  tuple(sorted(postings)), {w: frozenset(p) for w, p in postings.items()}, version)


@lru_cache(maxsize=1)
def _index() -> _Index:
    with _lock, warnings.catch_warnings():
        # The package reads its data through importlib.resources' legacy API; that is its business.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm

        codes, descriptions = [], []
        for code in cm.get_all_codes(True):
            if cm.is_leaf(code):
                codes.append(code)
                descriptions.append(cm.get_description(code))
        postings: dict[str, set[int]] = {}
        for i, text in enumerate(descriptions):
            for word in set(_WORD.findall(fold(text))):
                postings.setdefault(word, set()).add(i)
        return _Index(tuple(codes), tuple(descriptions), {c.replace(".", ""): i for i, c in enumerate(codes)},
                      tuple(sorted(postings)), {w: frozenset(p) for w, p in postings.items()}, _code_version())


def _code_version() -> str:
    from importlib import resources

    names = [p.name for p in resources.files("simple_icd_10_cm").joinpath("data").iterdir()]
    found = [n for n in names if n.startswith("code-list-")]
    return found[0].removeprefix("code-list-").removesuffix(".txt") if found else "unknown"


def code_set_version() -> str:
    """Which release of the code set is loaded (e.g. "April-2026")."""
    return _index().code_version


def code_key(code: str) -> str:
    """One spelling for one code, to compare codes by: "M79.12", "m7912" and " M7912 " are the same code (a
    chosen code typed, carried or imported in another spelling must never be offered beside itself)."""
    return code.strip().upper().replace(".", "")


def lookup(code: str, day: date | None = None, sets: Sequence[CodeSet] | None = None) -> Diagnosis | None:
    """The billable code with its description in the set valid on ``day``, or None (unknown in that set, or a
    non-billable header)."""
    index = _index_of(day, sets)
    i = index.by_code.get(code_key(code))
    return None if i is None else Diagnosis(index.codes[i], index.descriptions[i])


def _words_matching(index: _Index, prefix: str) -> set[int]:
    start = bisect.bisect_left(index.vocabulary, prefix)
    hits: set[int] = set()
    for word in index.vocabulary[start:]:
        if not word.startswith(prefix):
            break
        hits |= index.postings[word]
    return hits


def search(text: str, limit: int = 30, day: date | None = None,
           sets: Sequence[CodeSet] | None = None) -> list[Diagnosis]:
    """Billable codes (of the set valid on ``day``) whose code starts with ``text`` or whose description has
    every typed word."""
    index = _index_of(day, sets)
    query = text.strip()
    if not query:
        return [d for d in (lookup(c, day, sets) for c in COMMON) if d][:limit]
    found: list[int]
    if _CODE.match(query) and any(ch.isdigit() for ch in query):
        prefix = query.upper().replace(".", "")
        found = [i for key, i in index.by_code.items() if key.startswith(prefix)]
    else:
        sets = [_words_matching(index, word) for word in _WORD.findall(fold(query))]
        found = list(set.intersection(*sets)) if sets else []
    common = {c: n for n, c in enumerate(COMMON)}
    found.sort(key=lambda i: (common.get(index.codes[i], len(common)), len(index.descriptions[i]), index.codes[i]))
    return [Diagnosis(index.codes[i], index.descriptions[i]) for i in found[:limit]]


def preload_in_background() -> None:
    """Build the search index on a worker thread (about 2 s), with today's shipped set's, so the first
    keystroke does not wait."""
    threading.Thread(target=lambda: _shipped_index(set_or_nearest(date.today()).version), name="icd10-index",
                     daemon=True).start()
