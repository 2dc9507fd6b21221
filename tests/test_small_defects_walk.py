"""Small defects a clinician saw in a real window (H33, from the H31 Xvfb walk at 1600 × 1000): each test drives
the screen as the clinician did and fails on the code that showed the defect."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import re  # noqa: E402
import sqlite3  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import closing  # noqa: E402
from datetime import timedelta  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtGui import QFontMetrics, QPainter, QTextLayout, QTextOption  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QGraphicsSimpleTextItem,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
)
from pytestqt.qtbot import QtBot  # noqa: E402
from test_report_support import START, add_patient, save_session, setup_clinic, sign  # noqa: E402
from test_ui_editor_fixtures import Clinic, clinic, discard_and_close, make_editor  # noqa: E402, F401
from ui_fixtures import clinic_ctx, make_window, message_boxes, type_text, ui_data_dir  # noqa: E402, F401

from tpi_notes.domain.history import AgentCount, ChartData, MonthCount  # noqa: E402
from tpi_notes.services import drafts  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui.app import ensure_application  # noqa: E402
from tpi_notes.ui.editor.reference import load_reference  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402


@pytest.fixture
def returning(ctx: AppContext) -> tuple[AppContext, int]:
    """A patient with one signed session (three muscles) eight weeks before the visit charted now."""
    ensure_application()
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    earlier = START - timedelta(weeks=8)
    first = save_session(ctx, patient.id, doctor, 3, performed_start=earlier,
                         performed_end=earlier + timedelta(minutes=20), timeout_at=earlier + timedelta(minutes=2))
    sign(ctx, first, doctor)
    return ctx, patient.id


@pytest.fixture
def editor_at(qtbot: QtBot) -> Iterator:
    opened: list[SessionEditor] = []

    def make(ctx: AppContext, patient_id: int, size: tuple[int, int], draft: object = None) -> SessionEditor:
        draft = draft or drafts.new_draft(ctx, patient_id)
        editor = SessionEditor(ctx, draft, load_reference(ctx, patient_id), baseline=draft)
        opened.append(editor)
        editor.show()
        editor.resize(*size)
        qtbot.waitExposed(editor)
        return editor

    yield make
    for editor in opened:
        discard_and_close(editor)


def _click_tab(qtbot: QtBot, editor: SessionEditor, page: str) -> QScrollArea:
    bar = editor.tabs.tabBar()
    area = editor.tab_pages[page]
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(editor.tabs.indexOf(area)).center())
    qtbot.waitUntil(lambda: area.isVisible())
    return area


# -- 1. the outcomes tab ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(1600, 1000), (1366, 768)])
def test_the_outcomes_tab_shows_every_response_cell_whole(
        qtbot: QtBot, returning: tuple[AppContext, int], editor_at, size: tuple[int, int]) -> None:  # noqa: ANN001
    """At 1600 × 1000 the Relief ("Not recorded"), "still lasting" and the "Response to the last session…" line
    stood behind a horizontal scroll bar, the relief boxes cut to "Not recorde"."""
    ctx, patient_id = returning
    editor = editor_at(ctx, patient_id, size)
    area = _click_tab(qtbot, editor, "outcomes")
    panel = editor.outcomes
    table = panel.table
    assert table.rowCount() == 3
    for row in range(table.rowCount()):
        for column in (1, 2):
            cell = table.cellWidget(row, column)
            assert cell.width() >= cell.minimumSizeHint().width(), (row, column, cell.width())
            assert cell.width() <= table.columnWidth(column), (row, column, cell.width())  # not under the next
    header = table.horizontalHeader()
    assert header.length() <= table.viewport().width()  # no column behind the table's own scroll bar
    assert not table.horizontalScrollBar().isVisible()
    combo = panel.all_duration
    assert combo.width() >= combo.minimumSizeHint().width()
    for button in panel.findChildren(QToolButton):  # the score buttons show their whole number, never "…"
        if button.isVisible():
            needed = button.fontMetrics().horizontalAdvance(button.text()) + 4  # its padding and border
            assert button.width() >= needed, (button.objectName(), button.width())
    if size == (1600, 1000):  # everything readable without scrolling the page sideways
        qtbot.waitUntil(lambda: not area.horizontalScrollBar().isVisible(), timeout=2000)  # once laid out
        assert area.widget().width() <= area.viewport().width()
        label = panel.prior_label
        assert label.text().startswith("Response to the last session")
        right = label.mapTo(area.viewport(), label.rect().topRight()).x()
        assert right <= area.viewport().width()
        assert label.fontMetrics().boundingRect(label.rect(), Qt.TextFlag.TextWordWrap,
                                                label.text()).width() <= label.width()


# -- 2. the doses panel ----------------------------------------------------------------------------------------
def test_the_dose_panel_shows_a_long_drug_name_whole(qtbot: QtBot, ctx: AppContext, editor_at) -> None:  # noqa: ANN001
    """"Triamcinolone…" was cut in the Drug column; its whole name is shown (wrapped) and is the cell's tooltip."""
    from test_report_support import session_draft

    ensure_application()
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    draft = session_draft(ctx, patient.id, doctor, 2, syringe=(("lidocaine-1", 2.0), ("triamcinolone-40", 1.0)))
    editor = editor_at(ctx, patient.id, (1600, 1000), draft)
    panel = editor.dose
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2)
    table = panel.table
    row = next(r for r in range(2) if table.item(r, 0).text().startswith("Triamcinolone"))
    item = table.item(row, 0)
    assert item.toolTip() == item.text() == "Triamcinolone acetonide 40 mg/mL"
    rect = table.visualRect(table.model().index(row, 0))
    needed = table.fontMetrics().boundingRect(rect.adjusted(4, 0, -4, 0), Qt.TextFlag.TextWordWrap, item.text())
    assert needed.width() <= rect.width() - 4 and needed.height() <= rect.height(), (needed, rect)
    assert table.height() >= table.horizontalHeader().height() + sum(table.rowHeight(r) for r in range(2))


