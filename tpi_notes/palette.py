"""Colours shared by every renderer (Qt scene, PDF drawing), so a marker means the same everywhere."""

from __future__ import annotations

# Site markers by technique; dry needling with electrical stimulation has its own colour.
MARKER_COLOURS = {"injection": "#1f5aa6", "dry_needling": "#c2410c", "estim": "#7b3fbf"}
MARKER_LABELS = {"injection": "Injection", "dry_needling": "Dry needling", "estim": "Dry needling + e-stim"}
# The response map (issue 17, domain/outcomes.py response classes): Okabe-Ito colours, told apart with any colour
# vision (blue, yellow, vermillion); "not recorded" is grey and hatched, so it never reads as a colour of its own.
RESPONSE_COLOURS = {"good": "#0072B2", "partial": "#F0E442", "none": "#D55E00", "not_recorded": "#9E9E9E"}


def marker_kind(technique: str, estim: object = None) -> str:
    """The legend entry of a site: ``injection``, ``dry_needling`` or ``estim``."""
    if technique == "dry_needling" and estim:
        return "estim"
    return technique
