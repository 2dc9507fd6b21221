"""Help → About and Help → Save diagnostics… (issue 18 items 3 and 5), and the log of a realistic run (a demo
clinic built and printed from the command line, then the app opened, signed in, a patient and a session
viewed, a note previewed) holding no patient's name or MRN."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json  # noqa: E402
import re  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import zipfile  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from test_versions import expected_versions  # noqa: E402
from ui_fixtures import add_patient, clinic_ctx, make_window, message_boxes, ui_data_dir  # noqa: E402,F401

from tpi_notes import logs  # noqa: E402
from tpi_notes.services import login  # noqa: E402
from tpi_notes.services.context import open_clinic  # noqa: E402
from tpi_notes.services.demo_data import DEMO_PASSWORD  # noqa: E402
from tpi_notes.ui import file_dialogs  # noqa: E402
from tpi_notes.ui.app import create_main_window  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def test_about_lists_the_data_versions(make_window, message_boxes: list) -> None:  # noqa: F811
    window = make_window()
    window.about_action.trigger()
    kind, text = message_boxes[-1]
    assert kind == "about" and "t.db" in text
    for what, version in expected_versions().items():
        assert re.search(rf"{re.escape(what)}</td><td>&nbsp;{re.escape(version)}\b", text), what


@pytest.fixture
def logging_on(monkeypatch: pytest.MonkeyPatch, ui_data_dir: Path) -> Iterator[Path]:  # noqa: F811
    """The app's log in this process, in the test's data folder (as `tpi-notes` itself starts it)."""
    logs.start_logging()
    yield logs.log_dir()
    logs.stop_logging()


def test_save_diagnostics_writes_versions_settings_and_logs_without_secrets(
        make_window, clinic_ctx, message_boxes: list, logging_on: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TPI_NOTES_DB_KEY", "correct horse battery staple 42")
    add_patient(clinic_ctx, family_name="Quixote", mrn="MRN-DQ-1605")
    window = make_window()
    target = tmp_path / "diag.zip"
    monkeypatch.setattr(file_dialogs, "ask_save_path", lambda *_a, **_k: target)
    assert window.diagnostics_action in window.menuBar().actions()[-1].menu().actions()
    window.diagnostics_action.trigger()
    assert message_boxes[-1][0] == "information"
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
        assert {"README.txt", "versions.txt", "settings.json", f"logs/{logs.LOG_FILE}"} <= names
        assert zf.read("versions.txt").decode().startswith("tpi-notes ")
        settings = json.loads(zf.read("settings.json"))
        assert settings["environment"]["TPI_NOTES_DB_KEY"] == "set"
        everything = b"".join(zf.read(n) for n in names)
    assert b"correct horse" not in everything
    assert b"Quixote" not in everything and b"MRN-DQ-1605" not in everything
    assert b"Audit event: create patient" in everything  # the log is there, with actions and ids


@pytest.mark.slow
def test_the_log_of_a_realistic_run_names_no_patient(qtbot: QtBot, tmp_path: Path, logging_on: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**os.environ}  # TPI_NOTES_DATA_DIR: the test's, so the commands log where this process does
    db = tmp_path / "demo.sqlite"
    for args in (["demo", "--db", str(db), "--patients", "12", "--sessions", "30"],
                 ["--db", str(db), "note", "1", "-o", str(tmp_path / "n.pdf")],
                 ["--db", str(db), "aftercare", "2", "-o", str(tmp_path / "a.pdf")],
                 ["--db", str(db), "export", "--format", "jsonl", "-o", str(tmp_path / "x.jsonl")]):
        done = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr

    ctx = open_clinic(str(db))
    try:
        login.login(ctx, "ahart", DEMO_PASSWORD)
        window = create_main_window(ctx)
        qtbot.addWidget(window)
        window.show()
        for row in range(3):  # three patients looked at, each one's sessions listed
            window.patient_list.view.selectRow(row)
            qtbot.waitUntil(lambda: window.patient_view.isVisible())
        window.open_session(3)
        window.close()
    finally:
        ctx.close()

    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(logging_on.glob("*")) if p.is_file())
    assert "tpi-notes demo started" in text and "tpi-notes note ended with exit code 0" in text
    assert "Audit event: view" in text
    with sqlite3.connect(db) as con:
        people = con.execute("SELECT family_name, given_name, mrn FROM patient").fetchall()
    assert len(people) == 12
    for family, given, mrn in people:
        for word in (family, given, mrn):
            assert not re.search(rf"\b{re.escape(word)}\b", text), f"{word!r} is in the log"
