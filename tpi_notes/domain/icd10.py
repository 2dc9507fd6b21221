"""ICD-10-CM diagnoses from the full code set (the simple-icd-10-cm package), searchable as you type.

Only billable codes (leaves of the classification) are offered: a header such as M54.5 or M79.1 is not
a valid claim diagnosis and ``lookup`` refuses it.
"""

from __future__ import annotations

import bisect
import re
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache

from tpi_notes.domain.patient import fold
from tpi_notes.domain.session import Diagnosis

# Codes a pain clinic charting TPI uses most (clinical-reference §2.6); they are listed first.
COMMON = ("M79.10", "M79.11", "M79.12", "M79.18", "M79.7", "G44.209", "G44.219", "G44.229", "M54.2", "M54.50",
          "M54.59", "M54.6", "M62.830", "M62.838", "G89.29", "G89.4")
_CODE = re.compile(r"^[A-Za-z]\d[0-9A-Za-z]?(\.?[0-9A-Za-z]{0,4})?$")
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


def lookup(code: str) -> Diagnosis | None:
    """The billable code with its description, or None (unknown, or a non-billable header)."""
    index = _index()
    i = index.by_code.get(code.strip().upper().replace(".", ""))
    return None if i is None else Diagnosis(index.codes[i], index.descriptions[i])


def _words_matching(index: _Index, prefix: str) -> set[int]:
    start = bisect.bisect_left(index.vocabulary, prefix)
    hits: set[int] = set()
    for word in index.vocabulary[start:]:
        if not word.startswith(prefix):
            break
        hits |= index.postings[word]
    return hits


def search(text: str, limit: int = 30) -> list[Diagnosis]:
    """Billable codes whose code starts with ``text`` or whose description has every typed word."""
    index = _index()
    query = text.strip()
    if not query:
        return [d for d in (lookup(c) for c in COMMON) if d][:limit]
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
    """Build the search index on a worker thread (about 2 s) so the first keystroke does not wait."""
    threading.Thread(target=_index, name="icd10-index", daemon=True).start()
