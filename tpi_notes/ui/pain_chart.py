"""A small pain trend: NRS before and after each session over time, with the PEG-3 score beside them (issue 17:
the same 0-10 scale, a dotted line), drawn with QPainter."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from tpi_notes.domain.session import SessionSummary
from tpi_notes.ui.style import BORDER, MUTED, PAIN_AFTER, PAIN_BEFORE, TEXT

MIN_SESSIONS = 2
PEG_COLOUR = "#7b3fbf"  # neither pain series' colour; dotted, so it reads without colour too
EMPTY_MESSAGE = "The pain trend appears once the patient has two sessions with pain scores."

Point = tuple[datetime, int]


class PainChart(QWidget):
    """Two series (before, after) on a 0–10 scale against session dates, with a legend."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pain_chart")
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.before: list[Point] = []
        self.after: list[Point] = []
        self.peg: list[tuple[datetime, float]] = []  # the PEG-3 score of each signed visit (services/outcomes.py)
        self.setAccessibleName("Pain trend")
        self._describe()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(600, 200)

    def set_sessions(self, sessions: list[SessionSummary]) -> None:
        ordered = sorted(sessions, key=lambda s: s.performed_start)
        self.before = [(s.performed_start, s.pain_before) for s in ordered if s.pain_before is not None]
        self.after = [(s.performed_start, s.pain_after) for s in ordered if s.pain_after is not None]
        self._describe()
        self.update()

    def set_peg(self, points: list[tuple[datetime, float]]) -> None:
        self.peg = sorted(points)
        self._describe()
        self.update()

    def text_alternative(self) -> str:
        """The chart in words, date by date, for a screen reader (its accessible description) and a tooltip."""
        if self.is_empty:
            return EMPTY_MESSAGE
        days: dict[str, list[str]] = {}
        for label, points in (("before", self.before), ("after", self.after)):
            for when, score in points:
                days.setdefault(f"{when:%Y-%m-%d}", []).append(f"pain {label} {score}")
        for when, score in self.peg:
            days.setdefault(f"{when:%Y-%m-%d}", []).append(f"PEG-3 {score:g}")
        return "Pain on a 0 to 10 scale. " + "; ".join(f"{day}: {', '.join(parts)}" for day, parts in sorted(days.items()))

    def _describe(self) -> None:
        self.setAccessibleDescription(self.text_alternative())

    @property
    def is_empty(self) -> bool:
        dates = {when for when, _ in self.before + self.after + self.peg}
        return len(dates) < MIN_SESSIONS

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        painter.setPen(QPen(QColor(BORDER), 1))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        font = QFont(self.font())
        painter.setFont(font)
        metrics = QFontMetrics(font)
        title_rect = QRectF(14, 8, self.width() - 28, metrics.height() + 4)
        painter.setPen(QColor(TEXT))
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "Pain (NRS 0–10)")
        painter.setFont(font)
        if self.is_empty:
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(self.rect()).adjusted(20, 20, -20, -10),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, EMPTY_MESSAGE)
            painter.end()
            return
        self._draw_legend(painter, metrics, title_rect)
        left = 14 + metrics.horizontalAdvance("10") + 8
        plot = QRectF(left, title_rect.bottom() + 10, self.width() - left - 24,
                      self.height() - title_rect.bottom() - 10 - metrics.height() - 16)
        if plot.height() < 30 or plot.width() < 60:
            painter.end()
            return
        self._draw_axes(painter, metrics, plot)
        self._draw_series(painter, plot, self.before, QColor(PAIN_BEFORE), dashed=True)
        self._draw_series(painter, plot, self.after, QColor(PAIN_AFTER), dashed=False)
        self._draw_series(painter, plot, self.peg, QColor(PEG_COLOUR), dashed=False, dotted=True)  # type: ignore[arg-type]
        painter.end()

    def _draw_legend(self, painter: QPainter, metrics: QFontMetrics, title: QRectF) -> None:
        x = title.right()
        entries = (("After", PAIN_AFTER, False), ("Before", PAIN_BEFORE, True))
        if self.peg:
            entries = (("PEG-3", PEG_COLOUR, None), *entries)  # None: dotted, as its line
        for label, colour, dashed in entries:
            width = metrics.horizontalAdvance(label)
            x -= width
            painter.setPen(QColor(TEXT))
            painter.drawText(QRectF(x, title.top(), width + 2, title.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
            x -= 26
            pen = QPen(QColor(colour), 2)
            if dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            elif dashed is None:
                pen.setStyle(Qt.PenStyle.DotLine)
            painter.setPen(pen)
            y = title.center().y()
            painter.drawLine(QPointF(x, y), QPointF(x + 20, y))
            painter.setBrush(QColor(colour))
            painter.drawEllipse(QPointF(x + 10, y), 3, 3)
            x -= 18

    def _x_range(self) -> tuple[float, float]:
        stamps = [when.timestamp() for when, _ in self.before + self.after + self.peg]
        low, high = min(stamps), max(stamps)
        return (low, high) if high > low else (low - 86400, high + 86400)

    def _map(self, plot: QRectF, when: datetime, score: float) -> QPointF:
        low, high = self._x_range()
        inset = 8  # keeps the first and last markers off the plot's edges
        x = plot.left() + inset + (when.timestamp() - low) / (high - low) * (plot.width() - 2 * inset)
        y = plot.bottom() - score / 10 * plot.height()
        return QPointF(x, y)

    def _draw_axes(self, painter: QPainter, metrics: QFontMetrics, plot: QRectF) -> None:
        for score in (0, 2, 4, 6, 8, 10):
            y = plot.bottom() - score / 10 * plot.height()
            painter.setPen(QPen(QColor("#edf0f3"), 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(0, y - metrics.height() / 2, plot.left() - 8, metrics.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(score))
        all_dates = sorted({when for when, _ in self.before + self.after + self.peg})
        first, last = all_dates[0], all_dates[-1]
        label_top = plot.bottom() + 4
        first_x, last_x = self._map(plot, first, 0).x(), self._map(plot, last, 0).x()
        for year in range(first.year + 1, last.year + 1):  # a faint line at each new year
            x = self._map(plot, datetime(year, 1, 1), 0).x()
            painter.setPen(QPen(QColor("#e3e7eb"), 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            if x - first_x > 90 and last_x - x > 90:
                painter.setPen(QColor(MUTED))
                painter.drawText(QRectF(x - 30, label_top, 60, metrics.height()),
                                 Qt.AlignmentFlag.AlignHCenter, str(year))
        painter.setPen(QColor(MUTED))
        painter.drawText(QRectF(plot.left() - 4, label_top, 160, metrics.height()),
                         Qt.AlignmentFlag.AlignLeft, first.strftime("%Y-%m-%d"))
        painter.drawText(QRectF(plot.right() - 156, label_top, 160, metrics.height()),
                         Qt.AlignmentFlag.AlignRight, last.strftime("%Y-%m-%d"))

    def _draw_series(self, painter: QPainter, plot: QRectF, points: list[Point], colour: QColor,
                     dashed: bool, dotted: bool = False) -> None:
        if not points:
            return
        mapped = [self._map(plot, when, score) for when, score in points]
        pen = QPen(colour, 2)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        if dotted:
            pen.setStyle(Qt.PenStyle.DotLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for start, end in zip(mapped, mapped[1:], strict=False):
            painter.drawLine(start, end)
        painter.setPen(QPen(QColor("#ffffff"), 1.5))
        painter.setBrush(colour)
        radius = 3.5 if len(mapped) < 40 else 2.5
        for point in mapped:
            painter.drawEllipse(point, radius, radius)
