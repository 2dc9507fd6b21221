"""Where tpi-notes finds its reference data and keeps its files (no Qt, no database)."""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "tpi-notes"
APP_AUTHOR = "tpi-notes"
DB_FILENAME = "tpi-notes.sqlite"


def resources_dir() -> Path:
    """The versioned reference data (formulary, atlas, aftercare text, rules); ``TPI_NOTES_RESOURCES`` overrides.

    An installed wheel (or a frozen bundle) carries it inside the package as ``tpi_notes/_resources`` (setup.py
    maps the repository's top-level ``resources/`` there); a clone, editable install or not, reads
    ``resources/`` beside the package."""
    override = os.environ.get("TPI_NOTES_RESOURCES")
    if override:
        return Path(override)
    return _shipped_resources()


@cache
def _shipped_resources() -> Path:
    """Found once a process: every save and assessment asks (the rules, the atlas; issue 19)."""
    packaged = resources.files(__package__ or "tpi_notes").joinpath("_resources")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "resources"


def user_data_dir() -> Path:
    """The per-user data folder; ``TPI_NOTES_DATA_DIR`` redirects it (tests, portable installs)."""
    override = os.environ.get("TPI_NOTES_DATA_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def default_database_path() -> Path:
    """The clinic chosen for this computer (tpi_notes/clinic_location.py), when ``--db`` and ``TPI_NOTES_DB``
    name none."""
    from tpi_notes.clinic_location import default_database_path as clinic_default

    return clinic_default()
