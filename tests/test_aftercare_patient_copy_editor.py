"""The patient follow-up in the editor (issue 13 item 6), driven with the keyboard: a pick from the list, or
"On a date…" and a date typed into the date box; saved, read back, and printed on the Spanish sheet in Spanish
while the clinician's free-text follow-up stays on the note."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import timedelta  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QDateTimeEdit  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_report_support import flat, pdf_pages  # noqa: E402
from test_ui_editor_fixtures import Clinic, click_region, region  # noqa: E402

from tpi_notes.services import drafts  # noqa: E402
from tpi_notes.services.documents import aftercare_pdf  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def _focus(qtbot, widget) -> None:  # noqa: ANN001
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget)


def _post(qtbot, make_editor) -> SessionEditor:  # noqa: ANN001
    editor: SessionEditor = make_editor()
    editor.activateWindow()
    click_region(qtbot, editor, region("gluteus_medius", "posterior", "R"))
    editor.tabs.setCurrentWidget(editor.tab_pages["post"])
    return editor


def test_a_pick_from_the_list_is_saved_and_printed_in_spanish(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = _post(qtbot, make_editor)
    post = editor.post
    assert post.follow_up_in.currentText() == "Not set" and post.follow_up_date.isHidden()
    post.follow_up.setFocus()
    QTest.keyClicks(post.follow_up, "Reassess in 6 weeks; refer to PT if no better")
    _focus(qtbot, post.follow_up_in)
    for _ in range(3):  # Not set → In 1 week → In 2 weeks → In 4 weeks
        QTest.keyClick(post.follow_up_in, Qt.Key.Key_Down)
    assert post.follow_up_in.currentText() == "In 4 weeks"
    assert editor.isWindowModified()
    assert editor.save()
    saved = drafts.get_draft(clinic.ctx, editor.draft_id)
    assert saved.follow_up_in == "4w" and saved.follow_up == "Reassess in 6 weeks; refer to PT if no better"
    spanish = flat("\n".join(pdf_pages(aftercare_pdf(clinic.ctx, editor.draft_id, "es"))))
    assert "Vuelva a vernos en más o menos 4 semanas." in spanish
    assert "Reassess" not in spanish and "refer to PT" not in spanish


def test_on_a_date_opens_the_date_box_and_the_typed_date_is_saved(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = _post(qtbot, make_editor)
    post = editor.post
    _focus(qtbot, post.follow_up_in)
    QTest.keyClick(post.follow_up_in, Qt.Key.Key_End)  # the last entry: "On a date…"
    assert post.follow_up_in.currentText() == "On a date…"
    assert not post.follow_up_date.isHidden()
    day = editor.current_draft().performed_start.date()
    assert post.follow_up_date.date().toPython() == day + timedelta(days=14)  # two weeks on, to start from
    target = day + timedelta(days=30)
    _focus(qtbot, post.follow_up_date)
    for section, value in ((QDateTimeEdit.Section.YearSection, f"{target.year}"),
                           (QDateTimeEdit.Section.MonthSection, f"{target.month:02d}"),
                           (QDateTimeEdit.Section.DaySection, f"{target.day:02d}")):
        post.follow_up_date.setSelectedSection(section)
        QTest.keyClicks(post.follow_up_date, value)
    QTest.keyClick(post.follow_up_date, Qt.Key.Key_Tab)
    assert editor.save()
    assert drafts.get_draft(clinic.ctx, editor.draft_id).follow_up_in == target.isoformat()
    # the editor opened again on the saved draft shows the date
    again = make_editor(drafts.get_draft(clinic.ctx, editor.draft_id))
    assert again.post.follow_up_in.currentText() == "On a date…"
    assert again.post.follow_up_date.date().toPython() == target and not again.post.follow_up_date.isHidden()


def test_a_date_before_the_session_is_refused_at_the_field(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = _post(qtbot, make_editor)
    post = editor.post
    _focus(qtbot, post.follow_up_in)
    QTest.keyClick(post.follow_up_in, Qt.Key.Key_End)
    earlier = editor.current_draft().performed_start.date() - timedelta(days=3)
    _focus(qtbot, post.follow_up_date)
    post.follow_up_date.setSelectedSection(QDateTimeEdit.Section.YearSection)
    QTest.keyClicks(post.follow_up_date, f"{earlier.year}")
    post.follow_up_date.setSelectedSection(QDateTimeEdit.Section.MonthSection)
    QTest.keyClicks(post.follow_up_date, f"{earlier.month:02d}")
    post.follow_up_date.setSelectedSection(QDateTimeEdit.Section.DaySection)
    QTest.keyClicks(post.follow_up_date, f"{earlier.day:02d}")
    QTest.keyClick(post.follow_up_date, Qt.Key.Key_Tab)
    assert not editor.save()
    assert "is not after the session" in post.errors.message("follow_up_in")
