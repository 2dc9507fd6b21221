"""A real `kill -9` of the app while a session is being charted: saved data survives, and the unsaved
draft is offered at the next start, losing at most the autosave pause."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS
from PySide6.QtWidgets import QMessageBox

from tpi_notes.domain.patient import PatientInput
from tpi_notes.recovery import RecoveryStore
from tpi_notes.services import drafts, patients, staff
from tpi_notes.services.context import open_clinic
from tpi_notes.ui.app import create_main_window

CHILD = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication
    import tpi_notes.ui.editor.autosave as autosave
    autosave.DEBOUNCE_MS = 200
    from tpi_notes.domain.permissions import Permission, Principal
    from tpi_notes.services.context import open_clinic
    from tpi_notes.ui.app import create_main_window
    ALL_PERMISSIONS = Principal("test:child", "test child", frozenset(Permission))
    from tpi_notes.ui.editor.opening import new_session

    app = QApplication([])
    ctx = open_clinic(sys.argv[1], principal=ALL_PERMISSIONS)
    window = create_main_window(ctx)
    editor = new_session(ctx, int(sys.argv[2]), window)
    editor.show()
    editor.pre.indication.setPlainText("Neck pain, saved before the crash")
    assert editor.save(), "the first save failed"
    editor.pre.indication.setPlainText("Neck pain, typed after the save and never saved")
    editor.autosave.written.connect(lambda key: (print("READY", key, flush=True)))
    app.exec()
""")


@pytest.mark.slow
def test_kill_9_loses_no_saved_data_and_offers_the_draft(tmp_path: Path, qtbot, monkeypatch) -> None:  # noqa: ANN001
    db = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(db), principal=ALL_PERMISSIONS)
    staff.add_staff(ctx, "Amelia Hart", "MD", ("physician",))
    patient = patients.create_patient(ctx, PatientInput(mrn="K9", family_name="Петрова", given_name="Ирина",
                                                        birth_date=date(1980, 1, 1), weight_kg=60.0))
    ctx.close()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(patient.id)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        line = ""
        while not line.startswith("READY"):
            line = child.stdout.readline()  # blocks until the autosave has written (or the child dies)
            if not line and child.poll() is not None:
                pytest.fail(f"the app exited before autosaving: {child.stderr.read()}")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    ctx = open_clinic(str(db), principal=ALL_PERMISSIONS)
    try:
        [summary] = patients.list_patient_sessions(ctx, patient.id)
        assert drafts.get_draft(ctx, summary.id).indication == "Neck pain, saved before the crash"
        [entry] = RecoveryStore.for_database(ctx.url).pending()
        assert entry.draft.indication == "Neck pain, typed after the save and never saved"
        assert entry.draft.id == summary.id
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
        window = create_main_window(ctx)
        qtbot.addWidget(window)
        [editor] = window.offer_recovered_drafts()
        qtbot.addWidget(editor)
        assert editor.current_draft().indication == "Neck pain, typed after the save and never saved"
        assert editor.isWindowModified()
        assert editor.save()
        assert drafts.get_draft(ctx, summary.id).indication == "Neck pain, typed after the save and never saved"
        assert RecoveryStore.for_database(ctx.url).pending() == []
    finally:
        ctx.engine.dispose()
