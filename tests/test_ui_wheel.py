"""The mouse wheel scrolls the page and never changes a field the user is not editing (issue 12, part 3).

Every drop-down, number box, date/time field, slider and tab bar is found by walking the widget tree, so a field
added later is covered without touching this file. The wheel arrives as a user's does: ``QTest.wheelEvent`` goes
through the window system to the window under the pointer, Qt picks the widget there, gives focus by policy and
passes an ignored wheel on to the parents. For each field: its value is unchanged, it did not take the focus, and
the scroll area around it moved instead.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollArea,
    QScrollBar,
    QSpinBox,
    QTabBar,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import Clinic, click_region, region  # noqa: E402
from ui_fixtures import MakeWindow, open_new_dialog  # noqa: E402

from tpi_notes.services import formulary_admin, staff  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui.addendum_dialog import AddendumDialog  # noqa: E402
from tpi_notes.ui.admin import AdminWindow  # noqa: E402
from tpi_notes.ui.admin.formulary_dialogs import ItemDialog, LotDialog  # noqa: E402
from tpi_notes.ui.admin.user_dialogs import UserDialog  # noqa: E402
from tpi_notes.ui.app import ensure_application  # noqa: E402
from tpi_notes.ui.audit_screen import AuditTrailScreen  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402
from tpi_notes.ui.history import HistoryBrowser  # noqa: E402
from tpi_notes.ui.pdf_preview import AftercareOptions  # noqa: E402
from tpi_notes.ui.wheel_guard import install_wheel_guard  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures", "ui_fixtures"]

NOTCH = 120  # one click of a mouse wheel


# -- the instrument ---------------------------------------------------------------------------------------------
def is_value_field(widget: QWidget) -> bool:
    return isinstance(widget, QAbstractSpinBox | QComboBox | QAbstractSlider | QTabBar) \
        and not isinstance(widget, QScrollBar)


def value_fields(root: QWidget) -> list[QWidget]:
    """Every value field of ``root`` a user can see and point at right now."""
    return [w for w in root.findChildren(QWidget) if is_value_field(w) and w.isVisible() and w.isEnabled()
            and w.window() is root.window()]


def value_of(field: QWidget) -> object:
    if isinstance(field, QComboBox):
        return field.currentIndex(), field.currentText()
    if isinstance(field, QAbstractSpinBox):
        return field.text()
    if isinstance(field, QTabBar):
        return field.currentIndex()
    assert isinstance(field, QAbstractSlider)
    return field.value()


def scroll_areas_around(widget: QWidget) -> list[QAbstractScrollArea]:
    """The scroll areas holding ``widget``, innermost first."""
    areas: list[QAbstractScrollArea] = []
    parent = widget.parentWidget()
    while parent is not None and not parent.isWindow():
        if isinstance(parent, QAbstractScrollArea) and parent.viewport().isAncestorOf(widget):
            areas.append(parent)
        parent = parent.parentWidget()
    return areas


def wheel_over(widget: QWidget, notches: int) -> None:
    """Turn the wheel ``notches`` clicks (positive: away from the user, up the page) with the pointer on the
    middle of ``widget``, delivered to its window as the window system delivers a real wheel."""
    QApplication.processEvents()  # pending layout first: the pointer is where the field is drawn
    window = widget.window()
    pos = widget.mapTo(window, widget.rect().center())
    under = window.childAt(pos)
    assert under is widget or widget.isAncestorOf(under), f"{widget!r} is covered by {under!r}"
    QTest.wheelEvent(window.windowHandle(), QPointF(pos), QPoint(0, notches * NOTCH))
    QApplication.processEvents()


@dataclass
class Checked:
    fields: int = 0
    scrolled: int = 0


def assert_wheel_scrolls_past(root: QWidget, checked: Checked | None = None) -> Checked:
    """Wheel over each visible value field of ``root``: unchanged, unfocused, and the page scrolled instead."""
    checked = checked or Checked()
    focused = QApplication.focusWidget()
    if focused is not None:
        focused.clearFocus()  # nothing is being edited: the user is reading down the form
    fields = value_fields(root)
    assert fields, f"no value fields found in {root!r}"
    for field in fields:
        areas = scroll_areas_around(field)
        QApplication.processEvents()
        for area in areas:
            if isinstance(area, QScrollArea):
                area.ensureWidgetVisible(field, 0, 0)
        QApplication.processEvents()
        movable = next((a for a in areas if a.verticalScrollBar().maximum() > 0), None)
        bar = movable.verticalScrollBar() if movable is not None else None
        down = bar is not None and bar.value() < bar.maximum()
        before, position = value_of(field), bar.value() if bar is not None else 0
        assert not field.hasFocus(), field.objectName()
        wheel_over(field, -1 if down else 1)
        name = f"{type(field).__name__} {field.objectName()!r} in {type(root).__name__}"
        assert value_of(field) == before, f"the wheel changed {name}"
        assert QApplication.focusWidget() is not field, f"the wheel gave the focus to {name}"
        if bar is not None:
            assert (bar.value() > position) if down else (bar.value() < position), f"no scrolling over {name}"
            checked.scrolled += 1
        checked.fields += 1
    return checked


@pytest.fixture(autouse=True)
def _the_app() -> None:
    ensure_application()  # the QApplication as the app builds it


# -- the session editor ----------------------------------------------------------------------------------------
@pytest.fixture
def editor(qtbot: QtBot, make_editor: Callable[..., SessionEditor], answers: dict) -> Iterator[SessionEditor]:
    """A new draft with one injection site and one dry-needling site, in a window short enough to scroll."""
    window = make_editor()
    window.resize(1300, 640)
    click_region(qtbot, window, region("infraspinatus", "posterior", "L"))
    click_region(qtbot, window, region("upper_trapezius", "posterior", "R"))
    window.syringes.add_syringe()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    yield window


@pytest.mark.parametrize("tab", ["pre", "syringes", "post"])
def test_the_wheel_scrolls_the_editor_tabs_past_their_fields(editor: SessionEditor, tab: str) -> None:
    editor.tabs.setCurrentWidget(editor.tab_pages[tab])
    draft = editor.current_draft()
    checked = assert_wheel_scrolls_past(editor.tab_pages[tab])
    assert checked.fields >= 3 and checked.scrolled == checked.fields
    assert editor.current_draft() == draft


def test_the_wheel_scrolls_the_site_details_past_their_fields(editor: SessionEditor) -> None:
    editor.tabs.setCurrentWidget(editor.tab_pages["site"])
    details = editor.site_details
    page = editor.tab_pages["site"]
    editor.select_site(1)
    assert details.inputs.volume_ml.isVisible()  # the injection site: volume, passes, …
    checked = assert_wheel_scrolls_past(page)
    editor.select_site(2)
    details.technique.setCurrentIndex(details.technique.findData("dry_needling"))
    details.estim.setChecked(True)
    checked = assert_wheel_scrolls_past(page, checked)
    assert checked.fields >= 10 and checked.scrolled == checked.fields
    assert [s.volume_ml for s in editor.document.sites()][:1] == [editor.current_draft().sites[0].volume_ml]


def test_nothing_anywhere_in_the_editor_changes_under_the_wheel(editor: SessionEditor) -> None:
    """The window as a whole (tab bar, dose and findings panels, whatever is outside the tabs)."""
    draft, tab = editor.current_draft(), editor.tabs.currentIndex()
    assert_wheel_scrolls_past(editor)
    assert editor.current_draft() == draft and editor.tabs.currentIndex() == tab


def test_a_focused_field_still_follows_the_wheel(qtbot: QtBot, editor: SessionEditor) -> None:
    """A user who clicked into a number box and turns the wheel means to change it."""
    editor.tabs.setCurrentWidget(editor.tab_pages["site"])
    editor.select_site(1)
    volume = editor.site_details.inputs.volume_ml
    editor.tab_pages["site"].ensureWidgetVisible(volume)
    before = volume.value()
    qtbot.mouseClick(volume.lineEdit(), Qt.MouseButton.LeftButton)
    assert volume.hasFocus()
    wheel_over(volume, 1)
    assert volume.value() == pytest.approx(before + volume.singleStep())
    assert editor.document.sites()[0].volume_ml == pytest.approx(volume.value())


def test_the_body_diagram_still_zooms_with_the_wheel(editor: SessionEditor) -> None:
    view = editor.diagram.view
    assert view.zoom == 1.0
    wheel_over(view.viewport(), 2)
    assert view.zoom > 1.3


# -- the other windows -------------------------------------------------------------------------------------------
def _shown(qtbot: QtBot, widget: QWidget, height: int | None = None) -> QWidget:
    qtbot.addWidget(widget)
    if height is not None:
        widget.resize(widget.sizeHint().width(), height)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)
    return widget


def test_the_patient_dialog(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    dialog.resize(dialog.width(), 420)  # short enough that its form scrolls
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    checked = assert_wheel_scrolls_past(dialog)
    assert checked.scrolled >= 1


def test_the_admin_window_and_its_dialogs(qtbot: QtBot, clinic_ctx: AppContext, message_boxes: list) -> None:
    admin = _shown(qtbot, AdminWindow(clinic_ctx))
    admin.resize(900, 420)
    assert admin.clinic_tab is not None
    admin.tabs.setCurrentWidget(admin.clinic_tab)
    checked = assert_wheel_scrolls_past(admin)
    assert checked.scrolled >= 1  # the clinic settings form
    item = formulary_admin.list_items(clinic_ctx)[0].item
    for dialog in (ItemDialog(clinic_ctx, None), LotDialog(clinic_ctx, item, None), UserDialog(clinic_ctx)):
        shown = _shown(qtbot, dialog, 300)
        if value_fields(shown):
            assert_wheel_scrolls_past(shown)


@pytest.fixture
def open_windows(qtbot: QtBot, clinic: Clinic) -> dict[str, Callable[[], QWidget]]:
    return {
        "history": lambda: HistoryBrowser(clinic.ctx),
        "audit": lambda: AuditTrailScreen(clinic.ctx),
        "aftercare": lambda: AftercareOptions("en"),
        "addendum": lambda: AddendumDialog(clinic.ctx, 1, [*staff.list_staff(clinic.ctx, "physician"),
                                                         *staff.list_staff(clinic.ctx, "nurse")], None),
    }


@pytest.mark.parametrize("name", ["history", "audit", "aftercare", "addendum"])
def test_filters_and_options(qtbot: QtBot, open_windows: dict, name: str, answers: dict) -> None:
    window = _shown(qtbot, open_windows[name]())
    assert_wheel_scrolls_past(window)


def test_fields_made_later_inside_a_table_pass_the_wheel_to_the_table(qtbot: QtBot) -> None:
    """Cell widgets and editors made long after start-up (as a table's delegates make them) are covered too,
    and the table under them scrolls."""
    table = QTableWidget(40, 1)
    spins = []
    for row in range(40):
        spin = QSpinBox()
        spin.setValue(5)
        table.setCellWidget(row, 0, spin)
        spins.append(spin)
    table.resize(240, 220)
    _shown(qtbot, table)
    bar = table.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    table.setFocus()  # the table itself, not one of its cells, has the keyboard
    wheel_over(spins[1], -1)
    assert [s.value() for s in spins] == [5] * 40
    assert QApplication.focusWidget() not in spins
    assert bar.value() > 0
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert install_wheel_guard(app) is install_wheel_guard(app)  # one guard, however often the app is set up
