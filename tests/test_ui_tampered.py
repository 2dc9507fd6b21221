"""A tampered signed note is shown loudly: a red banner at the top of its window, and TAMPERED in the title."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo
from tpi_notes.services.sessions import get_session
from tpi_notes.ui.app import create_main_window
from tpi_notes.ui.session_window import SessionWindow


def test_banner_only_when_tampered(qtbot, ctx: AppContext) -> None:  # noqa: ANN001
    build_demo(ctx, patients=5, sessions=20, seed=3)
    record = get_session(ctx, 1)
    intact = SessionWindow(record, "Test", {})
    tampered = SessionWindow(record, "Test", {}, tampered=True)
    qtbot.addWidget(intact)
    qtbot.addWidget(tampered)
    intact.show()
    tampered.show()
    assert not intact.tampered_banner.isVisible() and "TAMPERED" not in intact.windowTitle()
    assert tampered.tampered_banner.isVisible() and tampered.windowTitle().startswith("TAMPERED")
    text = tampered.tampered_banner.text()
    assert text.startswith("TAMPERED — this signed note no longer matches its signature (hash ")
    assert record.content_sha256 and record.content_sha256 in text
    layout = tampered.layout()
    assert layout is not None and layout.itemAt(0).widget() is tampered.tampered_banner  # at the very top


def test_main_window_opens_a_tampered_session_with_the_banner(qtbot, ctx: AppContext,  # noqa: ANN001
                                                              db_path: Path) -> None:
    build_demo(ctx, patients=5, sessions=20, seed=3)
    conn = sqlite3.connect(db_path)
    sid, patient_id = conn.execute("SELECT id, patient_id FROM procedure_session WHERE status = 'signed'"
                                   " ORDER BY id LIMIT 1").fetchone()
    conn.execute("DROP TRIGGER trg_procedure_session_update_locked")
    conn.execute("UPDATE procedure_session SET pain_after = 0, pain_before = 10 WHERE id = ?", (sid,))
    conn.commit()
    conn.close()
    window = create_main_window(ctx)
    qtbot.addWidget(window)
    window.show()
    window.patient_list.select_patient(patient_id)
    qtbot.waitUntil(lambda: window.patient_view.session_model.rowCount() > 0)
    assert window.patient_view.tampered_label.isVisible()
    opened = window.open_session(sid)
    assert isinstance(opened, SessionWindow)
    qtbot.addWidget(opened)
    assert opened.tampered and opened.tampered_banner.isVisible()
    model = window.patient_view.session_model
    rows = [model.session_at(i) for i in range(model.rowCount())]
    assert [r.id for r in rows if r and r.tampered] == [sid]
    others = [r.id for r in rows if r and r.status == "signed" and r.id != sid]
    assert others, "the patient should have another signed session"
    intact = window.open_session(others[0])
    assert isinstance(intact, SessionWindow)
    qtbot.addWidget(intact)
    assert not intact.tampered and not intact.tampered_banner.isVisible()
