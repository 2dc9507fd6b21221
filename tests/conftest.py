"""Shared fixtures. Qt must see QT_QPA_PLATFORM before anything imports it (no display in CI)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

# Shared helper modules hold assertions too; rewrite them whichever test file imports them first.
pytest.register_assert_rewrite("ui_fixtures", "test_report_support", "test_ui_editor_fixtures")
from principals import ALL_PERMISSIONS  # noqa: E402

from tpi_notes.services.context import AppContext, open_clinic  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user data folder or database."""
    data = tmp_path_factory.mktemp("userdata")
    monkeypatch.setenv("TPI_NOTES_DATA_DIR", str(data))
    monkeypatch.delenv("TPI_NOTES_DB", raising=False)
    return data


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "clinic.sqlite"


@pytest.fixture
def ctx(db_path: Path) -> Iterator[AppContext]:
    """A freshly migrated clinic database in a temporary file."""
    context = open_clinic(str(db_path), principal=ALL_PERMISSIONS)
    yield context
    context.close()
