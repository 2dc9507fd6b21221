"""Opening the session editor (brief H32, from the H31 real-window walk): the window fits the screen it opens on,
its title reads cleanly, and a second editor builds no atlas outline again.

The offscreen platform's screen is 800 × 800 unless a config file names others; the roomy and two-screen cases
run in a child started with ``-platform offscreen:configfile=…`` (a QApplication's screens are fixed at start).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QRect  # noqa: E402
from PySide6.QtGui import QPainterPath, QScreen  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import Clinic, discard_and_close  # noqa: E402

from tpi_notes.anatomy import load_atlas  # noqa: E402
from tpi_notes.ui.diagram.document import SiteDocument  # noqa: E402
from tpi_notes.ui.diagram.scene import BodyDiagramScene  # noqa: E402
from tpi_notes.ui.editor.opening import new_session  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]
ROOT = Path(__file__).resolve().parents[1]


def _open(qtbot: QtBot, clinic: Clinic, parent: QWidget | None = None):  # noqa: ANN202
    editor = new_session(clinic.ctx, clinic.patient_id, parent)
    assert editor is not None
    qtbot.waitExposed(editor)
    return editor


def test_a_new_empty_sessions_title_has_no_double_space(qtbot: QtBot, clinic: Clinic) -> None:
    """"Session 2026-12-03 — Okafor, Ada" (Qt drops the hidden modified mark "[*]", and the space before it stayed:
    the title bar read "Okafor, Ada  — tpi-notes")."""
    editor = _open(qtbot, clinic)
    try:
        shown = editor.windowHandle().title()  # what the window manager is given
        assert "Okafor, Ada" in shown
        assert "  " not in shown and shown == shown.strip(), repr(shown)
        qtbot.keyClicks(editor.pre.indication, "neck pain")  # modified: the mark follows the name
        assert editor.isWindowModified()
        assert "  " not in editor.windowHandle().title()
        assert editor.windowHandle().title().endswith("Okafor, Ada*")
    finally:
        discard_and_close(editor)


def test_the_editor_opens_inside_the_available_area_of_a_small_screen(qtbot: QtBot, clinic: Clinic,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1366 × 768 laptop with a 24 px panel at the top (its available area faked: the offscreen screen is
    800 × 800, narrower than the editor's least width): the editor, title bar and borders included, lies wholly
    inside the available area. Before, it opened at 1600 × 1000 and its bottom and right (the last site-table row,
    the findings panel's foot) were off-screen."""
    available = QRect(0, 24, 1366, 744)
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _screen: QRect(available))
    parent = QWidget()
    parent.resize(400, 300)
    parent.show()
    qtbot.waitExposed(parent)
    editor = _open(qtbot, clinic, parent)
    try:
        frame = editor.frameGeometry()
        assert frame.width() <= available.width() and frame.height() <= available.height(), (frame, available)
        assert available.contains(frame), (frame, available)
        assert editor.height() >= 700  # the room there is, used (not a shrunken window)
    finally:
        discard_and_close(editor)
        parent.close()


CHILD = r"""
import json, sys
from tpi_notes.ui.app import ensure_application
app = ensure_application()
from PySide6.QtWidgets import QWidget
from tpi_notes.services.context import open_clinic
from tpi_notes.services.demo import build_demo
from tpi_notes.domain.permissions import Permission, Principal
from tpi_notes.services import patients
from tpi_notes.ui.editor.opening import new_session

ctx = open_clinic(sys.argv[1], principal=Principal("test:opening", "test", frozenset(Permission)))
build_demo(ctx, patients=3, sessions=0, seed=1)
patient = patients.search_patients(ctx, "")[0].id
out = {}
for name in ("big", "small"):
    screen = next(s for s in app.screens() if s.name() == name)
    parent = QWidget()
    parent.move(screen.geometry().topLeft())
    parent.resize(300, 200)
    parent.show()
    app.processEvents()
    editor = new_session(ctx, patient, parent)
    app.processEvents()
    g, f, a = editor.geometry(), editor.frameGeometry(), screen.availableGeometry()
    out[name] = {"size": [g.width(), g.height()], "inside": a.contains(f), "on": editor.screen().name()}
    editor._baseline = editor.current_draft()
    editor.close()
print(json.dumps(out))
"""


def test_the_editor_takes_1600_by_1000_where_there_is_room_and_fits_the_smaller_screen_it_opens_on(
        tmp_path: Path) -> None:
    """Two screens side by side, 1920 × 1200 and 1280 × 720: from a main window on the big one the editor opens
    at 1600 × 1000 inside it; from one on the small one, inside the small one (the screen the main window is on,
    not the primary)."""
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [
        {"name": "big", "x": 0, "y": 0, "width": 1920, "height": 1200, "logicalDpi": 96},
        {"name": "small", "x": 1920, "y": 0, "width": 1280, "height": 720, "logicalDpi": 96}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "TPI_NOTES_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "clinic.sqlite")], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["big"] == {"size": [1600, 1000], "inside": True, "on": "big"}, out
    assert out["small"]["inside"] and out["small"]["on"] == "small", out
    width, height = out["small"]["size"]
    assert width <= 1280 and height <= 720, out


def test_a_second_body_diagram_builds_no_atlas_outline_again(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every editor, the patient page's response map and each signed session's window draw the same atlas: its
    outlines are built once per process and shared (H32: building them again took 1.6 s of a first opening in a
    real window). The second scene draws the same shapes without building a path."""
    atlas = load_atlas()
    first = BodyDiagramScene(atlas, SiteDocument())
    built: list[str] = []
    for name in ("moveTo", "lineTo", "cubicTo", "quadTo"):
        real = getattr(QPainterPath, name)
        monkeypatch.setattr(QPainterPath, name,
                            lambda path, *args, _real=real, _name=name: (built.append(_name), _real(path, *args))[1])
    second = BodyDiagramScene(atlas, SiteDocument())
    assert built == []
    for region in atlas.regions:
        one, other = first.region_item(region.code), second.region_item(region.code)
        assert other is not None and not other.path().isEmpty()
        assert other.path() == one.path()
    assert len(second.items()) == len(first.items())
