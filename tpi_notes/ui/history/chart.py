"""The history browser's small chart: sessions per month as bars, and sessions by agent as a bar list."""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from tpi_notes.domain.history import AGENT_CLASS_LABELS, ChartData
from tpi_notes.ui.style import ACCENT, BORDER, MUTED, TEXT

CLASS_COLOURS = {"local_anesthetic": ACCENT, "corticosteroid": "#c2410c", "saline": "#7b8794"}
MONTHS_HEIGHT = 190
AGENT_ROW = 22
AGENT_COLUMN = 230  # the narrowest column of the agent list
MIN_BAR = 28  # the shortest room left for an agent's bars beside a long name
EMPTY_MESSAGE = "No sessions match the filters."
STRENGTH = re.compile(r"\s(\d[\d.,]*\s*(?:%|mg/mL|mg|mL|mcg/mL))$")  # "40 mg/mL", "0.5 %" at the end of a name


def fit_name(name: str, metrics: QFontMetrics, width: int) -> str:
    """``name`` in ``width`` pixels, cut between words and never inside one, the strength kept whole:
    "Methylprednisolone … 40 mg/mL" (Methylprednisolone 40 and 80 stay apart); the whole name is the tooltip.
    Too narrow even for the first word and the strength: cut at the end."""
    if metrics.horizontalAdvance(name) <= width:
        return name
    found = STRENGTH.search(name)
    strength = found[1] if found else ""
    words = (name[:found.start()] if found else name).split()
    for keep in range(len(words) - 1, 0, -1):
        text = " ".join(words[:keep]) + " …" + (f" {strength}" if strength else "")
        if metrics.horizontalAdvance(text) <= width:
            return text
    return metrics.elidedText(name, Qt.TextElideMode.ElideRight, width)
BUSY_MESSAGE = "Charting…"


