"""Start-up loads only what the first window needs (issue 19): Alembic only when the database is behind, ReportLab
only when a document is made, the session editor and the PDF preview only when opened. Timings live in
`make bench`; this checks the loading itself, which a stray import at the top of a module would undo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

OPEN_WINDOW = textwrap.dedent("""
    import json, sys
    from tpi_notes.domain.permissions import Permission, Principal
    from tpi_notes.services.context import open_clinic
    from tpi_notes.ui.app import create_main_window

    ctx = open_clinic(sys.argv[1], principal=Principal("test:startup", "test", frozenset(Permission)))
    window = create_main_window(ctx)
    window.show()
    window.grab()
    heavy = ("alembic", "reportlab", "tpi_notes.reports", "tpi_notes.ui.editor.window", "tpi_notes.ui.pdf_preview")
    print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
    if len(sys.argv) > 2:  # then make a document: ReportLab comes when it is needed
        from tpi_notes.services import documents  # noqa: F401
        print(json.dumps("reportlab" in sys.modules))
""")


def _run(*args: str) -> list[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", OPEN_WINDOW, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith(("[", "t", "f"))]


def test_a_database_at_head_opens_to_a_painted_window_without_alembic_reportlab_or_the_editor(tmp_path: Path) -> None:
    db = tmp_path / "clinic.sqlite"
    _run(str(db))  # the first start creates the file at head (Alembic runs then)
    loaded, made_document = _run(str(db), "and a document")
    assert loaded == []
    assert made_document is True
