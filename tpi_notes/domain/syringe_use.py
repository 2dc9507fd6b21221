"""What the injection sites take from each syringe, and the live stop when they take more than it holds.

Saving refuses an overdrawn syringe (draft_rules); this says so while charting, in the findings panel, before Save
is pressed (issue 16 Why 8: six default 1 mL sites overdraw the default 5 mL syringe). The editor's one-click fix
scales the syringe to what the sites take, keeping its mix; it never follows the sites by itself, since a larger
syringe is more drug given, which someone must confirm.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tpi_notes.domain.findings import Finding
from tpi_notes.domain.session import Preparation, Site

CODE = "syringe_overdrawn"
SOURCE = "The sites' volumes come out of the syringe drawn up (product.md §3)"


def drawn_by_sites(sites: Iterable[Site]) -> dict[str, float]:
    """mL each syringe gives its injection sites, by label."""
    drawn: dict[str, float] = {}
    for site in sites:
        if site.technique == "injection" and site.preparation_label and site.volume_ml:
            drawn[site.preparation_label] = drawn.get(site.preparation_label, 0.0) + site.volume_ml
    return drawn


def overdraw_findings(sites: Sequence[Site], preparations: Sequence[Preparation]) -> list[Finding]:
    """A stop per syringe whose sites take more than it holds (the same condition Save refuses)."""
    drawn = drawn_by_sites(sites)
    out = []
    for prep in preparations:
        taken = drawn.get(prep.label, 0.0)
        if taken > prep.total_ml + 1e-9:
            out.append(Finding(CODE, "stop", f"The sites take {taken:g} mL from syringe {prep.label}, which holds "
                               f"{prep.total_ml:g} mL: draw up {taken:g} mL or lower the sites' volumes.",
                               SOURCE, prep.label))
    return out


def scaled_volumes(volumes: Sequence[float], total: float) -> list[float]:
    """``volumes`` scaled to add up to ``total`` (2 decimals, the rounding left on the largest), same mix."""
    held = sum(volumes)
    if held <= 0:
        return list(volumes)
    out = [round(v * total / held, 2) for v in volumes]
    largest = max(range(len(out)), key=lambda i: out[i])
    out[largest] = round(out[largest] + total - sum(out), 2)
    return out
