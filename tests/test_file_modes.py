"""Every file tpi-notes writes with patient data is readable by its owner only (issue 14 item 7): 0600 files,
0700 folders, under the usual umask of 022 (which leaves new files readable by every local user)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_fixtures import clinic_ctx, message_boxes, ui_data_dir  # noqa: F401

from tpi_notes import cli
from tpi_notes.db.migrate import head_revision

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_owner_only(*paths: Path) -> None:
    found = {p.name: oct(mode(p)) for p in paths}
    assert found == {p.name: oct(0o600) for p in paths}, found


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    old = os.umask(0o022)
    try:
        path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
        assert cli.main(["demo", "--db", str(path), "--patients", "4", "--sessions", "8"]) == 0
    finally:
        os.umask(old)
    return path


def test_a_new_clinic_and_its_wal_and_shm_are_owner_only(tmp_path: Path) -> None:
    from principals import ALL_PERMISSIONS
    from test_report_support import add_patient

    from tpi_notes.services.context import open_clinic

    db = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(db), principal=ALL_PERMISSIONS)
    try:
        add_patient(ctx)  # a write: the -wal holds a patient's name until the checkpoint
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        assert wal.exists() and shm.exists()
        assert_owner_only(db, wal, shm)
    finally:
        ctx.close()


def test_the_default_data_folder_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tpi_notes.db.engine import resolve_database_url

    data = tmp_path / "new-user" / "tpi-notes"
    monkeypatch.setenv("TPI_NOTES_DATA_DIR", str(data))
    resolve_database_url(None)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_demo_database_is_owner_only(demo_db: Path) -> None:
    assert_owner_only(demo_db)


def test_backup_anchor_and_anchor_command(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "backup.sqlite"
    assert cli.main(["backup", "--db", str(demo_db), "-o", str(out)]) == 0
    assert cli.main(["anchor", "--db", str(demo_db), "-o", str(tmp_path / "head.json")]) == 0
    assert_owner_only(out, Path(f"{out}.anchor.json"), tmp_path / "head.json")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "fhir"])
def test_exports(fmt: str, demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / f"sessions.{fmt}"
    assert cli.main(["export", "--db", str(demo_db), "--format", fmt, "-o", str(out)]) == 0
    assert_owner_only(out)


def test_note_and_aftercare_pdfs(demo_db: Path, tmp_path: Path) -> None:
    note, sheet = tmp_path / "note.pdf", tmp_path / "aftercare.pdf"
    assert cli.main(["note", "--db", str(demo_db), "1", "-o", str(note)]) == 0
    assert cli.main(["aftercare", "--db", str(demo_db), "1", "-o", str(sheet)]) == 0
    assert_owner_only(note, sheet)


def test_a_replaced_file_becomes_owner_only(demo_db: Path, tmp_path: Path) -> None:
    """An export over last week's file (which others could read) leaves an owner-only one."""
    out = tmp_path / "sessions.csv"
    out.write_text("old")
    out.chmod(0o644)
    assert cli.main(["export", "--db", str(demo_db), "--format", "csv", "-o", str(out)]) == 0
    assert_owner_only(out)


def test_the_preview_save_as(qtbot, clinic_ctx, message_boxes, tmp_path: Path,  # noqa: ANN001,F811
                             monkeypatch: pytest.MonkeyPatch) -> None:
    from test_report_support import add_patient, save_session, setup_clinic

    from tpi_notes.services import documents
    from tpi_notes.ui import file_dialogs
    from tpi_notes.ui.pdf_preview import PdfPreview

    physician = setup_clinic(clinic_ctx)
    session = save_session(clinic_ctx, add_patient(clinic_ctx).id, physician)
    target = tmp_path / "note.pdf"
    window = PdfPreview(documents.procedure_note_pdf(clinic_ctx, session), "Procedure note", "note.pdf")
    qtbot.addWidget(window)
    monkeypatch.setattr(file_dialogs, "ask_save_path", lambda *_args, **_kw: target)
    window.save_action.trigger()
    assert message_boxes == []
    assert_owner_only(target)


def test_audit_csv_export(ctx, tmp_path: Path) -> None:  # noqa: ANN001
    from tpi_notes.domain.audit_query import AuditFilter
    from tpi_notes.services.audit_trail import export_events_csv

    out = tmp_path / "audit.csv"
    export_events_csv(ctx, AuditFilter(), out)
    assert_owner_only(out)


def test_recovery_journal_entries_and_folders(tmp_path: Path) -> None:
    from datetime import datetime

    from tpi_notes.domain.draft import SessionDraft
    from tpi_notes.recovery import RecoveryStore

    store = RecoveryStore(tmp_path / "recovery" / "abc")
    store.write("draft-1", SessionDraft(1, datetime(2026, 12, 1, 9, 30), "1"), "Doe, Jane (MRN 123)")
    (store.folder / "junk.json").write_text("{")
    scan = store.scan()
    assert len(scan.set_aside) == 1
    assert_owner_only(store.folder / "draft-1.json")
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.damaged_folder.stat().st_mode) == 0o700


def test_crash_log(monkeypatch: pytest.MonkeyPatch, _isolated_user_dirs: Path) -> None:
    def boom(_args: object) -> int:
        raise RuntimeError(" ".join(("Jane", "Doe's export failed")))  # the name is in the message, not the code

    monkeypatch.setattr(cli, "_export", boom)
    assert cli.main(["export", "--format", "csv", "-o", "x.csv"]) == 1
    (log,) = (_isolated_user_dirs / "logs").glob("crash-*.txt")  # tpi_notes/logs.py: the crash report
    assert "RuntimeError" in log.read_text() and "Jane Doe" not in log.read_text()  # the message is left out
    assert_owner_only(log)
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700


def test_pre_upgrade_copy(tmp_path: Path) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from tpi_notes.db.migrate import alembic_config

    path = tmp_path / "clinic.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    down = ScriptDirectory.from_config(cfg).get_revision(head_revision()).down_revision
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, down)
    engine.dispose()
    path.chmod(0o600)
    assert cli.main(["upgrade", "--db", str(path)]) == 0
    [copy] = tmp_path.glob("clinic.before-upgrade-*")
    assert_owner_only(copy)


def test_an_existing_world_readable_database_is_tightened_on_open(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from principals import ALL_PERMISSIONS

    from tpi_notes.services.context import open_clinic

    db = tmp_path / "clinic.sqlite"
    conn = sqlite3.connect(db)  # as an older tpi-notes left it: 0644 under this umask
    conn.close()
    assert mode(db) == 0o644
    ctx = open_clinic(str(db), principal=ALL_PERMISSIONS)
    ctx.close()
    assert_owner_only(db)
    assert "readable by its owner only" in caplog.text
