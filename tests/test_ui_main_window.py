"""The main window: first run, the patient list and its search, the patient header, sessions, pain chart,
menus and remembered layout."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sys  # noqa: E402
import types  # noqa: E402
from datetime import date, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSize, Qt  # noqa: E402
from PySide6.QtGui import QColor, QIcon, QKeySequence  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

pytest.register_assert_rewrite("ui_fixtures")
from ui_fixtures import (  # noqa: E402
    BASE,
    MakeWindow,
    add_patient,
    click_save,
    listed_names,
    search,
    type_into,
)

import tpi_notes  # noqa: E402
from tpi_notes.domain.patient import PatientRecord  # noqa: E402
from tpi_notes.domain.session import SessionSummary  # noqa: E402
from tpi_notes.services import patients as patient_service  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui.pain_chart import PainChart  # noqa: E402
from tpi_notes.ui.patient_view import PatientView  # noqa: E402
from tpi_notes.ui.session_list import AGENTS, MUSCLES, STATUS, SessionTableModel  # noqa: E402
from tpi_notes.ui.style import DANGER  # noqa: E402

pytest_plugins = ["ui_fixtures"]


def summary(day: int, status: str = "signed", before: int | None = 7, after: int | None = 3,
            tampered: bool = False) -> SessionSummary:
    return SessionSummary(
        id=day, performed_start=datetime(2025, 1, day, 9, 30), status=status, physician="Mei Chen, MD",
        muscles=("R upper trapezius", "L upper trapezius", "R levator scapulae"), agents=("Lidocaine 1 %",),
        techniques=("dry_needling", "injection"), pain_before=before, pain_after=after, site_count=3,
        tampered=tampered,
    )


def test_first_run_shows_the_empty_state_then_the_patient(make_window: MakeWindow, qtbot: QtBot,
                                                          clinic_ctx: AppContext) -> None:
    window = make_window()
    assert window.right_stack.currentWidget() is window.empty_state
    assert window.empty_state.isVisible()
    assert window.patient_list.count_label.text() == "No patients yet"
    assert window.patient_list.hint_label.isVisible()
    assert not window.edit_patient_action.isEnabled()
    assert window.load_demo_action.isEnabled()

    qtbot.mouseClick(window.empty_state.register_button, Qt.MouseButton.LeftButton)
    dialog = window.active_dialog
    assert dialog is not None
    type_into(qtbot, dialog, mrn="A-1", family_name="Ødegård", given_name="Øyvind", birth_date="1975-07-01",
              weight_kg="81,5", allergies="latex")
    click_save(qtbot, dialog)
    qtbot.waitUntil(lambda: window.active_dialog is None)

    assert window.right_stack.currentWidget() is window.patient_view
    assert listed_names(window) == ["Ødegård, Øyvind"]
    assert window.patient_list.count_label.text() == "1 patient"
    assert window.current_patient is not None and window.current_patient.weight_kg == 81.5
    assert window.edit_patient_action.isEnabled()
    assert not window.load_demo_action.isEnabled()
    assert patient_service.count_patients(clinic_ctx) == 1


def test_loading_the_demo_calls_build_demo_and_shows_the_clinic(make_window: MakeWindow, qtbot: QtBot,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                message_boxes: list) -> None:
    calls: list[dict] = []

    def fake_build_demo(ctx: AppContext, *, patients: int, sessions: int, seed: int) -> None:
        calls.append({"patients": patients, "sessions": sessions, "seed": seed})
        add_patient(ctx, mrn="D-1", family_name="Demo", given_name="One")
        add_patient(ctx, mrn="D-2", family_name="Demo", given_name="Two")

    fake = types.ModuleType("tpi_notes.services.demo")
    fake.build_demo = fake_build_demo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tpi_notes.services.demo", fake)
    window = make_window()
    qtbot.mouseClick(window.empty_state.demo_button, Qt.MouseButton.LeftButton)
    assert [kind for kind, _ in message_boxes] == ["question"]  # asked first
    assert calls == [{"patients": 60, "sessions": 240, "seed": 1}]
    assert listed_names(window) == ["Demo, One", "Demo, Two"]
    assert window.right_stack.currentWidget() is not window.empty_state
    assert not window.load_demo_action.isEnabled()


def test_declining_the_demo_changes_nothing(make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Cancel))
    window = make_window()
    qtbot.mouseClick(window.empty_state.demo_button, Qt.MouseButton.LeftButton)
    assert patient_service.count_patients(clinic_ctx) == 0
    assert window.right_stack.currentWidget() is window.empty_state


def test_search_by_name_mrn_prefix_and_date_of_birth(make_window: MakeWindow, qtbot: QtBot,
                                                     clinic_ctx: AppContext) -> None:
    add_patient(clinic_ctx, mrn="A-1001", family_name="Brønner", given_name="Zoë", birth_date=date(1980, 3, 14))
    add_patient(clinic_ctx, mrn="A-2002", family_name="García", given_name="Íñigo", birth_date=date(1975, 7, 1))
    add_patient(clinic_ctx, mrn="B-3003", family_name="Huỳnh", given_name="Thị Hương", birth_date=date(1990, 1, 2))
    window = make_window()
    assert window.patient_list.count_label.text() == "3 patients"
    search(qtbot, window, "1980-03-14", ["Brønner, Zoë"])
    search(qtbot, window, "03/14/1980", ["Brønner, Zoë"])
    search(qtbot, window, "14.03.1980", ["Brønner, Zoë"])
    search(qtbot, window, "A-", ["Brønner, Zoë", "García, Íñigo"])
    search(qtbot, window, "a-2", ["García, Íñigo"])
    search(qtbot, window, "huynh", ["Huỳnh, Thị Hương"])
    assert window.patient_list.count_label.text() == "1 match"
    search(qtbot, window, "nobody", [])
    assert window.patient_list.count_label.text() == "No matches"
    assert "nobody" in window.patient_list.hint_label.text()


def test_enter_searches_at_once_and_selects_the_first_match(make_window: MakeWindow, qtbot: QtBot,
                                                           clinic_ctx: AppContext) -> None:
    add_patient(clinic_ctx, mrn="A-1", family_name="Adams")
    target = add_patient(clinic_ctx, mrn="B-2", family_name="Baker")
    window = make_window()
    box = window.patient_list.search_edit
    qtbot.keyClicks(box, "bak")
    assert window.patient_list.search_pending
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert not window.patient_list.search_pending
    assert listed_names(window) == ["Baker, Jane"]
    assert window.current_patient is not None and window.current_patient.id == target.id


def test_count_says_when_the_list_is_cut(make_window: MakeWindow, clinic_ctx: AppContext,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(3):
        add_patient(clinic_ctx, mrn=f"M-{i}", given_name=f"N{i}")
    monkeypatch.setattr(patient_service, "SEARCH_LIMIT", 2)
    window = make_window()
    assert len(listed_names(window)) == 2
    assert window.patient_list.count_label.text() == "Showing first 2 of 3 — refine the search"


def test_header_shows_allergy_and_risk_badges(make_window: MakeWindow, clinic_ctx: AppContext) -> None:
    record = add_patient(clinic_ctx, anticoagulant="apixaban", diabetes=True, insulin=True,
                         allergies=("lidocaine",), weight_kg=72.5, implanted_device=True)
    plain = add_patient(clinic_ctx, mrn="P-2", family_name="Plain")
    window = make_window()
    window.patient_list.select_patient(record.id)
    header = window.patient_view.header
    assert header.name_label.text() == "Doe, Jane"
    details = header.details_label.text().replace("\xa0", " ")  # no-break spaces keep each part whole
    assert "MRN MRN-1" in details and "72.5 kg" in details and "DOB 14 Mar 1980" in details
    assert header.badge_texts() == ["Allergies: lidocaine (allergy)", "Anticoagulant: apixaban", "Diabetes (insulin)",
                                    "Implanted electronic device"]
    assert [b.kind for b in header.badges] == ["allergy", "bleeding", "diabetes", "device"]
    assert all(b.isVisible() for b in header.badges)
    window.patient_list.select_patient(plain.id)
    assert header.badge_texts() == ["No known allergies"]


def test_session_model_shows_status_lock_and_tampering(qtmodeltester: object) -> None:
    model = SessionTableModel()
    model.set_sessions([summary(3), summary(2, status="draft", before=None), summary(1, tampered=True)])
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert model.rowCount() == 3
    assert model.index(0, 0).data() == "2025-01-03 09:30"
    assert model.index(0, STATUS).data() == "Signed"
    assert isinstance(model.index(0, STATUS).data(Qt.ItemDataRole.DecorationRole), QIcon)
    assert model.index(1, STATUS).data() == "Draft"
    assert model.index(1, STATUS).data(Qt.ItemDataRole.DecorationRole) is None
    assert "TAMPERED" in model.index(2, STATUS).data()
    assert model.index(2, MUSCLES).data(Qt.ItemDataRole.ForegroundRole).color() == QColor(DANGER)
    assert model.index(0, MUSCLES).data() == "L/R upper trapezius, R levator scapulae"
    assert model.index(0, AGENTS).data() == "Lidocaine 1 %, Dry needling"
    assert model.index(1, model.columnCount() - 2).data() == "– → 3"


def test_a_tampered_session_is_flagged_above_the_table(qtbot: QtBot) -> None:
    view = PatientView()
    qtbot.addWidget(view)
    view.show()
    record = PatientRecord(**{**BASE.__dict__, "id": 1})
    view.show_patient(record, [summary(2), summary(1)], date(2025, 6, 1))
    assert not view.tampered_label.isVisible()
    view.show_patient(record, [summary(2), summary(1, tampered=True)], date(2025, 6, 1))
    assert view.tampered_label.isVisible() and "TAMPERED" in view.tampered_label.text()
    view.show_patient(record, [], date(2025, 6, 1))
    assert view.no_sessions.isVisible() and view.pain_chart.is_empty


def test_pain_chart_needs_two_sessions(qtbot: QtBot) -> None:
    chart = PainChart()
    qtbot.addWidget(chart)
    chart.set_sessions([summary(1)])
    assert chart.is_empty
    chart.set_sessions([summary(1), summary(2, before=5, after=None)])
    assert not chart.is_empty
    assert [score for _, score in chart.before] == [7, 5] and [score for _, score in chart.after] == [3]
    chart.resize(500, 200)
    assert not chart.grab().isNull()


def test_sessions_table_lists_a_demo_patients_sessions(make_window: MakeWindow, clinic_ctx: AppContext) -> None:
    demo = pytest.importorskip("tpi_notes.services.demo", reason="build_demo not available yet")
    demo.build_demo(clinic_ctx, patients=10, sessions=40, seed=3)
    patient = next(p for p in patient_service.search_patients(clinic_ctx, "")
                   if len(patient_service.list_patient_sessions(clinic_ctx, p.id)) >= 2)
    sessions = patient_service.list_patient_sessions(clinic_ctx, patient.id)
    window = make_window()
    assert window.patient_list.select_patient(patient.id)
    model = window.patient_view.session_model
    assert model.rowCount() == len(sessions)
    assert model.index(0, 0).data() == sessions[0].performed_start.strftime("%Y-%m-%d %H:%M")
    assert window.patient_view.session_view.isVisible()
    assert not window.patient_view.pain_chart.is_empty


def test_enter_on_a_patient_opens_the_edit_dialog(make_window: MakeWindow, qtbot: QtBot,
                                                  clinic_ctx: AppContext) -> None:
    record = add_patient(clinic_ctx)
    window = make_window()
    window.patient_list.select_patient(record.id)
    qtbot.keyClick(window.patient_list.view, Qt.Key.Key_Return)
    assert window.active_dialog is not None and window.active_dialog.record is not None
    assert window.active_dialog.record.id == record.id
    window.active_dialog.reject()
    qtbot.waitUntil(lambda: window.active_dialog is None)
    index = window.patient_list.model.index(0, 0)
    where = window.patient_list.view.visualRect(index).center()
    qtbot.mouseClick(window.patient_list.view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(window.patient_list.view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert window.active_dialog is not None


def test_menus_shortcuts_title_and_about(make_window: MakeWindow, message_boxes: list) -> None:
    window = make_window()
    shortcuts = {
        window.new_patient_action: "Ctrl+N", window.edit_patient_action: "Ctrl+E",
        window.quit_action: "Ctrl+Q", window.find_action: "Ctrl+F", window.refresh_action: "F5",
    }
    for action, keys in shortcuts.items():
        assert action.shortcut() == QKeySequence(keys), action.text()
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Session", "&Clinic", "&View", "&Help"]
    assert window.windowTitle() == "t.db"  # Qt adds " — tpi-notes" in the title bar
    window.find_action.trigger()
    assert window.focusWidget() is window.patient_list.search_edit
    window.about_action.trigger()
    kind, text = message_boxes[-1]
    assert kind == "about" and tpi_notes.__version__ in text and "t.db" in text


def test_window_layout_is_remembered(make_window: MakeWindow, qtbot: QtBot, ui_data_dir: Path) -> None:
    first = make_window()
    wanted = QSize(760, 560)  # within the offscreen screen (800 x 800): restoreGeometry keeps windows on screen
    assert first.size() != wanted
    first.resize(wanted)
    first.splitter.setSizes([300, 460])
    qtbot.waitUntil(lambda: first.size() == wanted)
    left_width = first.splitter.sizes()[0]
    first.close()
    assert (ui_data_dir / "ui.ini").is_file()
    second = make_window()
    assert second.size() == wanted
    assert second.splitter.sizes()[0] == left_width
