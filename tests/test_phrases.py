"""Issue 16 item 2: phrases for the editor's free-text fields (own, clinic, library) and one-click diagnoses
(ICD-10-CM favourites and codes suggested from the muscles treated), driven as a user would."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json  # noqa: E402

import pytest  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QLineEdit, QToolButton  # noqa: E402
from sqlalchemy import select  # noqa: E402
from test_ui_editor_fixtures import Clinic, click_region, region  # noqa: E402

from tpi_notes.db.models import AuditEvent  # noqa: E402
from tpi_notes.domain import phrases as rules  # noqa: E402
from tpi_notes.domain.permissions import PermissionDenied, Principal  # noqa: E402
from tpi_notes.domain.session import Diagnosis  # noqa: E402
from tpi_notes.paths import resources_dir  # noqa: E402
from tpi_notes.services import phrases, staff  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def as_physician(clinic: Clinic, user_id: int | None = None) -> None:
    clinic.ctx.act_as(Principal.for_user(user_id or clinic.physician_id, "ahart", "Amelia Hart", ("physician",)))


def open_picker(qtbot, editor, field_widget):  # noqa: ANN001, ANN201
    """Click into the field and press F2, as a user would."""
    qtbot.mouseClick(field_widget.viewport() if hasattr(field_widget, "viewport") else field_widget,
                     Qt.MouseButton.LeftButton)
    qtbot.keyClick(field_widget, Qt.Key.Key_F2)
    picker = editor.phrases.active
    assert picker is not None and picker.isVisible()
    return picker


def test_the_library_has_sensible_phrases_for_every_field() -> None:
    raw = json.loads(resources_dir().joinpath(*rules.LIBRARY_FILE).read_text(encoding="utf-8"))
    lib = rules.parse_library(raw)
    assert lib.version and raw["source"]
    assert set(lib.phrases) == set(rules.PHRASE_FIELDS) - {"location"}  # rooms are each clinic's own
    assert all(len(texts) >= 2 for texts in lib.phrases.values())
    assert any("home exercise" in t for t in lib.phrases["conservative_care"])


def test_f2_filter_and_enter_insert_a_phrase_at_the_cursor(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    as_physician(clinic)
    editor = make_editor()
    box = editor.pre.conservative_care
    qtbot.mouseClick(box.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(box, "Tried:")
    picker = open_picker(qtbot, editor, box)
    assert picker.list.count() == len(rules.library().phrases["conservative_care"])
    qtbot.keyClicks(picker.filter, "rehabilitation twice")
    assert picker.list.count() == 1
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    assert not picker.isVisible()
    assert box.toPlainText() == ("Tried: Currently in a rehabilitation program (physical therapy twice a week) "
                                 "alongside the injections.")
    assert editor.current_draft().conservative_care == box.toPlainText()
    assert editor.isWindowModified()


def test_save_the_fields_text_as_my_phrase_another_physician_never_sees_it(qtbot, make_editor,  # noqa: ANN001
                                                                            clinic: Clinic) -> None:
    other = staff.add_staff(clinic.ctx, "Rafael Ortiz", "DO", ("physician",))
    as_physician(clinic)
    editor = make_editor()
    box = editor.pre.indication
    qtbot.mouseClick(box.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(box, "Left gluteal pain since the fall in March, limits sitting.")
    picker = open_picker(qtbot, editor, box)
    qtbot.mouseClick(picker.save_mine, Qt.MouseButton.LeftButton)
    assert picker.message.text() == "Saved as your phrase."
    assert picker.list.item(0).text() == "Left gluteal pain since the fall in March, limits sitting."
    assert picker.current().scope == rules.PERSONAL
    mine_id = picker.current().id
    picker.reject()

    as_physician(clinic, other.id)
    second = make_editor()
    picker = open_picker(qtbot, second, second.pre.indication)
    texts = [picker.list.item(i).text() for i in range(picker.list.count())]
    assert not any("gluteal pain since the fall" in t for t in texts)
    assert len(texts) == len(rules.library().phrases["indication"])
    with pytest.raises(PermissionDenied):  # nor may they change or delete it
        phrases.delete_phrase(clinic.ctx, mine_id)


def test_clinic_phrases_are_kept_by_administrators_and_audited(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    admin = staff.add_staff(clinic.ctx, "Lee Grant", "", ("admin",))
    as_physician(clinic)
    with pytest.raises(PermissionDenied):
        phrases.save_phrase(clinic.ctx, "disposition", "Home, ambulatory, stable", clinic=True)
    clinic.ctx.act_as(Principal.for_user(admin.id, "lgrant", "Lee Grant", ("admin",)))
    saved = phrases.save_phrase(clinic.ctx, "disposition", "Home by taxi, stable, aftercare explained", clinic=True)
    as_physician(clinic)
    editor = make_editor()
    editor.tabs.setCurrentWidget(editor.tab_pages["post"])
    combo = editor.post.disposition
    qtbot.mouseClick(combo.lineEdit(), Qt.MouseButton.LeftButton)
    combo.lineEdit().selectAll()
    qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Delete)
    picker = open_picker(qtbot, editor, combo.lineEdit())
    assert picker.current().text == saved.text and picker.current().scope == rules.CLINIC
    assert not picker.delete_button.isEnabled()  # a physician cannot delete the clinic's phrase
    qtbot.mouseClick(picker.insert_button, Qt.MouseButton.LeftButton)
    assert editor.current_draft().disposition == "Home by taxi, stable, aftercare explained"
    with clinic.ctx.read() as db:
        events = db.execute(select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.entity == "phrase")).all()
    assert [tuple(e) for e in events] == [("create", "clinic phrase for disposition")]


def test_codes_for_the_treated_muscle_are_one_click_away(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    as_physician(clinic)
    editor = make_editor()
    help_ = editor.diagnosis_help
    assert not help_.box.isVisible()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    button = editor.findChild(QToolButton, "suggest_M79.12")
    assert button is not None and button.isVisible()
    assert [b.objectName() for b in help_.buttons] == ["suggest_M79.12", "suggest_G44.209", "suggest_M54.2"]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert editor.current_draft().diagnoses == (Diagnosis("M79.12", "Myalgia of auxiliary muscles, head and neck"),)
    assert [b.objectName() for b in help_.buttons] == ["suggest_G44.209", "suggest_M54.2"]  # chosen: not offered


def test_a_favourite_is_offered_in_the_next_session(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    as_physician(clinic)
    editor = make_editor()
    picker = editor.pre.diagnoses
    qtbot.mouseClick(picker.search_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(picker.search_edit, "M79.7")
    qtbot.keyClick(picker.search_edit, Qt.Key.Key_Return)
    [row] = picker.rows()
    qtbot.mouseClick(row.favourite_button, Qt.MouseButton.LeftButton)
    assert [d.code for d in phrases.favourites(clinic.ctx)] == ["M79.7"]
    second = make_editor()
    button = second.findChild(QToolButton, "suggest_M79.7")
    assert button is not None and button.isVisible() and "favourite" in button.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert [d.code for d in second.current_draft().diagnoses] == ["M79.7"]


def test_the_administrators_phrases_tab_adds_edits_and_deletes_clinic_phrases(qtbot, clinic: Clinic) -> None:  # noqa: ANN001
    from tpi_notes.ui.admin.window import AdminWindow

    admin = staff.add_staff(clinic.ctx, "Lee Grant", "", ("admin",))
    clinic.ctx.act_as(Principal.for_user(admin.id, "lgrant", "Lee Grant", ("admin",)))
    window = AdminWindow(clinic.ctx)
    qtbot.addWidget(window)
    window.show()
    assert window.show_tab("Phrases")
    tab = window.phrases_tab
    tab.field.setFocus()
    while tab.current_field() != "follow_up":
        qtbot.keyClick(tab.field, Qt.Key.Key_Down)
    qtbot.mouseClick(tab.new_text.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(tab.new_text, "Reassess in 3 weeks with the PEG score")
    qtbot.mouseClick(tab.add_button, Qt.MouseButton.LeftButton)
    assert [tab.list.item(i).text() for i in range(tab.list.count())] == ["Reassess in 3 weeks with the PEG score"]
    tab.list.setCurrentRow(0)
    tab.list.setFocus()
    qtbot.keyClick(tab.list, Qt.Key.Key_F2)  # edit in place
    editor = tab.list.findChild(QLineEdit) or tab.list.viewport().findChild(QLineEdit)
    assert editor is not None
    editor.selectAll()
    qtbot.keyClicks(editor, "Reassess in 3 weeks")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on its next turn of the event loop
    qtbot.waitUntil(lambda: [p.text for p in phrases.clinic_phrases(clinic.ctx, "follow_up")] == [
        "Reassess in 3 weeks"])
    as_physician(clinic)
    assert phrases.offered(clinic.ctx, "follow_up")[0].text == "Reassess in 3 weeks"
    clinic.ctx.act_as(Principal.for_user(admin.id, "lgrant", "Lee Grant", ("admin",)))
    tab.list.setCurrentRow(0)
    qtbot.mouseClick(tab.delete_button, Qt.MouseButton.LeftButton)
    assert phrases.clinic_phrases(clinic.ctx, "follow_up") == []
    with clinic.ctx.read() as db:
        actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity == "phrase")).all()
    assert actions == ["create", "change", "delete"]


def test_a_nurse_preparing_the_draft_is_offered_the_physicians_favourites(qtbot, make_editor,  # noqa: ANN001
                                                                            clinic: Clinic) -> None:
    as_physician(clinic)
    phrases.add_favourite(clinic.ctx, Diagnosis("G44.229", "Chronic tension-type headache, not intractable"))
    clinic.ctx.act_as(Principal.for_user(clinic.nurse_id, "bruiz", "Ben Ruiz", ("nurse",)))
    editor = make_editor()
    assert editor.pre.physician.member_id() == clinic.physician_id
    assert editor.findChild(QToolButton, "suggest_G44.229") is not None
    box = editor.site_details.note  # and the site's note takes phrases too
    click_region(qtbot, editor, region("masseter", "anterior", "R"))
    # the physician's favourites first, then the muscle's codes (issue 16 audit)
    assert [b.objectName() for b in editor.diagnosis_help.buttons] == ["suggest_G44.229", "suggest_M79.11"]
    editor.tabs.setCurrentWidget(editor.tab_pages["site"])
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    qtbot.keyClick(box, Qt.Key.Key_F2)
    picker = editor.phrases.active
    qtbot.keyClicks(picker.filter, "twitch")
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    assert editor.current_draft().sites[0].note == "Local twitch response on the second pass"


def test_ones_own_phrase_is_edited_in_place_and_deleted_from_the_picker(qtbot, make_editor,  # noqa: ANN001
                                                                         clinic: Clinic) -> None:
    as_physician(clinic)
    phrases.save_phrase(clinic.ctx, "comments", "Prefers the left side lying.")
    editor = make_editor()
    editor.tabs.setCurrentWidget(editor.tab_pages["post"])
    picker = open_picker(qtbot, editor, editor.post.comments)
    assert picker.current().scope == rules.PERSONAL and picker.delete_button.isEnabled()
    picker.list.setFocus()
    qtbot.keyClick(picker.list, Qt.Key.Key_F2)
    line = picker.list.findChild(QLineEdit)
    assert line is not None
    line.selectAll()
    qtbot.keyClicks(line, "Prefers lying on the left side.")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: phrases.offered(clinic.ctx, "comments")[0].text == "Prefers lying on the left side.")
    qtbot.waitUntil(lambda: picker.list.item(0).text() == "Prefers lying on the left side.")
    picker.list.setCurrentRow(0)
    picker.list.setFocus()
    qtbot.keyClick(picker.list, Qt.Key.Key_Delete)
    assert all(p.scope == rules.LIBRARY for p in phrases.offered(clinic.ctx, "comments"))
    picker.list.setCurrentRow(0)
    assert not picker.delete_button.isEnabled()  # the library's phrases stay
