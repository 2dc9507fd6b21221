"""The clinic's password rule (product.md §9, issue 14 item 6): long enough and hard to guess.

A password needs at least MIN_LENGTH characters and a zxcvbn score of at least MIN_SCORE (zxcvbn estimates how
many guesses an attacker needs, from common-password lists, dictionaries, names, dates, keyboard patterns and
the words it is given: here the person's own names and user name, the clinic's name and the program's words).
zxcvbn treats a space or a dash between words as an unknown character worth many guesses, so "demo clinic 2026"
scores top marks; the password is therefore also scored with its separators taken out, and the lower score
counts. The published demo password is refused outside the demo clinic whatever it scores.

Plain Python, no database: the services pass in the names. A password is never put in a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MIN_LENGTH = 12
# Argon2 hashes whatever it is given; a cap keeps a pasted book from tying up the machine.
MAX_LENGTH = 1024
# zxcvbn's 0–4; 3 is "safely unguessable: moderate protection from an offline slow-hash attack" (10^8+ guesses).
MIN_SCORE = 3
# zxcvbn's matching grows faster than the length: the first characters decide (a longer one only gains).
_SCORED_LENGTH = 64
# The words of the program and of the demo clinic, which an attacker tries first.
APP_WORDS = ("tpi", "notes", "tpinotes", "trigger", "point", "injection", "demo", "clinic", "password")
_SEPARATORS = re.compile(r"[\W_]+")
# Printed on the demo clinic's login screen (services/demo_data.py gives it to every demo user).
DEMO_PASSWORD = "demo clinic 2026"


def _skeleton(text: str) -> str:
    """Lower case with spaces, punctuation and underscores taken out: "Demo clinic-2026" → "democlinic2026"."""
    return _SEPARATORS.sub("", text.casefold())


def is_demo_password(password: str) -> bool:
    """Whether ``password`` is the published demo password, whatever its case, spaces or punctuation."""
    return _skeleton(password) == _skeleton(DEMO_PASSWORD)


def personal_words(*texts: str) -> list[str]:
    """The words an attacker knows about a person or a clinic: each name part, the parts run together
    ("Amelia Hart", "ahart" → amelia, hart, ameliahart, hartamelia, ahart)."""
    words: list[str] = []
    for text in texts:
        parts = [p for p in _SEPARATORS.split(text.casefold()) if len(p) >= 2][:8]
        words += ["".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)]
        if len(parts) > 1:
            words.append("".join(reversed(parts)))
    return list(dict.fromkeys(words))


def check_strength(password: str, *, names: Iterable[str] = (), demo_clinic: bool = False) -> str | None:
    """Why ``password`` will not do, in one or two sentences for the password field, or None when it will.

    ``names`` are the person's full name and user name and the clinic's name; ``demo_clinic`` allows the
    published demo password (only the demo clinic uses it)."""
    if len(password) < MIN_LENGTH:
        return f"A password needs at least {MIN_LENGTH} characters (a few unrelated words with spaces will do)."
    if len(password) > MAX_LENGTH:
        return f"A password can be at most {MAX_LENGTH} characters."
    if is_demo_password(password):  # the demo clinic's convention, and nowhere else
        return None if demo_clinic else "That is the demo clinic's published password; choose your own."
    from zxcvbn import zxcvbn

    personal = personal_words(*names)
    words = [*personal, *APP_WORDS]
    scored = password[:_SCORED_LENGTH]
    results = [zxcvbn(scored, user_inputs=words)]
    skeleton = _skeleton(scored)
    for variant in (skeleton, _without(skeleton, personal)):
        if variant != scored and all(variant != r["password"] for r in results):
            results.append(zxcvbn(variant, user_inputs=words) if variant else {"score": 0, "sequence": [
                {"dictionary_name": "user_inputs"}], "password": ""})
    weakest = min(results, key=lambda r: r["score"])
    if weakest["score"] >= MIN_SCORE:
        return None
    return "This password is too easy to guess. " + _advice(results)


def _without(skeleton: str, personal: list[str]) -> str:
    """The password's skeleton with the person's and the clinic's names taken out: what is left must be hard to
    guess on its own ("ahart-2026-ahart" leaves "2026")."""
    for word in sorted((w for w in personal if len(w) >= 3), key=len, reverse=True):
        skeleton = skeleton.replace(word, "")
    return skeleton


def _advice(results: list[dict]) -> str:
    """zxcvbn's warning and suggestions, and a word about names when it matched one of them."""
    personal = any(m.get("dictionary_name") == "user_inputs" for r in results for m in r.get("sequence", ()))
    lines: list[str] = []
    if personal:
        lines.append("It is built on your name, your user name or the clinic's name.")
    for r in results:
        feedback = r.get("feedback") or {}
        for line in (feedback.get("warning") or "", *(feedback.get("suggestions") or ())):
            line = line.strip()
            if line and line not in lines:
                lines.append(line if line.endswith(".") else line + ".")
    if not lines:
        lines.append("Add another word or two; uncommon words are better.")
    return " ".join(lines[:2])
