"""Clinic → Outcomes report (issue 17 item 4): relief and PEG change by muscle group, agent and technique over a
date range, from the database's aggregates; a date change answered without the database; CSV export, audited;
physicians and administrators only."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections import defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot
from ui_fixtures import MakeWindow, clinic_ctx, make_window, message_boxes, ui_data_dir  # noqa: F401

from tpi_notes.domain.outcomes import response_class
from tpi_notes.domain.outcomes_report import muscle_groups
from tpi_notes.domain.permissions import PermissionDenied, Principal, permissions_for
from tpi_notes.services import outcomes_report
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo


def _by_group_from_tables(db: Path, start: str, end: str) -> dict[str, tuple[int, float, int]]:
    """Independently of the report: (responses, mean relief, good) per muscle group, from the raw rows."""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT r.muscle_id, r.relief_pct, r.duration_weeks, r.lasting FROM prior_response r"
        " JOIN procedure_session p ON p.id = r.prior_session_id JOIN procedure_session s ON s.id = r.session_id"
        " WHERE p.status = 'signed' AND s.status = 'signed' AND r.relief_pct IS NOT NULL"
        " AND date(p.performed_start) BETWEEN ? AND ?", (start, end)).fetchall()
    conn.close()
    found: dict[str, list] = defaultdict(list)
    for muscle_id, relief, weeks, lasting in rows:
        found[muscle_groups()[muscle_id].capitalize()].append((relief, response_class(relief, weeks, lasting)))
    return {g: (len(v), sum(r for r, _ in v) / len(v), sum(k == "good" for _, k in v)) for g, v in found.items()}


def test_the_report_adds_up_what_was_recorded(ctx: AppContext, db_path: Path) -> None:
    build_demo(ctx, patients=30, sessions=200, seed=6)
    cube = outcomes_report.outcome_cube(ctx, "muscle_group")
    for start, end in ((date(2023, 1, 1), date(2026, 11, 1)), (date(2025, 3, 1), date(2025, 8, 31))):
        rows = {r.label: (r.sums.n, r.mean_relief, r.sums.good) for r in cube.rows(start, end)}
        expected = _by_group_from_tables(db_path, start.isoformat(), end.isoformat())
        assert rows.keys() == expected.keys() and rows
        for group, (n, mean, good) in expected.items():
            assert rows[group][0] == n and rows[group][2] == good and rows[group][1] == pytest.approx(mean)
    techniques = {r.label for r in outcomes_report.outcome_cube(ctx, "technique").rows(date(2023, 1, 1),
                                                                                       date(2026, 11, 1))}
    assert techniques <= {"Injection", "Dry needling"} and "Injection" in techniques
    agents = outcomes_report.outcome_cube(ctx, "agent").rows(date(2023, 1, 1), date(2026, 11, 1))
    assert any(r.label.startswith("Lidocaine") for r in agents)
    assert all(r.mean_peg_change is None or -10 <= r.mean_peg_change <= 10 for r in agents)


def test_a_nurse_may_not_see_it(ctx: AppContext) -> None:
    nurse = Principal("test:nurse", "nurse", permissions_for(("nurse",)))
    with pytest.raises(PermissionDenied):
        outcomes_report.outcome_cube(replace(ctx, principal=nurse), "agent")
    assert "physician" in {role for role in ("physician", "admin", "nurse")
                           if outcomes_report.Permission.VIEW_OUTCOMES in permissions_for((role,))}


def test_the_window_from_the_clinic_menu_filters_and_exports(  # noqa: F811 - pytest fixtures by name
        make_window: MakeWindow, clinic_ctx: AppContext, qtbot: QtBot, tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    build_demo(clinic_ctx, patients=20, sessions=120, seed=8)
    window = make_window()
    action = window.outcomes_action
    assert action.isVisible() and action in window.clinic_menu.actions()
    action.trigger()
    report = window.outcomes_window
    qtbot.waitExposed(report)
    report.date_from.setDate(QDate(2023, 1, 1))  # the whole demo calendar
    groups = report.table.rowCount()
    assert groups > 0 and report.table.item(0, 0).text()
    total = sum(int(report.table.item(i, 1).text()) for i in range(groups))
    calls = []
    monkeypatch.setattr(outcomes_report, "aggregates", lambda *a: calls.append(a) or [])
    report.date_from.setFocus()
    qtbot.keyClick(report.date_from, Qt.Key.Key_Up)  # a year later: answered from the daily sums, no query
    assert calls == [] and sum(int(report.table.item(i, 1).text()) for i in range(report.table.rowCount())) < total
    monkeypatch.undo()
    report.by.setFocus()
    qtbot.keyClick(report.by, Qt.Key.Key_Down)  # by agent
    assert report.by.currentData() == "agent" and report.table.rowCount() > 0
    target = tmp_path / "outcomes.csv"
    monkeypatch.setattr("tpi_notes.ui.outcomes_report.ask_save_path", lambda *a: target)
    qtbot.mouseClick(report.export_button, Qt.MouseButton.LeftButton)
    lines = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert lines[0][:3] == ["group", "responses", "mean_relief_pct"] and len(lines) == report.table.rowCount() + 1
    conn = sqlite3.connect(Path(clinic_ctx.url.split("///", 1)[1]))
    event = conn.execute("SELECT action, entity, detail FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    assert event[:2] == ("export", "outcomes") and "by agent" in event[2]
