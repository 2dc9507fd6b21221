"""The anatomy atlas: body-diagram regions (muscle, patient side, view) loaded from versioned data.

Pure Python, no Qt and no database: the Qt scene, the PDF drawing, hit-testing and exports all read
the same :class:`Atlas`. Coordinates are normalised per view (0..1, x to the viewer's right, y down);
in the anterior view the patient's right is on the viewer's left, in the posterior view on the right.
"""

from __future__ import annotations

from .atlas import Atlas
from .loader import available_versions, load_atlas, resources_dir
from .model import ANTERIOR, POSTERIOR, SIDES, VIEWS, DeepAlternative, Region, ViewInfo, check_view
from .pathdata import flatten, parse_path

__all__ = [
    "ANTERIOR",
    "POSTERIOR",
    "SIDES",
    "VIEWS",
    "Atlas",
    "DeepAlternative",
    "Region",
    "ViewInfo",
    "available_versions",
    "check_view",
    "flatten",
    "load_atlas",
    "parse_path",
    "resources_dir",
]
