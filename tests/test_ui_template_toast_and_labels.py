"""Two small defects of issue 16: saving a template said so for five seconds at the bottom edge only, and the
Indication, Conservative care and Comments labels stood beside empty space, their boxes lower down."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QFormLayout, QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import click_region, region  # noqa: E402

from tpi_notes.services import drafts  # noqa: E402
from tpi_notes.ui.toast import Toast  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def test_saving_a_template_says_so_where_it_is_seen(qtbot: QtBot, make_editor, clinic) -> None:  # noqa: ANN001
    editor = make_editor()
    editor.resize(1600, 1000)
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    page = editor.tab_pages["pre"]
    before = page.geometry()
    button = editor.editor_actions.toolbar.widgetForAction(editor.editor_actions.save_template)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.active_dialog is not None and editor.active_dialog.isVisible())
    dialog = editor.active_dialog
    QTest.keyClicks(dialog.name, "Neck, right")
    QTest.keyClick(dialog.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(t.isVisible() for t in editor.findChildren(Toast)))
    assert [t.name for t in drafts.list_templates(clinic.ctx)] == ["Neck, right"]
    toast = next(t for t in editor.findChildren(Toast) if t.isVisible())
    assert "Template “Neck, right” saved" in toast.label.text()
    assert toast.timer.interval() >= 8000  # longer than the status bar's five seconds
    # over the work area, in the window, on top of what is there, and nothing moved to make room for it
    area = toast.geometry()
    assert editor.rect().contains(area) and area.top() >= editor.centralWidget().geometry().top()
    assert editor.childAt(area.center()) in (toast, *toast.findChildren(QWidget))
    assert page.geometry() == before
    QTest.mouseClick(toast.findChild(QWidget, "toast_close"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not any(t.isVisible() for t in editor.findChildren(Toast)))


@pytest.mark.parametrize(("tab", "fields"), [("pre", ("indication", "conservative_care")), ("post", ("comments",))])
def test_a_multi_line_box_starts_level_with_its_label(qtbot: QtBot, make_editor, tab: str,  # noqa: ANN001
                                                      fields: tuple[str, ...]) -> None:
    editor = make_editor()
    editor.resize(1600, 1000)
    editor.tabs.setCurrentWidget(editor.tab_pages[tab])
    QApplication.processEvents()
    panel = editor.pre if tab == "pre" else editor.post
    for name in fields:
        box = getattr(panel, name)
        form = next(f for f in panel.findChildren(QFormLayout) if f.indexOf(box.parentWidget()) >= 0)
        label = form.labelForField(box.parentWidget())
        assert label is not None, name
        label_top = label.mapTo(panel, QPoint(0, 0)).y()
        box_top = box.mapTo(panel, QPoint(0, 0)).y()
        assert abs(box_top - label_top) <= 4, (name, label_top, box_top)
