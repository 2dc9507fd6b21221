"""The editor's Save when another workstation's save lands between this save's version check and its UPDATE (on
PostgreSQL both run side by side): the user gets the same "another workstation — Reload" offer as for any stale
save, never a raw SQLAlchemy error with the draft silently left unsaved."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import update  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import Clinic  # noqa: E402

from tpi_notes.db.models import ProcedureSession  # noqa: E402
from tpi_notes.db.repositories import session_writer  # noqa: E402
from tpi_notes.services import drafts  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def test_a_save_overtaken_after_its_check_offers_reload(qtbot, make_editor, clinic: Clinic,  # noqa: ANN001
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    first = drafts.save_draft(clinic.ctx, drafts.new_draft(clinic.ctx, clinic.patient_id))
    editor = make_editor(drafts.get_draft(clinic.ctx, first.id))
    real_write = session_writer.write
    calls: list[int] = []

    def overtaken(s, row, draft, findings, **kw):  # noqa: ANN001, ANN003, ANN202
        calls.append(1)
        # the other workstation's save commits just now: after the version check, before this UPDATE
        s.execute(update(ProcedureSession).where(ProcedureSession.id == first.id)
                  .values(row_version=ProcedureSession.row_version + 1, location="Room 2 (theirs)")
                  .execution_options(synchronize_session=False))
        return real_write(s, row, draft, findings, **kw)

    monkeypatch.setattr(session_writer, "write", overtaken)
    editor.pre.location.clear()
    qtbot.keyClicks(editor.pre.location, "Room 1 (mine)")
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    qtbot.keyClick(editor.pre.location, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Save
    assert calls == [1]
    assert editor.banners.concurrent.isVisible()
    assert "another workstation" in editor.banners.concurrent_label.text().lower()
    assert editor.isWindowModified()  # still unsaved, and the user knows why
    monkeypatch.undo()
    assert drafts.get_draft(clinic.ctx, first.id).row_version == first.row_version  # nothing of either was kept
    qtbot.mouseClick(editor.banners.reload_button, Qt.MouseButton.LeftButton)
    assert editor.banners.isHidden() and not editor.isWindowModified()
