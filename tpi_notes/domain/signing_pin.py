"""The signing PIN's rule: what a physician may choose as the short secret that signs inside their own session.

A PIN is weak by nature (a million six-digit choices), so it is only a second key to a door that is already
open: it works only in the physician's own signed-in session, it unwraps their signing key through Argon2id
(as the password does), and five wrong PINs lock it. The rule still refuses the PINs tried first: too short,
one digit or a short group repeated ("121212", "123123"), or a run up or down ("123456", "987654").
"""

from __future__ import annotations

MIN_PIN_DIGITS = 6
MAX_PIN_DIGITS = 12
MAX_PIN_FAILURES = 5


def pin_format_problem(pin: str) -> str | None:
    """Why ``pin`` cannot be anyone's PIN (empty, not ASCII digits, too short or too long), or None.

    At signing such a slip is refused without being counted towards the lock: no PIN can match it, so it tells
    a guesser nothing, and a typo never locks a physician out. A well-formed entry is always tried, even one the
    rule below refuses today (a PIN set under an older rule still opens the key)."""
    if not pin:
        return "Type a PIN."
    if not pin.isascii() or not pin.isdigit():
        return "A PIN is digits only (0–9)."
    if len(pin) < MIN_PIN_DIGITS:
        return f"A PIN has at least {MIN_PIN_DIGITS} digits."
    if len(pin) > MAX_PIN_DIGITS:
        return f"A PIN has at most {MAX_PIN_DIGITS} digits."
    return None


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` will not do as a signing PIN, or None."""
    problem = pin_format_problem(pin)
    if problem:
        return problem
    if len(set(pin)) == 1:
        return "A PIN cannot be one digit repeated."
    if any(pin == (pin[:period] * len(pin))[:len(pin)] for period in (2, 3)):
        return "A PIN cannot be a short group of digits repeated (such as 121212 or 123123)."
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {9}):
        return "A PIN cannot be a run of digits up or down (such as 123456)."
    return None
