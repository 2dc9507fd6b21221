"""The look of the app: a calm light theme, readable 10 pt text and the colours of badges.

Colours are named for their meaning so that widgets do not carry hex codes of their own.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QDir, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QStyleOptionHeader,
    QWidget,
)

BASE_POINT_SIZE = 10
ACCENT = "#1d6a8a"
TEXT = "#1f2933"
MUTED = "#5f6b7a"
WINDOW = "#f3f5f7"
BORDER = "#d5dbe1"
DANGER = "#b42318"
DANGER_TINT = "#fde8e7"
PAIN_BEFORE = "#c2410c"
PAIN_AFTER = "#1d6a8a"

# (background, text, border) for each kind of pill in the patient header; all pass WCAG AA for text.
BADGE_COLOURS: dict[str, tuple[str, str, str]] = {
    "allergy": ("#b42318", "#ffffff", "#b42318"),
    "no_allergy": ("#eef2f5", "#3e4c59", "#cbd2d9"),
    "bleeding": ("#fff1e6", "#9a3412", "#f4b183"),
    "diabetes": ("#eef2ff", "#3730a3", "#b4bcf5"),
    "pregnancy": ("#fdf2f8", "#9d174d", "#f1b5d3"),
    "immunosuppressed": ("#ecfdf5", "#065f46", "#9ad8bd"),
    "device": ("#f1f5f9", "#334155", "#b8c2cf"),
    "not_recorded": ("#fffbeb", "#854d0e", "#e9c46a"),  # a history question nobody answered yet
}

STYLESHEET = f"""
QMainWindow, QDialog {{ background: {WINDOW}; }}
QLineEdit, QComboBox {{
    padding: 4px 6px; border: 1px solid {BORDER}; border-radius: 4px; background: #ffffff;
    min-height: 20px;
}}
QComboBox::drop-down {{
    subcontrol-origin: padding; subcontrol-position: center right; width: 22px; border: none;
}}
QComboBox::down-arrow {{ image: url(tpi-ui:chevron-down.png); width: 10px; height: 6px; }}
QLineEdit:focus, QComboBox:focus {{ border: 1px solid {ACCENT}; }}
QLineEdit[invalid="true"], QComboBox[invalid="true"] {{ border: 2px solid {DANGER}; }}
QLabel[role="field-error"] {{ color: {DANGER}; }}
QLabel[role="hint"] {{ color: {MUTED}; }}
QLabel[role="section"] {{ color: {MUTED}; font-weight: 600; padding-top: 6px; }}
QLabel[role="title"] {{ font-size: 16pt; font-weight: 600; color: {TEXT}; }}
QLabel[role="count"] {{ color: {MUTED}; padding: 2px 2px; }}
QTableView {{
    background: #ffffff; alternate-background-color: #f7f9fb; border: 1px solid {BORDER};
    border-radius: 4px; selection-background-color: #d3e6f0; selection-color: {TEXT}; gridline-color: #eef1f4;
}}
QHeaderView::section {{
    background: #eef2f5; color: {MUTED}; border: none; border-bottom: 1px solid {BORDER};
    padding: 5px 6px; font-weight: 600;
}}
QPushButton {{
    padding: 5px 14px; border: 1px solid {BORDER}; border-radius: 4px; background: #ffffff; color: {TEXT};
}}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:default, QPushButton[primary="true"] {{
    background: {ACCENT}; color: #ffffff; border-color: {ACCENT};
}}
QPushButton[big="true"] {{ padding: 12px 22px; font-size: 12pt; min-width: 180px; }}
QFrame#card {{ background: #ffffff; border: 1px solid {BORDER}; border-radius: 6px; }}
QFrame#concurrent_banner {{ background: {DANGER_TINT}; border: 1px solid #f5b5b0; border-radius: 4px; }}
QSplitter::handle {{ background: {WINDOW}; }}
"""


class SortArrowStyle(QProxyStyle):
    """Fusion, with a column's sort arrow pointing the way people read it: up for A→Z and oldest first.

    Qt hands the header "sort down" for ascending order and Fusion draws that as ▼, so a history listed newest
    first showed ▲, the sign most software uses for ascending. The arrow is drawn the other way round here.
    """

    _FLIP = {
        QStyleOptionHeader.SortIndicator.SortUp: QStyleOptionHeader.SortIndicator.SortDown,
        QStyleOptionHeader.SortIndicator.SortDown: QStyleOptionHeader.SortIndicator.SortUp,
    }

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,  # noqa: N802 (Qt's name)
                      painter: QPainter, widget: QWidget | None = None) -> None:
        if element == QStyle.PrimitiveElement.PE_IndicatorHeaderArrow and isinstance(option, QStyleOptionHeader):
            flipped = QStyleOptionHeader(option)
            flipped.sortIndicator = self._FLIP.get(option.sortIndicator, option.sortIndicator)
            option = flipped
        super().drawPrimitive(element, option, painter, widget)


def apply_theme(app: QApplication) -> None:
    """Fusion with a light palette and a 10 pt font, the same on every platform (idempotent)."""
    if app.property("tpi_theme_applied"):
        return
    app.setStyle(SortArrowStyle(QStyleFactory.create("Fusion")))
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    palette = app.palette()
    for role, colour in (
        (QPalette.ColorRole.Window, WINDOW),
        (QPalette.ColorRole.WindowText, TEXT),
        (QPalette.ColorRole.Base, "#ffffff"),
        (QPalette.ColorRole.AlternateBase, "#f7f9fb"),
        (QPalette.ColorRole.Text, TEXT),
        (QPalette.ColorRole.Button, "#ffffff"),
        (QPalette.ColorRole.ButtonText, TEXT),
        (QPalette.ColorRole.Highlight, "#d3e6f0"),
        (QPalette.ColorRole.HighlightedText, TEXT),
        (QPalette.ColorRole.PlaceholderText, "#8a94a0"),
        (QPalette.ColorRole.ToolTipBase, "#ffffff"),
        (QPalette.ColorRole.ToolTipText, TEXT),
    ):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    _register_images()
    app.setStyleSheet(STYLESHEET)
    app.setProperty("tpi_theme_applied", True)


def _register_images() -> None:
    """Draw the few images the stylesheet needs and expose them as ``tpi-ui:<name>``.

    A stylesheet can only refer to image files; drawing them at start-up keeps them independent of
    packaging (no .qrc step, no package-data entry) and of the fonts installed.
    """
    folder = Path(tempfile.gettempdir()) / f"tpi-notes-ui-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    folder.mkdir(parents=True, exist_ok=True)
    pixmap = QPixmap(20, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor(MUTED), 2.6)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.drawPolyline([QPointF(3, 2.5), QPointF(10, 9.5), QPointF(17, 2.5)])
    painter.end()
    pixmap.save(str(folder / "chevron-down.png"))
    QDir.addSearchPath("tpi-ui", str(folder))


def set_role(widget: QWidget, role: str) -> None:
    """Tag a widget for the stylesheet (``role="hint"`` and so on)."""
    widget.setProperty("role", role)


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Give an input the red border of a refused field (or take it away)."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def lock_icon(colour: str = "#3e4c59", size: int = 16) -> QIcon:
    """A padlock drawn with QPainter, so it shows whatever fonts the workstation has."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor(colour), size / 9)
    painter.setPen(pen)
    shackle = QPainterPath()
    shackle.moveTo(QPointF(size * 0.32, size * 0.48))
    shackle.lineTo(QPointF(size * 0.32, size * 0.32))
    shackle.arcTo(QRectF(size * 0.32, size * 0.12, size * 0.36, size * 0.36), 180, -180)
    shackle.lineTo(QPointF(size * 0.68, size * 0.48))
    painter.drawPath(shackle)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawRoundedRect(QRectF(size * 0.18, size * 0.45, size * 0.64, size * 0.45), size * 0.08, size * 0.08)
    painter.end()
    return QIcon(pixmap)
