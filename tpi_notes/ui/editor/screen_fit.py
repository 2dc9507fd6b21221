"""The editor's first size and place: 1600 × 1000 where the screen has room, never more than it can show.

A 1600 × 1000 window on a 1600 × 1000 screen is taller than the screen once the title bar (and any panel) is
counted: its bottom rows were off-screen (H31 walk). The size asked for is the window's inside; the window
manager adds its frame, so the frame is taken off the screen's available area first: the editor's own frame once
it is shown, else the main window's (the same window manager draws both), else a title bar's allowance.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

EDITOR_SIZE = QSize(1600, 1000)
"""What every tab was laid out for (issue 16 item 4): the size wherever it fits."""
FRAME_ALLOWANCE = QSize(8, 40)
"""Borders and a title bar, when no window on this screen has shown its frame yet."""


def _frame(window: QWidget) -> QSize | None:
    """The frame the window manager put round ``window`` (its outside less its inside), if it is shown."""
    if not window.isVisible():
        return None
    extra = window.frameGeometry().size() - window.geometry().size()
    return extra if extra.width() > 0 or extra.height() > 0 else None


def screen_of(window: QWidget, anchor: QWidget | None) -> QScreen:
    """The screen the main window (``anchor``) is on, else the window's own, else the primary one."""
    for widget in (anchor.window() if anchor is not None else None, window):
        if widget is not None and widget.screen() is not None:
            return widget.screen()
    return QGuiApplication.primaryScreen()


def fit_to_screen(window: QWidget, anchor: QWidget | None, size: QSize = EDITOR_SIZE) -> QRect:
    """Size ``window`` to ``size``, or less where the available area (less the frame) is smaller, and place its
    frame inside that area, centred, on the screen ``anchor`` is on. Returns the area used."""
    area = screen_of(window, anchor).availableGeometry()
    frame = _frame(window) or (_frame(anchor.window()) if anchor is not None else None) or FRAME_ALLOWANCE
    width = max(1, min(size.width(), area.width() - frame.width()))
    height = max(1, min(size.height(), area.height() - frame.height()))
    window.resize(width, height)
    outside = window.size() + frame  # a minimum size may have kept it larger: then from the area's top left
    window.move(area.x() + max(0, (area.width() - outside.width()) // 2),
                area.y() + max(0, (area.height() - outside.height()) // 2))
    return area
