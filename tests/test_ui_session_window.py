"""Opening a stored session: read-only diagram on the atlas version the session was charted with."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tpi_notes.anatomy import load_atlas
from tpi_notes.anatomy.loader import resources_dir
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo
from tpi_notes.services.patients import list_patient_sessions
from tpi_notes.services.sessions import get_session
from tpi_notes.ui.app import create_main_window
from tpi_notes.ui.diagram.items import MarkerItem, RegionItem
from tpi_notes.ui.session_window import SessionWindow, details_html


@pytest.fixture
def demo_ctx(ctx: AppContext) -> AppContext:
    build_demo(ctx, patients=5, sessions=20, seed=3)
    return ctx


def test_double_click_on_a_session_opens_it_read_only(qtbot, demo_ctx: AppContext) -> None:  # noqa: ANN001
    window = create_main_window(demo_ctx)
    qtbot.addWidget(window)
    window.show()
    window.patient_list.select_patient(1)
    table = window.patient_view.session_view
    qtbot.waitUntil(lambda: window.patient_view.session_model.rowCount() > 0)
    session = window.patient_view.session_model.session_at(0)
    opened: list[SessionWindow] = []
    original = window.open_session
    window.patient_view.session_activated.disconnect()
    window.patient_view.session_activated.connect(lambda sid: opened.append(original(sid)))
    index = window.patient_view.session_model.index(0, 0)
    table.setCurrentIndex(index)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert opened and opened[0] is not None
    session_window = opened[0]
    qtbot.addWidget(session_window)
    record = get_session(demo_ctx, session.id)
    markers = [i for i in session_window.diagram.scene.items() if isinstance(i, MarkerItem)]
    assert sorted(m.site.number for m in markers) == [s.number for s in record.sites]
    assert all(not (m.flags() & MarkerItem.GraphicsItemFlag.ItemIsMovable) for m in markers)
    # a click on a muscle of a read-only diagram adds nothing
    region = load_atlas().regions[10]
    view = session_window.diagram.view
    session_window.resize(1300, 900)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.mapFromScene(session_window.diagram.scene.scene_point(region.view, *region.anchor)))
    assert len(session_window.document) == len(record.sites)


def test_an_older_session_is_drawn_with_its_own_atlas(qtbot, demo_ctx: AppContext, tmp_path: Path,  # noqa: ANN001
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    resources = tmp_path / "resources"
    shutil.copytree(resources_dir(), resources)
    data = json.loads((resources / "atlas" / "atlas-1.json").read_text(encoding="utf-8"))
    data["version"] = "0"
    data["regions"] = [r for r in data["regions"] if r["muscle_id"] != "gastrocnemius"]
    (resources / "atlas" / "atlas-0.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("TPI_NOTES_RESOURCES", str(resources))

    summary = list_patient_sessions(demo_ctx, 1)[0]
    record = get_session(demo_ctx, summary.id)
    older = replace(record, atlas_version="0")
    window_old = SessionWindow(older, "Test", {})
    window_new = SessionWindow(record, "Test", {})
    qtbot.addWidget(window_old)
    qtbot.addWidget(window_new)
    regions_old = [i for i in window_old.diagram.scene.items() if isinstance(i, RegionItem)]
    regions_new = [i for i in window_new.diagram.scene.items() if isinstance(i, RegionItem)]
    assert window_old.diagram.scene.atlas.version == "0"
    assert window_new.diagram.scene.atlas.version == record.atlas_version == "2"  # the demo charts on the newest
    assert len(regions_old) == len(load_atlas("0").regions) < len(regions_new)


def test_details_escape_stored_text(demo_ctx: AppContext) -> None:
    record = get_session(demo_ctx, 1)
    html = details_html(replace(record, indication="pain <b>not bold</b> & more"), {})
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; more" in html