# -- 3. a drug row with no drug chosen --------------------------------------------------------------------------
def test_a_drug_row_without_a_drug_asks_for_the_drug_not_an_empty_lot(
        qtbot: QtBot, make_editor) -> None:  # noqa: ANN001, F811
    editor = make_editor()
    _click_tab(qtbot, editor, "syringes")
    qtbot.mouseClick(editor.syringes.add_button, Qt.MouseButton.LeftButton)

    def add_drug() -> QPushButton | None:
        return next((b for b in editor.syringes.findChildren(QPushButton)
                     if b.text() == "+ Add drug" and b.isVisible()), None)

    qtbot.waitUntil(lambda: add_drug() is not None)
    qtbot.mouseClick(add_drug(), Qt.MouseButton.LeftButton)
    assessment = editor.findings.refresh_now()
    assert assessment is not None
    messages = [m.message for m in assessment.missing]
    assert not [m for m in messages if re.search(r"lot of\s*\.|of \.$|\(\s*\)", m)], messages
    assert any(re.match(r"Syringe A: choose the drug of row \d+\.", m) for m in messages), messages
    shown = " ".join(label.text() for label in editor.findings.findChildren(QLabel) if label.isVisible())
    assert "lot of ." not in shown and "lot of <" not in shown


def _details(ctx: AppContext) -> list[str]:
    with closing(sqlite3.connect(ctx.database_path)) as conn:  # type: ignore[arg-type]
        return [row[0] or "" for row in conn.execute("SELECT detail FROM audit_event ORDER BY id")]