class HistoryChart(QWidget):
    """Bars per month over the filtered range, then one bar per agent (coloured by class)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history_chart")
        self.setMinimumSize(260, 150)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.data: ChartData | None = None
        self.busy = False  # a new chart is being computed: the data held (if any) is the last filter's
        self._bars: list[tuple[QRectF, str]] = []  # hit areas for tooltips
        self.setAccessibleName("Sessions per month and per agent")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(900, 210)

    def set_data(self, data: ChartData | None) -> None:
        """Show ``data`` (None: nothing), which ends the busy state."""
        self.data = data
        self.busy = False
        self.setAccessibleDescription(self.text_alternative())  # the bars in words, for a screen reader
        self.update()

    def set_busy(self, busy: bool) -> None:
        """Say the chart is being computed: "Charting…" instead of the last filter's bars until :meth:`set_data`
        (drawn in an instant, so the table's paint never waits on a chart about to be replaced)."""
        self.busy = busy
        self.setAccessibleDescription(self.text_alternative())
        self.update()

    def text_alternative(self) -> str:
        if self.busy:
            return "Charting the sessions these filters match…"
        if self.data is None:
            return "No sessions chosen."
        months = "; ".join(f"{m.label}: {m.sessions}" for m in self.data.months)
        agents = "; ".join(f"{a.name}: {a.sessions}" for a in self.data.agents) or "none"
        total = self.data.total
        return f"{total} session{'s' if total != 1 else ''}. Per month: {months}. Per agent: {agents}."

    # -- painting ----------------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        painter.setPen(QPen(QColor(BORDER), 1))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        self._bars = []
        metrics = QFontMetrics(self.font())
        if self.busy:  # the bars held are another filter's: not drawn (nor read by a tooltip) meanwhile
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, BUSY_MESSAGE)
            painter.end()
            return
        if self.data is None:
            painter.end()
            return
        if not self.data.months:
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(self.rect()).adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, EMPTY_MESSAGE)
            painter.end()
            return
        area = QRectF(self.rect()).adjusted(14, 10, -14, -10)
        if area.width() >= 1.8 * area.height():  # a wide strip: months on the left, agents on the right
            split = area.width() * 0.5  # the agents' names need the room more than 12–36 month bars
            months_box = QRectF(area.left(), area.top(), split - 12, area.height())
            agents_box = QRectF(area.left() + split + 12, area.top(), area.width() - split - 12, area.height())
        else:  # a tall panel: months above agents
            months_box = QRectF(area.left(), area.top(), area.width(), min(MONTHS_HEIGHT, area.height() * 0.5))
            agents_box = QRectF(area.left(), months_box.bottom() + 16, area.width(),
                                area.bottom() - months_box.bottom() - 16)
        self._draw_months(painter, metrics, months_box)
        self._draw_agents(painter, metrics, agents_box)
        painter.end()

    def _title(self, painter: QPainter, box: QRectF, text: str, note: str = "") -> float:
        bold = QFont(self.font())
        bold.setBold(True)
        height = QFontMetrics(bold).height() + 4
        painter.setFont(bold)
        painter.setPen(QColor(TEXT))
        painter.drawText(QRectF(box.left(), box.top(), box.width(), height),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        painter.setFont(self.font())
        if note:
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(box.left(), box.top(), box.width(), height),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, note)
        return box.top() + height

    def _draw_months(self, painter: QPainter, metrics: QFontMetrics, box: QRectF) -> None:
        assert self.data is not None
        months = self.data.months
        top = self._title(painter, box, "Sessions per month", f"{self.data.total:,} in all")
        peak = max(m.sessions for m in months) or 1
        label_width = metrics.horizontalAdvance(f"{peak:,}") + 6
        plot = QRectF(box.left() + label_width, top + 8, box.width() - label_width,
                      box.bottom() - top - 8 - metrics.height() - 6)
        painter.setPen(QPen(QColor("#edf0f3"), 1))
        painter.drawLine(QPointF(plot.left(), plot.top()), QPointF(plot.right(), plot.top()))
        painter.setPen(QPen(QColor(BORDER), 1))
        painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
        painter.setPen(QColor(MUTED))
        painter.drawText(QRectF(box.left(), plot.top() - metrics.height() / 2, label_width - 6, metrics.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{peak:,}")
        painter.drawText(QRectF(box.left(), plot.bottom() - metrics.height() / 2, label_width - 6,
                                metrics.height()), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "0")
        step = plot.width() / len(months)
        gap = min(3.0, step * 0.25)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(ACCENT))
        for i, month in enumerate(months):
            height = month.sessions / peak * plot.height()
            bar = QRectF(plot.left() + i * step + gap / 2, plot.bottom() - height, max(step - gap, 1.0), height)
            if month.sessions:
                painter.drawRect(bar)
            hit = QRectF(plot.left() + i * step, plot.top(), step, plot.height())
            self._bars.append((hit, f"{month.label}: {month.sessions:,} session{'s' if month.sessions != 1 else ''}"))
        painter.setPen(QColor(MUTED))
        label_top = plot.bottom() + 4
        first, last = months[0].label, months[-1].label
        painter.drawText(QRectF(plot.left(), label_top, plot.width(), metrics.height()),
                         Qt.AlignmentFlag.AlignLeft, first)
        if len(months) > 1:
            painter.drawText(QRectF(plot.left(), label_top, plot.width(), metrics.height()),
                             Qt.AlignmentFlag.AlignRight, last)
        # A tick and the year at each January inside the range, where the label has room.
        used = (plot.left() + metrics.horizontalAdvance(first) + 8,
                plot.right() - metrics.horizontalAdvance(last) - 8)
        for i, month in enumerate(months[1:], start=1):
            if month.month != 1:
                continue
            x = plot.left() + i * step
            painter.setPen(QPen(QColor(BORDER), 1))
            painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 3))
            half = metrics.horizontalAdvance("0000") / 2 + 2
            if used[0] < x - half and x + half < used[1]:
                painter.setPen(QColor(MUTED))
                painter.drawText(QRectF(x - half, label_top, 2 * half, metrics.height()),
                                 Qt.AlignmentFlag.AlignHCenter, str(month.year))

    def _draw_agents(self, painter: QPainter, metrics: QFontMetrics, box: QRectF) -> None:
        assert self.data is not None
        top = self._title(painter, box, "Sessions by agent") + 6
        agents = self.data.agents
        if not agents:
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(box.left(), top, box.width(), metrics.height() * 2),
                             Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
                             "No drugs were drawn up in these sessions.")
            return
        rows = max(int((box.bottom() - top) // AGENT_ROW), 1)
        columns = max(1, min(int(box.width() // AGENT_COLUMN), -(-len(agents) // rows)))
        capacity = rows * columns
        shown = list(agents[:capacity])
        more = len(agents) - len(shown)
        if more:
            shown = shown[:-1]  # the last slot says how many are left out
            more += 1
        peak = max(a.sessions for a in agents) or 1
        width = (box.width() - (columns - 1) * 16) / columns
        names = [metrics.horizontalAdvance(a.name) for a in shown] or [0]
        count_width = metrics.horizontalAdvance(f"{peak:,}") + 8
        # the names take the width they need; the bars keep at least MIN_BAR (their lengths compare, not read)
        name_width = max(min(max(names) + 10, width - count_width - MIN_BAR), min(width * 0.4, max(names) + 10))
        bar_room = max(width - name_width - count_width, 10)
        for i, agent in enumerate(shown):
            left = box.left() + (i // rows) * (width + 16)
            y = top + (i % rows) * AGENT_ROW
            painter.setPen(QColor(TEXT))
            name = fit_name(agent.name, metrics, int(name_width - 10))
            painter.drawText(QRectF(left, y, name_width - 10, AGENT_ROW),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
            bar = QRectF(left + name_width, y + 5, max(agent.sessions / peak * bar_room, 2.0), AGENT_ROW - 10)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(CLASS_COLOURS.get(agent.agent_class, MUTED)))
            painter.drawRoundedRect(bar, 2, 2)
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(bar.right() + 4, y, count_width, AGENT_ROW),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{agent.sessions:,}")
            label = AGENT_CLASS_LABELS.get(agent.agent_class, agent.agent_class)
            self._bars.append((QRectF(left, y, width, AGENT_ROW),
                               f"{agent.name} ({label.lower()}): {agent.sessions:,} "
                               f"session{'s' if agent.sessions != 1 else ''}"))
        if more:
            i = len(shown)
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(box.left() + (i // rows) * (width + 16), top + (i % rows) * AGENT_ROW, width,
                                    AGENT_ROW), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             f"and {more} more")

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def tooltip_at(self, point: QPointF) -> str | None:
        """The month or agent under ``point`` in words (after a paint), or None."""
        return next((text for rect, text in self._bars if rect.contains(point)), None)
