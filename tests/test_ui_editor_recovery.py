"""Autosave to the recovery journal, recovering after a crash, and two workstations saving one draft."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from principals import ALL_PERMISSIONS  # noqa: E402
from test_ui_editor_fixtures import (  # noqa: E402
    Clinic,
    click_region,
    region,
)

from tpi_notes.recovery import RecoveryStore  # noqa: E402
from tpi_notes.services import drafts  # noqa: E402
from tpi_notes.services.context import open_clinic  # noqa: E402
from tpi_notes.ui.app import create_main_window  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def journal(clinic: Clinic) -> RecoveryStore:
    return RecoveryStore.for_database(clinic.ctx.url)


def test_autosave_writes_after_the_pause_and_save_removes_it(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = make_editor()
    editor.autosave.timer.setInterval(30)
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "L"))
    editor.pre.location.setText("Room 3")
    assert journal(clinic).pending() == []  # not on every keystroke: after the pause
    with qtbot.waitSignal(editor.autosave.written, timeout=2000):
        pass
    [entry] = journal(clinic).pending()
    assert entry.key.startswith("new-") and entry.draft == editor.current_draft()
    assert entry.patient_label == "Okafor, Ada (MRN E-100)"
    assert editor.save()
    assert journal(clinic).pending() == []
    editor.pre.location.setText("Room 4")  # a saved draft is journalled under its session id
    qtbot.waitUntil(lambda: [e.key for e in journal(clinic).pending()] == [f"session-{editor.draft_id}"])
    editor.pre.location.setText("Room 3")  # back to what is saved: nothing left to recover
    qtbot.waitUntil(lambda: journal(clinic).pending() == [])


def test_discarding_on_close_removes_the_entry(qtbot, make_editor, clinic: Clinic, answers) -> None:  # noqa: ANN001
    editor = make_editor()
    editor.autosave.timer.setInterval(10)
    editor.pre.location.setText("Room 9")
    qtbot.waitUntil(lambda: len(journal(clinic).pending()) == 1)
    answers["question"] = QMessageBox.StandardButton.Discard
    assert editor.close()
    assert journal(clinic).pending() == []


def test_recovered_drafts_are_offered_at_start(qtbot, clinic: Clinic, answers,  # noqa: ANN001
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    draft = drafts.new_draft(clinic.ctx, clinic.patient_id)
    lost = replace(draft, location="Room 7", indication="Left in the middle of charting")
    store = journal(clinic)
    store.write("new-0123abcd", lost, "Okafor, Ada (MRN E-100)")  # what a crash leaves behind
    store.write("new-4567ef01", draft, "Someone else")
    window = create_main_window(clinic.ctx)
    qtbot.addWidget(window)
    window.show()
    replies = iter([QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No])
    asked: list[str] = []

    def question(_parent, _title, text, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        asked.append(text)
        return next(replies)

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    editors = window.offer_recovered_drafts()
    assert asked[0].startswith("Recover the unsaved session for Okafor, Ada (MRN E-100) from ")
    [editor] = editors
    qtbot.addWidget(editor)
    assert editor.current_draft() == lost and editor.isWindowModified()
    assert [e.key for e in store.pending()] == ["new-0123abcd"]  # the other one was discarded
    assert editor.save()
    assert store.pending() == []


def test_a_second_workstation_cannot_overwrite(qtbot, make_editor, clinic: Clinic, db_path: Path) -> None:  # noqa: ANN001
    first = drafts.save_draft(clinic.ctx, drafts.new_draft(clinic.ctx, clinic.patient_id))
    other_ctx = open_clinic(str(db_path), principal=ALL_PERMISSIONS)  # another workstation on the same file
    try:
        here = make_editor(drafts.get_draft(clinic.ctx, first.id))
        there = make_editor(drafts.get_draft(other_ctx, first.id), ctx=other_ctx)
        here.pre.location.setText("Room 1 (saved first)")
        there.pre.location.setText("Room 2 (saved second)")
        assert here.save()
        assert not there.save()
        assert there.banners.concurrent.isVisible()
        assert "another workstation" in there.banners.concurrent_label.text()
        assert drafts.get_draft(clinic.ctx, first.id).location == "Room 1 (saved first)"
        there.banners.keep_button.click()  # keep editing: still refused, never silently overwritten
        assert there.banners.concurrent.isHidden() and there.isWindowModified()
        assert not there.save() and there.banners.concurrent.isVisible()
        assert drafts.get_draft(clinic.ctx, first.id).location == "Room 1 (saved first)"
        there.banners.reload_button.click()
        assert there.pre.location.text() == "Room 1 (saved first)" and not there.isWindowModified()
        assert there.banners.isHidden()
        there.pre.location.setText("Room 2, after reloading")
        assert there.save()
        assert drafts.get_draft(clinic.ctx, first.id).location == "Room 2, after reloading"
    finally:
        other_ctx.close()