# -- 4. counts in words ------------------------------------------------------------------------------------------
def test_one_syringe_and_one_site_are_written_in_the_singular(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    save_session(ctx, patient.id, doctor, 1)
    details = [d for d in _details(ctx) if d.startswith("draft saved")]
    assert details and all("1 sites" not in d and "1 syringes" not in d for d in details), details
    assert "1 site, 1 syringe" in details[-1], details


def test_a_one_site_template_is_recorded_in_the_singular(ctx: AppContext) -> None:
    from test_report_support import session_draft

    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    template = drafts.save_template(ctx, "Neck", "", session_draft(ctx, patient.id, doctor, 1))
    drafts.apply_template(ctx, template.id, drafts.new_draft(ctx, patient.id))
    [detail] = [d for d in _details(ctx) if d.startswith("applied to")]
    assert detail.endswith(": 1 site, 1 syringe"), detail


# -- 5. the response map's side labels -----------------------------------------------------------------------------
def test_the_response_maps_side_labels_are_readable_on_screen(qtbot: QtBot) -> None:
    from tpi_notes.ui.response_map import ResponseMap

    ensure_application()
    widget = ResponseMap()
    qtbot.addWidget(widget)
    widget.resize(330, 200)  # as on the patient page beside the pain trend at 1600 × 1000
    widget.show()
    qtbot.waitExposed(widget)
    widget.view.fit()
    view = widget.view
    labels = [i for i in widget.scene.items() if isinstance(i, QGraphicsSimpleTextItem) and i.isVisible()
              and i.text().startswith("Patient's")]
    assert {i.text() for i in labels} == {"Patient's R", "Patient's L"}
    rects = []
    for item in labels:
        on_screen = item.deviceTransform(view.viewportTransform()).mapRect(item.boundingRect())
        assert on_screen.height() >= 10, (item.text(), on_screen)  # 8 pt or more, not 4 px
        assert view.viewport().rect().contains(on_screen.toRect()), (item.text(), on_screen)  # not clipped
        rects.append((item.text(), on_screen))
    for n, (text, rect) in enumerate(rects):  # none written over another
        assert not [other for other, r in rects[n + 1:] if r.intersects(rect)], (text, rects)
    # each side label stays on its side of the figures: R left of the front view's middle, L right of it
    front = widget.scene.frames["anterior"]
    middle = view.mapFromScene(QPointF(front.left + front.width / 2, 0)).x()
    sides = {text: rect for text, rect in rects if text.startswith("Patient's")}
    assert min(r.center().x() for t, r in rects if t == "Patient's R") < middle < sides["Patient's L"].center().x()
    widget.grab().save("/tmp/h33_response_map.png")


# -- 6. the read-only diagram's help line ------------------------------------------------------------------------
def test_a_signed_sessions_diagram_does_not_invite_a_click(qtbot: QtBot, ctx: AppContext) -> None:
    from tpi_notes.services import sessions
    from tpi_notes.ui.session_window import SessionWindow

    ensure_application()
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2)
    sign(ctx, sid, doctor)
    window = SessionWindow(sessions.get_session(ctx, sid), patient.display_name, {}, ctx=ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    hint = window.diagram.hover_label
    assert hint.isVisible()
    assert "click" not in hint.text().lower() and "add a site" not in hint.text().lower()
    assert "Point at a muscle" in hint.text()
    window.diagram.scene.region_hovered.emit(None)  # the pointer leaves a muscle
    assert "click" not in hint.text().lower() and hint.text()


# -- 7. the audit trail's count after Verify chain ------------------------------------------------------------------
def test_verify_chain_brings_the_count_up_to_date(qtbot: QtBot, ctx: AppContext,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from tpi_notes.db.repositories import audit
    from tpi_notes.services.demo import build_demo
    from tpi_notes.ui import audit_screen
    from tpi_notes.ui.audit_screen import AuditTrailScreen

    ensure_application()
    build_demo(ctx, patients=3, sessions=4, seed=3)
    monkeypatch.setattr(audit_screen, "run_with_progress", lambda _parent, _text, work: work())
    screen = AuditTrailScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1300, 800)
    screen.show()
    qtbot.waitExposed(screen)
    before = screen.model.total
    with ctx.transaction() as s:  # another workstation writes meanwhile
        audit.append(s, actor="user:x", action="view", entity="session", entity_id=1, patient_id=1, detail="x")
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.model.total > before + 1)
    now = len(_details(ctx))
    number = int(re.match(r"([\d,]+) events", screen.count_label.text())[1].replace(",", ""))  # type: ignore[index]
    # the trail as of now: every event verify checked, and its own "verify" event (the reload's own "view" of
    # the trail is recorded after its read, as every first page is: not part of what it shows)
    assert number == screen.model.total == now - 1, (screen.count_label.text(), now)
    checked = re.search(r"([\d,]+) audit events", screen.verify_label.text())
    assert checked and int(checked[1].replace(",", "")) + 1 == number, (screen.verify_label.text(), number)
    assert screen.model.index(0, 0).data() is not None


# -- 8. the "no match" hint's date format ------------------------------------------------------------------------
def _lines(label: QLabel, width: int) -> list[str]:
    layout = QTextLayout(label.text(), label.font())
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    layout.setTextOption(option)
    layout.beginLayout()
    lines = []
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        lines.append(label.text()[line.textStart():line.textStart() + line.textLength()])
    layout.endLayout()
    return lines


def test_the_no_match_hint_keeps_the_date_format_on_one_line(make_window, qtbot: QtBot) -> None:  # noqa: ANN001, F811
    window = make_window()
    box = window.patient_list.search_edit
    type_text(qtbot, box, "zzzz")
    hint = window.patient_list.hint_label
    qtbot.waitUntil(lambda: "No patient matches" in hint.text(), timeout=3000)
    for width in range(120, 520, 3):
        lines = [line.replace("\u2011", "-") for line in _lines(hint, width)]
        assert any("YYYY-MM-DD" in line for line in lines), (width, lines)


