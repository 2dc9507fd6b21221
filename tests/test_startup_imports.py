"""Start-up loads only what the first window needs (issue 19): Alembic only when the database is behind, ReportLab
only when a document is made, the session editor and the PDF preview only when opened. Timings live in
`make bench`; this checks the loading itself, which a stray import at the top of a module would undo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

OPEN_WINDOW = textwrap.dedent("""
    import json, sys
    from tpi_notes.domain.permissions import Permission, Principal
    from tpi_notes.services.context import open_clinic
    from tpi_notes.ui.app import create_main_window

    ctx = open_clinic(sys.argv[1], principal=Principal("test:startup", "test", frozenset(Permission)))
    window = create_main_window(ctx)
    window.show()
    window.grab()
    heavy = ("alembic", "reportlab", "tpi_notes.reports", "tpi_notes.ui.editor.window", "tpi_notes.ui.pdf_preview")
    print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
    if len(sys.argv) > 2:  # then make a document: ReportLab comes when it is needed
        from tpi_notes.services import documents  # noqa: F401
        print(json.dumps("reportlab" in sys.modules))
""")


def _run(*args: str) -> list[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", OPEN_WINDOW, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith(("[", "t", "f"))]


def test_a_database_at_head_opens_to_a_painted_window_without_alembic_reportlab_or_the_editor(tmp_path: Path) -> None:
    db = tmp_path / "clinic.sqlite"
    _run(str(db))  # the first start creates the file at head (Alembic runs then)
    loaded, made_document = _run(str(db), "and a document")
    assert loaded == []
    assert made_document is True


FIRST_PAINT = textwrap.dedent("""
    import gc, json, sys
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication(sys.argv[:1])
    HEAVY = ("sqlalchemy", "alembic", "reportlab", "pyhanko", "cryptography", "argon2", "tpi_notes.db.engine",
             "tpi_notes.services", "tpi_notes.reports", "tpi_notes.ui.editor.window", "tpi_notes.ui.patient_view",
             "tpi_notes.anatomy.loader")
    seen = {}

    def state(window):
        return {"loaded": sorted(m for m in HEAVY if m in sys.modules),
                "says": sorted(w.text() for w in window.findChildren(QLabel) if w.isVisible() and w.text()),
                "enabled": sorted(a.text() for a in window.actions() if a.isEnabled() and a.isVisible()),
                "title": window.windowTitle(), "collector on": gc.isenabled()}

    class Paints(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and obj.objectName() == "main_window":
                if "first paint" not in seen:
                    seen["first paint"] = state(obj) | {"menus": [a.text() for a in obj.menuBar().actions()]}
                elif obj.ctx is not None and "filled" not in seen:
                    seen["filled"] = state(obj)
                    QTimer.singleShot(0, app.quit)
            return False

    watch = Paints()
    app.installEventFilter(watch)
    ticks = []  # a timer's turns between the first paint and the login: the window answers meanwhile
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: "first paint" in seen and "login for" not in seen and ticks.append(1))
    timer.start()
    import tpi_notes.ui.app as ui_app

    def sign_in(ctx):  # the login screen comes after the first paint, over the window
        from tpi_notes.domain.permissions import Permission, Principal

        seen["login for"] = ctx.database_path.name
        seen["painted before the login"] = "first paint" in seen
        seen["ticks while opening"] = len(ticks)
        if sys.argv[2] == "cancels":
            return False
        ctx.act_as(Principal("test:startup", "test", frozenset(Permission)))
        return True

    ui_app.sign_in = sign_in
    from tpi_notes.cli import main

    seen["exit"] = main(["--db", sys.argv[1]])
    seen["collector on after"] = gc.isenabled()
    seen["windows left open"] = [w.objectName() for w in app.topLevelWidgets() if w.isVisible()]
    print(json.dumps(seen))
""")


@pytest.mark.parametrize("login", ["cancels", "signs in"])
def test_the_main_window_is_painted_before_the_database_layer_is_imported(login: str, tmp_path: Path) -> None:
    """The real start (`tpi-notes --db FILE`): the window's frame, its menus and an empty patient list saying the
    database is being opened, is painted first; SQLAlchemy, the services, ReportLab, pyHanko and the crypto
    libraries come after it, then the login screen, then the same window is filled, still without ReportLab or
    the session editor (nothing to recover), and painted before the patient page is made. Python's garbage
    collector is held off meanwhile and on again afterwards."""
    db = tmp_path / "clinic.sqlite"
    _run(str(db))  # an existing clinic at head
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TPI_NOTES_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", FIRST_PAINT, str(db), login], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(done.stdout.splitlines()[-1])
    first = seen.get("first paint")
    assert first is not None, "nothing was painted before the login"
    assert first["loaded"] == []
    assert first["says"] == ["Opening the clinic database…"]
    assert first["menus"] == ["&File", "&Session", "&Clinic", "&View", "&Help"]
    assert first["enabled"] == ["&Quit"]  # nothing else can work before the clinic is open
    assert seen["login for"] == "clinic.sqlite" and seen["painted before the login"] is True
    assert seen["ticks while opening"] >= 3  # SQLAlchemy and the services load off the GUI thread (≥ 0.2 s)
    assert seen["exit"] == 0 and seen["windows left open"] == []
    assert first["collector on"] is False and seen["collector on after"] is True  # held off while starting only
    if login == "cancels":
        assert "filled" not in seen
        return
    filled = seen["filled"]
    assert filled["title"] == "clinic.sqlite"  # Qt adds " — tpi-notes" in the title bar
    assert "No patients yet" in filled["says"] and "Opening the clinic database…" not in filled["says"]
    assert "&New patient…" in filled["enabled"] and "Session &history…" in filled["enabled"]
    assert not {"reportlab", "pyhanko", "alembic", "tpi_notes.reports", "tpi_notes.ui.editor.window"} & set(
        filled["loaded"])
    # The list is filled and painted before the patient page (its body diagram, the atlas) is made.
    assert not {"tpi_notes.ui.patient_view", "tpi_notes.anatomy.loader"} & set(filled["loaded"])
    assert filled["collector on"] is False  # turned on again once this paint is done


def test_a_refused_file_is_said_over_the_start_up_window_and_on_standard_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The window is up before the file is looked at, so the person who started the app from a desktop icon is
    told there (the real command); the one line on standard error stays, and the file is left as it was."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    from tpi_notes import cli
    from tpi_notes.ui import app

    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setenv("TPI_NOTES_DATA_DIR", str(tmp_path / "data"))
    bad = tmp_path / "notes.sqlite"
    bad.write_text("shopping list\n", encoding="utf-8")
    boxes: list[tuple[str, str, bool]] = []

    def critical(parent, title, text, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        boxes.append((title, text, parent.isVisible()))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(app, "someone_can_answer", lambda: True)  # the real command on a screen
    monkeypatch.setattr(QMessageBox, "critical", critical)
    assert cli.main(["--db", str(bad)]) == 1
    err = capsys.readouterr().err
    [(title, text, over_the_window)] = boxes
    assert title == "Cannot open the clinic database" and over_the_window is True
    assert err.count("\n") == 1 and text in err and "not a tpi-notes database" in text
    assert bad.read_text(encoding="utf-8") == "shopping list\n"
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == []
    assert not (tmp_path / "data" / "ui.ini").exists()  # the frame's layout is not remembered
