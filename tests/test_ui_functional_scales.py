"""The clinic may record the NDI or the ODI besides the PEG-3 (issue 17 item 1): the administrator chooses them on
the Clinic tab; the editor's Outcomes tab then shows a grid of the scale's ten sections, 0–5 in one click each,
with the score live; it is saved, signed and printed with the change since the first and the last visit."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import timedelta  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QLabel, QToolButton  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from test_report_support import START, add_patient, flat, pdf_pages, save_session, setup_clinic, sign  # noqa: E402
from test_ui_editor_fixtures import discard_and_close  # noqa: E402

from tpi_notes.domain.outcomes import ScaleScore, scale_definitions  # noqa: E402
from tpi_notes.services import clinic_settings, documents, drafts  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.services.sessions import get_session  # noqa: E402
from tpi_notes.ui.app import ensure_application  # noqa: E402
from tpi_notes.ui.editor.reference import load_reference  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

pytest_plugins = ["ui_fixtures"]

NDI_ANSWERS = (2, 1, 3, 0, 2, 1, 4, 2, 3, 2)  # 20 of 50: 40 %


@pytest.fixture
def open_draft(qtbot: QtBot) -> Iterator:
    opened: list[SessionEditor] = []

    def make(ctx: AppContext, session_id: int) -> SessionEditor:
        draft = drafts.get_draft(ctx, session_id)
        editor = SessionEditor(ctx, draft, load_reference(ctx, draft.patient_id), baseline=draft)
        opened.append(editor)
        editor.resize(1600, 1000)
        editor.show()
        qtbot.waitExposed(editor)
        bar = editor.tabs.tabBar()  # the Outcomes tab, clicked as a user would
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton,
                         pos=bar.tabRect(editor.tabs.indexOf(editor.tab_pages["outcomes"])).center())
        return editor

    yield make
    for editor in opened:
        discard_and_close(editor)


def _visit_with_an_earlier_ndi(ctx: AppContext, setting: str) -> tuple[int, int, int]:
    """A signed visit eight weeks ago with NDI 60 %, and today's draft (complete but for the outcomes)."""
    ensure_application()
    doctor = setup_clinic(ctx)
    clinic_settings.update_settings(ctx, replace(clinic_settings.get_settings(ctx), functional_scales=setting))
    patient = add_patient(ctx)
    earlier = START - timedelta(weeks=8)
    first = save_session(ctx, patient.id, doctor, 2, scales=(ScaleScore("ndi", (3,) * 10, earlier, doctor),),
                         performed_start=earlier, performed_end=earlier + timedelta(minutes=20),
                         timeout_at=earlier + timedelta(minutes=2))
    sign(ctx, first, doctor)
    return doctor, first, save_session(ctx, patient.id, doctor, 2)


def test_with_ndi_enabled_ten_clicks_record_an_ndi_that_is_saved_signed_and_printed(
        qtbot: QtBot, ctx: AppContext, open_draft) -> None:  # noqa: ANN001
    doctor, first, second = _visit_with_an_earlier_ndi(ctx, "ndi")
    editor = open_draft(ctx, second)
    panel = editor.outcomes
    assert panel.findChild(QToolButton, "odi_pain_intensity_0") is None  # only the scale the clinic chose
    sections = scale_definitions()["ndi"].item_ids
    assert len(sections) == 10
    for section, answer in zip(sections, NDI_ANSWERS, strict=True):
        button = panel.findChild(QToolButton, f"ndi_{section}_{answer}")
        assert button is not None and button.isVisible(), section
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert panel.findChild(QLabel, "ndi_score").text().endswith("score 40 %")  # live, as the JSON scores
    ndi = next(s for s in editor.current_draft().scales if s.scale == "ndi")
    assert ndi.items == NDI_ANSWERS and ndi.score == 40 and ndi.measured_at is not None
    assert editor.isWindowModified()

    assert editor.save()
    sign(ctx, second, doctor)
    record = get_session(ctx, second)
    assert record.status == "signed"
    assert [(s.scale, s.items, s.score) for s in record.scales] == [("ndi", NDI_ANSWERS, 40)]
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, second))))
    assert "Neck Disability Index (NDI" in text and "score 40 %" in text
    day = f"{get_session(ctx, first).performed_start:%Y-%m-%d}"
    assert f"-20 points since the first visit (60 % on {day})" in text  # 40 % now against 60 % eight weeks ago
    assert f"-20 points since the last visit (60 % on {day})" in text


