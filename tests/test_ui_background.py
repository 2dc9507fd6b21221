"""Long calls (whole-history exports) run beside a live event loop and hand back their result or error."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from tpi_notes.domain.errors import TpiError  # noqa: E402
from tpi_notes.ui.background import run_with_progress  # noqa: E402


def test_the_window_keeps_processing_events_while_the_work_runs(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    gate = threading.Event()
    QTimer.singleShot(0, gate.set)  # only the GUI thread's event loop can open the gate
    assert run_with_progress(window, "Working…", lambda: 42 if gate.wait(10) else -1) == 42


def test_an_error_in_the_work_reaches_the_caller(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)

    def fail() -> None:
        raise TpiError("the folder is not writable")

    with pytest.raises(TpiError, match="not writable"):
        run_with_progress(window, "Working…", fail)
