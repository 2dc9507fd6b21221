"""Note elements clinical-reference §1.4/§1.6 lists are asked before signing (resources/rules/sign-requirements.json).

Skin antisepsis, guidance, complications, tolerance, blood loss and disposition start filled in on a new note, but an
emptied field, a template, a copy-forward or a nurse's draft could leave one blank and the note was signed without
it. Each entry of the clinic's file now blocks signing and is listed live in the findings panel, its usual answer one
click away; a clinic that removes an entry no longer blocks on it.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json  # noqa: E402
import shutil  # noqa: E402
from dataclasses import fields, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QEvent, QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QComboBox, QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_report_support import add_patient, save_session, session_draft, setup_clinic, sign  # noqa: E402
from test_ui_editor_fixtures import Clinic  # noqa: E402

from tpi_notes.anatomy import load_atlas  # noqa: E402
from tpi_notes.domain.completeness import MissingItem, missing_for_signing  # noqa: E402
from tpi_notes.domain.draft import SessionDraft  # noqa: E402
from tpi_notes.domain.inline_answers import inline_answers  # noqa: E402
from tpi_notes.paths import resources_dir  # noqa: E402
from tpi_notes.services import drafts  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.services.signing import NotReadyToSign  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]

DATA_FILE = Path(__file__).resolve().parents[1] / "resources" / "rules" / "sign-requirements.json"
REQUIREMENTS: list[dict[str, Any]] = json.loads(DATA_FILE.read_text(encoding="utf-8"))["requirements"]
EMPTY = {f.name: f.default for f in fields(SessionDraft)}  # "" for a text, None for "Not recorded"
CHOSEN = {"guidance": "landmark"}  # what the first inline answer stores, where not its text


def _ids(entry: dict[str, Any]) -> str:
    return str(entry["field"])


def test_the_file_lists_what_clinical_reference_14_and_16_name() -> None:
    assert {e["field"] for e in REQUIREMENTS} == {
        "antisepsis", "guidance", "complications", "tolerance", "blood_loss", "disposition"}
    assert all(e["message"].endswith(".") and e["reference"].startswith("clinical-reference §1.") for e in REQUIREMENTS)


# -- signing -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", REQUIREMENTS, ids=_ids)
def test_a_note_with_a_required_element_empty_cannot_be_signed_and_names_it(ctx: AppContext,
                                                                           entry: dict[str, Any]) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    field = entry["field"]
    session_id = save_session(ctx, patient.id, doctor, 2, **{field: EMPTY[field]})
    with pytest.raises(NotReadyToSign) as refused:
        sign(ctx, session_id, doctor)
    assert refused.value.missing == [MissingItem(field, entry["message"])]  # that element, and nothing else
    assert entry["message"] in str(refused.value)
    answered = drafts.get_draft(ctx, session_id)  # answered: the same note signs
    filled = session_draft(ctx, patient.id, doctor, 2)
    drafts.save_draft(ctx, replace(answered, **{field: getattr(filled, field)}))
    sign(ctx, session_id, doctor)


def test_blank_words_are_empty(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    draft = session_draft(ctx, patient.id, doctor, 2, antisepsis="   ", disposition="\n")
    missing = [m.field for m in missing_for_signing(draft, [], load_atlas(draft.atlas_version))]
    assert missing == ["antisepsis", "disposition"]


def test_a_clinic_that_removes_an_entry_no_longer_blocks_on_it(ctx: AppContext, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "resources"
    shutil.copytree(resources_dir(), folder)
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    data["requirements"] = [e for e in data["requirements"] if e["field"] != "tolerance"]
    (folder / "rules" / "sign-requirements.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("TPI_NOTES_RESOURCES", str(folder))
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 2, tolerance="", blood_loss="")
    with pytest.raises(NotReadyToSign) as refused:
        sign(ctx, session_id, doctor)
    assert [m.field for m in refused.value.missing] == ["blood_loss"]  # the tolerance is no longer asked
    draft = drafts.get_draft(ctx, session_id)
    drafts.save_draft(ctx, replace(draft, blood_loss="Minimal"))
    sign(ctx, session_id, doctor)  # signed without a tolerance, as that clinic chose


# -- the editor's findings panel -----------------------------------------------------------------------------------
def _editor(qtbot: QtBot, make_editor, clinic: Clinic, **values: Any) -> SessionEditor:  # noqa: ANN001
    editor = make_editor(replace(drafts.new_draft(clinic.ctx, clinic.patient_id), **values))
    editor.resize(1600, 1000)
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    return editor


def _settled(qtbot: QtBot, editor: SessionEditor) -> None:
    qtbot.waitUntil(lambda: not editor.findings.timer.isActive())
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)
    QApplication.processEvents()


def _in_view(editor: SessionEditor, widget: QWidget) -> QWidget:
    editor.findings.scroll.ensureWidgetVisible(widget)  # the user scrolls the panel to it
    QApplication.processEvents()
    return widget


def _holds_focus(field: QWidget) -> bool:
    focused = QApplication.focusWidget()
    return focused is field or (focused is not None and field.isAncestorOf(focused))


@pytest.mark.parametrize("entry", REQUIREMENTS, ids=_ids)
def test_the_editor_lists_an_empty_element_live_and_its_link_and_answer_fill_it(
        qtbot: QtBot, make_editor, clinic: Clinic, entry: dict[str, Any]) -> None:  # noqa: ANN001
    field = entry["field"]
    editor = _editor(qtbot, make_editor, clinic, **{field: EMPTY[field]})
    panel = editor.findings
    qtbot.waitUntil(lambda: field in panel.blockers)
    _settled(qtbot, editor)
    link = _in_view(editor, panel.blockers[field])
    assert entry["message"] in link.accessibleName()
    # the link takes the user to the field, on its tab, with the keyboard in it
    qtbot.mouseClick(link, Qt.MouseButton.LeftButton, pos=QPoint(20, link.fontMetrics().height() // 2 + 1))
    page = "pre" if getattr(editor.pre, field, None) is not None else "post"
    widget = getattr(getattr(editor, page), field)
    assert editor.tabs.currentWidget() is editor.tab_pages[page]
    qtbot.waitUntil(lambda: _holds_focus(widget))
    # the usual answer, beside the link: one click fills the field
    answer = inline_answers().for_field(field)
    assert answer is not None and answer.kind == "choices" and answer.choices
    _settled(qtbot, editor)
    button = _in_view(editor, panel.findChild(QWidget, f"answer_{field}_0"))
    assert button is not None and button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert getattr(editor.current_draft(), field) == CHOSEN.get(field, answer.choices[0].text)
    qtbot.waitUntil(lambda: field not in panel.blockers)
    assert isinstance(widget, QComboBox) and widget.currentText() == answer.choices[0].text  # shown on its tab

