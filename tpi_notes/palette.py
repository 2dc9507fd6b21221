"""Colours shared by every renderer (Qt scene, PDF drawing), so a marker means the same everywhere."""

from __future__ import annotations

# Site markers by technique; dry needling with electrical stimulation has its own colour.
MARKER_COLOURS = {"injection": "#1f5aa6", "dry_needling": "#c2410c", "estim": "#7b3fbf"}
MARKER_LABELS = {"injection": "Injection", "dry_needling": "Dry needling", "estim": "Dry needling + e-stim"}


def marker_kind(technique: str, estim: object = None) -> str:
    """The legend entry of a site: ``injection``, ``dry_needling`` or ``estim``."""
    if technique == "dry_needling" and estim:
        return "estim"
    return technique
