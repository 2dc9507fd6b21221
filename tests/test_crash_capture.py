"""Logs and crash capture (issue 18 item 3): an exception in a Qt slot is logged, written to a crash report
and shown in a box with "Copy details" and the report's path; a thread's exception and a native fault are
reported too; none of it carries the exception's message, where a patient's details could be."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import stat  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from tpi_notes import logs  # noqa: E402
from tpi_notes.ui.crash_dialog import COPY, TITLE, install_crash_dialog  # noqa: E402

SECRET = "Jane Doe MRN-4471"


@pytest.fixture
def crash_capture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The app's log and crash hooks in this process, into a folder of the test; undone afterwards."""
    monkeypatch.setenv("TPI_NOTES_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    logs.start_logging()
    logs.install_crash_handlers(native=False)  # pytest's own faulthandler stays; native faults: a subprocess
    yield tmp_path / "logs"
    logs.stop_logging()


def _crash_box() -> QMessageBox | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.isVisible() and w.windowTitle() == TITLE), None)


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_is_logged_reported_and_shown(qtbot: QtBot, crash_capture: Path) -> None:
    install_crash_dialog(QApplication.instance())
    button = QPushButton("Save")
    qtbot.addWidget(button)

    def save_patient() -> None:
        raise ValueError(f"cannot save {SECRET}")

    button.clicked.connect(save_patient)
    button.show()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: _crash_box() is not None)
    box = _crash_box()
    (report,) = crash_capture.glob("crash-*.txt")
    assert str(report) in box.informativeText()
    text = report.read_text()
    assert "ValueError" in text and "save_patient" in text and "tpi-notes 0.1.0" in text and "Formulary" in text
    assert SECRET not in text  # the message may quote a patient: left out
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    log = (crash_capture / logs.LOG_FILE).read_text()
    assert "Unhandled ValueError in main thread at test_crash_capture.py" in log and report.name in log
    assert SECRET not in log

    copy = next(b for b in box.buttons() if b.text() == COPY)
    QApplication.clipboard().clear()
    QTest.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert str(report) in QApplication.clipboard().text() and "save_patient" in QApplication.clipboard().text()
    qtbot.waitUntil(lambda: _crash_box() is box)  # still open after copying, to read the path
    box.close()


@pytest.mark.qt_no_exception_capture
def test_a_second_crash_while_the_box_is_open_does_not_pile_up_boxes(qtbot: QtBot, crash_capture: Path) -> None:
    install_crash_dialog(QApplication.instance())
    button = QPushButton("Repaint")
    qtbot.addWidget(button)
    button.clicked.connect(lambda: 1 / 0)
    button.show()
    for _ in range(3):
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _crash_box() is not None and "3 unexpected errors" in _crash_box().text())
    assert len([w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]) == 1
    assert len(list(crash_capture.glob("crash-*.txt"))) == 3
    _crash_box().close()


def test_an_exception_in_a_thread_is_reported(crash_capture: Path) -> None:
    def work() -> None:
        raise KeyError(SECRET)

    worker = threading.Thread(target=work, name="export-worker")
    worker.start()
    worker.join()
    (report,) = crash_capture.glob("crash-*.txt")
    assert "Where: thread export-worker" in report.read_text() and "KeyError" in report.read_text()
    assert SECRET not in report.read_text() + (crash_capture / logs.LOG_FILE).read_text()


@pytest.mark.slow
def test_a_native_fault_becomes_a_crash_report_at_the_next_start(tmp_path: Path) -> None:
    env = {**os.environ, "TPI_NOTES_LOG_DIR": str(tmp_path)}
    died = subprocess.run([sys.executable, "-c", "from tpi_notes import logs; logs.install_crash_handlers(); "
                           "import faulthandler; faulthandler._sigsegv()"], env=env, capture_output=True, timeout=60)
    assert died.returncode != 0
    assert "Segmentation fault" in (tmp_path / logs.FAULT_FILE).read_text()
    subprocess.run([sys.executable, "-c", "from tpi_notes import logs; logs.start_logging(); "
                    "logs.install_crash_handlers()"], env=env, check=True, timeout=60)
    (report,) = tmp_path.glob("crash-*-native.txt")
    assert "Segmentation fault" in report.read_text() and "tpi-notes 0.1.0" in report.read_text()
    assert (tmp_path / logs.FAULT_FILE).read_text() == ""
    assert "native fault" in (tmp_path / logs.LOG_FILE).read_text()


def test_a_command_line_crash_is_reported_without_its_message(monkeypatch: pytest.MonkeyPatch,
                                                               _isolated_user_dirs: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from tpi_notes import cli

    def boom(_args: object) -> int:
        raise RuntimeError(f"{SECRET}'s export failed")

    monkeypatch.setattr(cli, "_export", boom)
    assert cli.main(["export", "--format", "csv", "-o", "x.csv"]) == 1
    (report,) = (_isolated_user_dirs / "logs").glob("crash-*.txt")
    assert str(report) in capsys.readouterr().err
    assert "RuntimeError" in report.read_text() and SECRET not in report.read_text()
