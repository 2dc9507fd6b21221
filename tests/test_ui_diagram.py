"""The body diagram driven like a user would: clicks, drags, undo/redo, delete, selection both ways."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tpi_notes.anatomy import load_atlas
from tpi_notes.ui.diagram.widget import BodyDiagramWidget


@pytest.fixture
def diagram(qtbot) -> BodyDiagramWidget:  # noqa: ANN001
    widget = BodyDiagramWidget(load_atlas())
    qtbot.addWidget(widget)
    widget.resize(1400, 860)
    widget.show()
    qtbot.waitExposed(widget)
    widget.view.fit()
    return widget


def region(muscle_id: str, view: str, side: str):  # noqa: ANN201
    atlas = load_atlas()
    return next(r for r in atlas.regions if (r.muscle_id, r.view, r.side) == (muscle_id, view, side))


def at(diagram: BodyDiagramWidget, view: str, x: float, y: float) -> QPoint:
    return diagram.view.mapFromScene(diagram.scene.scene_point(view, x, y))


def click(qtbot, diagram: BodyDiagramWidget, reg) -> None:  # noqa: ANN001
    qtbot.mouseClick(diagram.view.viewport(), Qt.MouseButton.LeftButton, pos=at(diagram, reg.view, *reg.anchor))


def drag(diagram: BodyDiagramWidget, start: QPoint, end: QPoint) -> None:
    viewport = diagram.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 6):
        QTest.mouseMove(viewport, start + (end - start) * (step / 5))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


@pytest.mark.parametrize("view,side", [("anterior", "R"), ("anterior", "L"), ("posterior", "R"), ("posterior", "L")])
def test_click_makes_a_site_with_the_muscle_and_the_patients_side(qtbot, diagram, view, side) -> None:  # noqa: ANN001
    reg = region("deltoid", view, side)
    click(qtbot, diagram, reg)
    [site] = diagram.document.sites()
    assert (site.muscle_id, site.side, site.view, site.number) == ("deltoid", side, view, 1)
    assert diagram.model.rowCount() == 1
    # the patient's right is on the viewer's left in front, on the viewer's right from behind
    on_viewer_left = site.x < 0.5
    assert on_viewer_left == ((view == "anterior") == (side == "R"))


def test_click_outside_the_body_adds_nothing(qtbot, diagram) -> None:  # noqa: ANN001
    qtbot.mouseClick(diagram.view.viewport(), Qt.MouseButton.LeftButton, pos=at(diagram, "anterior", 0.02, 0.98))
    assert len(diagram.document) == 0
    assert not diagram.undo_stack.canUndo()


def test_drag_moves_and_reresolves_as_one_undo_step(qtbot, diagram) -> None:  # noqa: ANN001
    start, target = region("upper_trapezius", "posterior", "R"), region("gluteus_maximus", "posterior", "R")
    click(qtbot, diagram, start)
    assert diagram.undo_stack.count() == 1
    drag(diagram, at(diagram, "posterior", *start.anchor), at(diagram, "posterior", *target.anchor))
    [site] = diagram.document.sites()
    assert (site.muscle_id, site.side, site.region_code) == ("gluteus_maximus", "R", target.code)
    assert diagram.undo_stack.count() == 2  # the add, then one step for the whole drag
    diagram.undo_stack.undo()
    [site] = diagram.document.sites()
    assert site.muscle_id == "upper_trapezius"
    marker = diagram.scene.marker(diagram.document.site_keys()[0])
    assert marker.pos() == diagram.scene.scene_point("posterior", site.x, site.y)
    diagram.undo_stack.redo()
    assert diagram.document.sites()[0].muscle_id == "gluteus_maximus"


def test_drop_off_the_body_is_refused_and_the_marker_returns(qtbot, diagram) -> None:  # noqa: ANN001
    start = region("upper_trapezius", "posterior", "L")
    click(qtbot, diagram, start)
    before = diagram.document.sites()[0]
    drag(diagram, at(diagram, "posterior", *start.anchor), at(diagram, "posterior", 0.03, 0.97))
    assert diagram.document.sites() == [before]
    assert diagram.undo_stack.count() == 1
    marker = diagram.scene.marker(diagram.document.site_keys()[0])
    assert marker.pos() == diagram.scene.scene_point("posterior", before.x, before.y)


def test_undo_redo_delete_and_renumbering(qtbot, diagram) -> None:  # noqa: ANN001
    regions = [region(m, "posterior", "R") for m in ("upper_trapezius", "infraspinatus", "gluteus_medius")]
    for reg in regions:
        click(qtbot, diagram, reg)
    assert [s.number for s in diagram.document.sites()] == [1, 2, 3]
    diagram.select_keys([diagram.document.site_keys()[1]])
    diagram.table.setFocus()
    QTest.keyClick(diagram.table, Qt.Key.Key_Delete)
    sites = diagram.document.sites()
    assert [(s.number, s.muscle_id) for s in sites] == [(1, "upper_trapezius"), (2, "gluteus_medius")]
    assert [m.site.number for m in sorted(diagram.scene.markers(), key=lambda m: m.site.number)] == [1, 2]
    QTest.keyClick(diagram.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [s.muscle_id for s in diagram.document.sites()] == ["upper_trapezius", "infraspinatus", "gluteus_medius"]
    QTest.keyClick(diagram.table, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(diagram.document) == 2
    while diagram.undo_stack.canUndo():
        diagram.undo_stack.undo()
    assert len(diagram.document) == 0 and diagram.scene.markers() == []


def test_selection_follows_between_table_and_markers(qtbot, diagram) -> None:  # noqa: ANN001
    for m in ("upper_trapezius", "levator_scapulae"):
        click(qtbot, diagram, region(m, "posterior", "L"))
    keys = diagram.document.site_keys()
    diagram.table.selectRow(1)
    assert diagram.scene.selected_keys() == [keys[1]]
    diagram.select_keys([keys[0]])
    assert [i.row() for i in diagram.table.selectionModel().selectedRows()] == [0]


def test_deep_alternative_and_technique_from_the_marker_menu(qtbot, diagram) -> None:  # noqa: ANN001
    reg = next(r for r in load_atlas().regions if r.deep and r.view == "posterior")
    click(qtbot, diagram, reg)
    key = diagram.document.site_keys()[0]
    menu = diagram.build_marker_menu(key)
    deep = next(a for a in menu.actions() if a.text() == f"{reg.deep[0].muscle} (deep)")
    deep.trigger()
    site = diagram.document.site(key)
    assert (site.muscle_id, site.side, site.region_code) == (reg.deep[0].muscle_id, reg.side, reg.code)
    next(a for a in diagram.build_marker_menu(key).actions() if a.text() == "Dry needling").trigger()
    assert diagram.document.site(key).technique == "dry_needling"
    diagram.undo_stack.undo()
    diagram.undo_stack.undo()
    assert diagram.document.site(key).muscle_id == reg.muscle_id


def test_table_model_passes_qt_model_checks(qtbot, diagram, qtmodeltester) -> None:  # noqa: ANN001
    click(qtbot, diagram, region("deltoid", "anterior", "R"))
    qtmodeltester.check(diagram.model)