# -- 9. the printed-note check dialog ------------------------------------------------------------------------------
def test_the_printout_check_dialog_has_no_empty_band_above_its_buttons(qtbot: QtBot, ctx: AppContext) -> None:
    from tpi_notes.ui.printout_dialog import PrintoutCheckDialog

    ensure_application()
    setup_clinic(ctx)
    dialog = PrintoutCheckDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    buttons = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Check")
    gap = buttons.mapTo(dialog, buttons.rect().topLeft()).y() - dialog.field.mapTo(
        dialog, dialog.field.rect().bottomLeft()).y()
    assert gap <= 30, gap
    qtbot.keyClicks(dialog.field, "999 2c3ce37289ed2c32")
    qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.verdict.isVisible())
    verdict = dialog.verdict
    assert verdict.height() >= verdict.heightForWidth(verdict.width())  # the answer is shown whole
    under = buttons.mapTo(dialog, buttons.rect().topLeft()).y() - verdict.mapTo(dialog, verdict.rect().bottomLeft()).y()
    assert 0 < under <= 30, under


# -- 10. the history chart's agent names -----------------------------------------------------------------------------
class _RecordingPainter(QPainter):
    drawn: list[str] = []

    def drawText(self, *args: object) -> None:  # noqa: N802 - Qt API
        if isinstance(args[-1], str):
            _RecordingPainter.drawn.append(args[-1])
        super().drawText(*args)  # type: ignore[call-overload]


AGENTS = ("Lidocaine 1 %", "Normal saline 0.9 %", "Triamcinolone acetonide 40 mg/mL", "Bupivacaine 0.5 %",
          "Bupivacaine 0.25 %", "Lidocaine 2 %", "Lidocaine 0.5 %", "Methylprednisolone acetate 40 mg/mL",
          "Ropivacaine 0.5 %", "Betamethasone sodium phosphate/acetate 6 mg/mL", "Methylprednisolone acetate 80 mg/mL",
          "Dexamethasone sodium phosphate 4 mg/mL", "Triamcinolone acetonide 10 mg/mL")


def test_the_history_chart_never_cuts_an_agent_name_inside_a_word(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    from tpi_notes.ui.history import chart as chart_module

    monkeypatch.setattr(chart_module, "QPainter", _RecordingPainter)
    chart = chart_module.HistoryChart()
    qtbot.addWidget(chart)
    chart.resize(1285, 215)  # as in the history window at 1600 × 1000
    months = tuple(MonthCount(2026, m, 5) for m in range(1, 13))
    agents = tuple(AgentCount(f"a{i}", name, "corticosteroid", 100 - i) for i, name in enumerate(AGENTS))
    chart.set_data(ChartData(months, agents, 60))
    _RecordingPainter.drawn.clear()
    chart.grab()
    for name in AGENTS:
        labels = [t for t in _RecordingPainter.drawn if t == name or (
            "…" in t and name.startswith(t.split("…")[0].rstrip()) and name.endswith(t.split("…")[-1].strip()))]
        if not labels:  # left out: "and N more"
            continue
        label = labels[0]
        words = label.replace("…", " … ").split()
        assert all(w == "…" or w in name.split() for w in words), (name, label)  # whole words only
        assert label == name or label.endswith(" ".join(name.split()[-2:])), (name, label)  # the strength kept
    assert any(t.startswith("Methylprednisolone") for t in _RecordingPainter.drawn), _RecordingPainter.drawn
    tips = {chart.tooltip_at(QPointF(x, y)) for x in range(0, 1285, 10) for y in range(0, 215, 4)}
    assert any(t and t.startswith("Methylprednisolone acetate 40 mg/mL") for t in tips)


def test_the_history_charts_counts_are_singular_for_one() -> None:
    from tpi_notes.ui.history.chart import HistoryChart

    ensure_application()
    chart = HistoryChart()
    chart.set_data(ChartData((MonthCount(2026, 1, 1),), (AgentCount("l", "Lidocaine 1 %", "local_anesthetic", 1),), 1))
    assert chart.text_alternative().startswith("1 session.")
    metrics = QFontMetrics(chart.font())
    assert metrics.height() > 0
