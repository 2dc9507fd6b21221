"""The administrator chooses the clinic's paper on the Clinic tab (issue 16 item 7): Letter by default, A4 from
the list; the next document is laid out for it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from tpi_notes.services import clinic_settings  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui.admin import AdminWindow  # noqa: E402

pytest_plugins = ["ui_fixtures"]


def test_the_clinic_tab_sets_a4_paper(qtbot: QtBot, clinic_ctx: AppContext, message_boxes: list) -> None:
    window = AdminWindow(clinic_ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.show_tab("Clinic")
    tab = window.clinic_tab
    assert tab is not None
    assert tab.paper.currentData() == "letter" and tab.paper.currentText().startswith("US Letter")
    tab.name.clear()
    qtbot.keyClicks(tab.name, "Lakeside Pain Clinic")  # the details every document needs
    qtbot.keyClicks(tab.phone, "(555) 010-2000")
    tab.paper.setFocus()
    qtbot.keyClick(tab.paper, Qt.Key.Key_Down)  # the next entry: A4
    assert tab.paper.currentData() == "a4"
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert tab.status.text().startswith("Saved")
    assert clinic_settings.get_settings(clinic_ctx).paper_size == "a4"
