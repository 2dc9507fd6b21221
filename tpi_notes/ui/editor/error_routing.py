"""Sorting a refused save's messages to where they belong: draft fields, syringes, or sites by number."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SITE = re.compile(r"^sites\[(?P<number>\d+)\]\.(?P<field>[\w.]+)$")


@dataclass
class RoutedErrors:
    fields: dict[str, str] = field(default_factory=dict)
    """SessionDraft field name -> message (pre- and post-procedure panels)."""
    syringes: dict[str, str] = field(default_factory=dict)
    """``preparations[...]`` keys, as the service sent them."""
    sites: dict[int, dict[str, str]] = field(default_factory=dict)
    """Site number -> {Site field (``estim.frequency_hz`` for e-stim) -> message}."""


def route(errors: dict[str, str]) -> RoutedErrors:
    routed = RoutedErrors()
    for key, message in errors.items():
        site = _SITE.match(key)
        if site is not None:
            routed.sites.setdefault(int(site.group("number")), {})[site.group("field")] = message
        elif key.startswith("preparations"):
            routed.syringes[key] = message
        else:
            routed.fields[key] = message
    return routed
