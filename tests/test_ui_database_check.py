"""After start-up the app checks its database file (PRAGMA quick_check) in the background: a damaged file is
reported loudly, a sound one says nothing, and the main window is shown before the check starts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from test_refused_files import damage

import tpi_notes.ui.app as app_module
import tpi_notes.ui.database_check as check_module
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.demo import build_demo


def _clinic(path: Path, *, damaged: bool) -> AppContext:
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    build_demo(ctx, patients=3, sessions=8, seed=2)
    ctx.close()  # checkpointed: the damage is done to the file itself, as a failing disk would
    if damaged:
        damage(path)
    return open_clinic(str(path), principal=ALL_PERMISSIONS)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, qtbot: QtBot) -> Iterator[dict[str, object]]:
    """run_app as the user starts it (signed in at once); records what the check saw when it started and
    which thread ran it. The event loop is replaced by a wait for the check to finish."""
    seen: dict[str, object] = {}
    real_start, real_check = app_module.check_database_after_start, check_module.quick_check

    def start(window, ctx):  # noqa: ANN001, ANN202
        seen["window visible when the check started"] = window.isVisible()
        seen["window"] = window
        seen["thread"] = real_start(window, ctx)
        return seen["thread"]

    def check(ctx):  # noqa: ANN001, ANN202
        seen["checked on"] = threading.current_thread()
        return real_check(ctx)

    def event_loop(_app: QApplication) -> int:
        seen["thread"].join(30)  # type: ignore[union-attr]
        qtbot.wait(50)  # the queued result reaches the window's thread
        return 0

    monkeypatch.setattr(app_module, "sign_in", lambda ctx: True)
    monkeypatch.setattr(app_module, "check_database_after_start", start)
    monkeypatch.setattr(check_module, "quick_check", check)
    monkeypatch.setattr(QApplication, "exec", event_loop)
    yield seen
    window = seen.get("window")
    if window is not None:
        window.close()  # type: ignore[attr-defined]


def _boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_a_damaged_database_is_reported_loudly_after_start_up(
        tmp_path: Path, started: dict[str, object]) -> None:
    ctx = _clinic(tmp_path / "clinic.sqlite", damaged=True)
    try:
        assert app_module.run_app(ctx) == 0
        assert started["window visible when the check started"] is True
        assert started["checked on"] is not threading.main_thread()
        boxes = _boxes()
        assert len(boxes) == 1
        box = boxes[0]
        assert box.windowTitle() == "The clinic database is damaged"
        assert box.icon() == QMessageBox.Icon.Critical
        assert str(tmp_path / "clinic.sqlite") in box.text() and "restore the latest backup" in box.text()
        assert "malformed" in box.detailedText() or "page" in box.detailedText()
        box.close()
    finally:
        ctx.close()


def test_a_sound_database_says_nothing(tmp_path: Path, started: dict[str, object]) -> None:
    ctx = _clinic(tmp_path / "clinic.sqlite", damaged=False)
    try:
        assert app_module.run_app(ctx) == 0
        assert started["window visible when the check started"] is True
        assert started["checked on"] is not threading.main_thread()
        assert _boxes() == []
        assert started["window"].database_check.box is None  # type: ignore[attr-defined]
    finally:
        ctx.close()
