"""The preview's Save as… replaces a PDF only with a complete one: a disk that fills up half-way leaves the
earlier file as it was, with no temporary beside it, and the user is told."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import resource  # noqa: E402
import signal  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from test_report_support import add_patient, save_session, setup_clinic  # noqa: E402
from ui_fixtures import clinic_ctx, message_boxes, ui_data_dir  # noqa: E402,F401

from tpi_notes.services import documents  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui import file_dialogs  # noqa: E402
from tpi_notes.ui.pdf_preview import PdfPreview  # noqa: E402


def test_save_as_on_a_full_disk_keeps_the_earlier_pdf(qtbot: QtBot, clinic_ctx: AppContext,  # noqa: F811
                                                      message_boxes: list, tmp_path: Path,  # noqa: F811
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    physician = setup_clinic(clinic_ctx)
    session = save_session(clinic_ctx, add_patient(clinic_ctx).id, physician)
    pdf = documents.procedure_note_pdf(clinic_ctx, session)
    folder = tmp_path / "saved"
    folder.mkdir()
    target = folder / "note.pdf"
    target.write_bytes(b"%PDF- the complete note saved yesterday")
    window = PdfPreview(pdf, "Procedure note", "note.pdf")
    qtbot.addWidget(window)
    window.show()
    monkeypatch.setattr(file_dialogs, "ask_save_path", lambda *_args, **_kw: target)
    limit = len(pdf) // 3  # the disk fills up a third of the way through the new file
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, old_limit[1]))
    try:
        window.save_action.trigger()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    assert target.read_bytes() == b"%PDF- the complete note saved yesterday"
    assert sorted(p.name for p in folder.iterdir()) == ["note.pdf"]  # no half file, no .partial
    [(kind, text)] = message_boxes
    assert kind == "warning" and text.startswith(f"Cannot save {target}")
    window.save_action.trigger()  # room again: the whole new note replaces the old one
    assert target.read_bytes() == pdf
    assert sorted(p.name for p in folder.iterdir()) == ["note.pdf"]