def test_with_the_setting_off_the_outcomes_tab_has_no_ndi_or_odi_grid(
        qtbot: QtBot, ctx: AppContext, open_draft) -> None:  # noqa: ANN001
    _doctor, _first, second = _visit_with_an_earlier_ndi(ctx, "none")
    panel = open_draft(ctx, second).outcomes
    assert panel.findChild(QToolButton, "peg_pain_5") is not None
    assert not [b for b in panel.findChildren(QToolButton) if b.objectName().startswith(("ndi_", "odi_"))]


def test_both_scales_sit_side_by_side_and_an_earlier_scale_is_kept_when_the_setting_changes(
        qtbot: QtBot, ctx: AppContext, open_draft) -> None:  # noqa: ANN001
    _doctor, _first, second = _visit_with_an_earlier_ndi(ctx, "both")
    editor = open_draft(ctx, second)
    ndi = editor.outcomes.findChild(QToolButton, "ndi_sleeping_5")
    odi = editor.outcomes.findChild(QToolButton, "odi_sleeping_5")
    assert ndi is not None and odi is not None and ndi.isVisible() and odi.isVisible()
    assert ndi.mapTo(editor, ndi.rect().topLeft()).x() != odi.mapTo(editor, odi.rect().topLeft()).x()
    qtbot.mouseClick(odi, Qt.MouseButton.LeftButton)
    assert [(s.scale, s.items[6]) for s in editor.current_draft().scales] == [("odi", 5)]
    assert editor.save()
    # the clinic turns the ODI off: the draft keeps the ODI it recorded (not shown, not dropped)
    clinic_settings.update_settings(ctx, replace(clinic_settings.get_settings(ctx), functional_scales="ndi"))
    again = open_draft(ctx, second)
    assert again.outcomes.findChild(QToolButton, "odi_sleeping_5") is None
    assert [(s.scale, s.items[6]) for s in again.current_draft().scales] == [("odi", 5)]
    assert not again.isWindowModified()

def test_the_clinic_tab_enables_ndi(qtbot: QtBot, clinic_ctx: AppContext, message_boxes: list) -> None:
    from tpi_notes.ui.admin import AdminWindow

    window = AdminWindow(clinic_ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.show_tab("Clinic")
    tab = window.clinic_tab
    assert tab is not None and tab.scales.currentData() == "none"
    tab.name.clear()
    qtbot.keyClicks(tab.name, "Lakeside Pain Clinic")
    qtbot.keyClicks(tab.phone, "(555) 010-2000")
    tab.scales.setFocus()
    qtbot.keyClick(tab.scales, Qt.Key.Key_Down)  # the next entry: PEG-3 and NDI
    assert tab.scales.currentData() == "ndi"
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert tab.status.text().startswith("Saved")
    assert clinic_settings.get_settings(clinic_ctx).functional_scales == "ndi"


def test_json_lines_carry_every_scale_of_a_visit(ctx: AppContext, tmp_path) -> None:  # noqa: ANN001
    from export_fixtures import export, jsonl_sessions

    _doctor, first, _second = _visit_with_an_earlier_ndi(ctx, "ndi")
    line = next(x for x in jsonl_sessions(export(ctx, "jsonl", tmp_path)) if x["session_id"] == first)
    assert [(s["scale"], s["items"], s["score"]) for s in line["scales"]] == [("ndi", [3] * 10, 60)]
    assert line["scales"][0]["measured_at"].startswith(f"{START - timedelta(weeks=8):%Y-%m-%d}")
    assert line["peg"] is None



def test_a_complete_ndi_is_the_validated_functional_scale_the_lcd_profile_asks_for() -> None:
    """Medicare's TPI LCD asks for "a validated functional scale"; the NDI and ODI are ones, so a visit with a
    complete NDI and no PEG gets no warning, in the app and in `tpi-notes assess` (which reads `scales` back)."""
    from test_lcd_profile import codes, covered

    from tpi_notes.domain.outcomes_export import scales_from_json

    ndi = ScaleScore("ndi", NDI_ANSWERS, START)
    assert "lcd_functional_scale" in codes(covered(scales=()))
    assert "lcd_functional_scale" not in codes(covered(scales=(ndi,)))
    assert "lcd_functional_scale" in codes(covered(scales=(ScaleScore("ndi", (1,) * 5 + (None,) * 5, START),)))
    line = {"peg": None, "scales": [{"scale": "ndi", "items": list(NDI_ANSWERS), "score": 40,
                                     "measured_at": "2026-11-02T09:30:00-05:00"}]}
    assert scales_from_json(line) == (ndi,)
