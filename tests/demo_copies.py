"""A demo clinic built once per test module, and a fresh copy of it for each test that writes to it.

Building even a small demo takes a second or two; copying its file takes milliseconds. Modules use it as

    @pytest.fixture(scope="module")
    def demo_file(tmp_path_factory):
        return build_demo_file(tmp_path_factory, "history", patients=60, sessions=420, seed=11)

    @pytest.fixture
    def clinic(demo_file, tmp_path):
        yield from open_copy(demo_file, tmp_path)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS

from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.demo import build_demo


def build_demo_file(factory: pytest.TempPathFactory, folder: str, *, patients: int, sessions: int,
                    seed: int) -> Path:
    """A demo clinic file in a new temporary folder, closed again."""
    path = factory.mktemp(folder) / "demo.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    try:
        build_demo(ctx, patients=patients, sessions=sessions, seed=seed)
    finally:
        ctx.close()
    return path


def open_copy(demo_file: Path, tmp_path: Path) -> Iterator[AppContext]:
    """Open a copy of ``demo_file`` in ``tmp_path`` (a generator fixture body: ``yield from``)."""
    copy = tmp_path / "clinic.sqlite"
    shutil.copy(demo_file, copy)
    ctx = open_clinic(str(copy), principal=ALL_PERMISSIONS)
    try:
        yield ctx
    finally:
        ctx.close()
