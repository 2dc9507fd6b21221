"""Running a long service call (an export of the whole history) without freezing the window.

The call runs on a worker thread while a busy dialog, modal to its window, keeps the screen painted; the
caller still gets the result (or the exception) back in order, as from a plain call. Services are
thread-safe here: each call opens its own transaction on the shared engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

T = TypeVar("T")
POLL_MS = 25
SHOW_AFTER_MS = 400  # quick calls finish before any dialog flickers up


def run_with_progress(parent: QWidget, label: str, work: Callable[[], T]) -> T:
    """``work()`` on a worker thread; the window stays painted and shows ``label`` if it takes a while."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller below
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="tpi-notes-background", daemon=True)
    progress = QProgressDialog(label, "", 0, 0, parent)
    progress.setCancelButton(None)  # an export is written whole or not at all; it cannot stop halfway
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(SHOW_AFTER_MS)
    progress.setValue(0)  # starts the clock: without a value Qt shows the box only after its own 4 s
    progress.setWindowTitle("Please wait")
    worker.start()
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(POLL_MS)
    timer.timeout.connect(lambda: None if worker.is_alive() else loop.quit())
    timer.start()
    if worker.is_alive():
        loop.exec()
    timer.stop()
    worker.join()
    progress.reset()
    progress.deleteLater()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
