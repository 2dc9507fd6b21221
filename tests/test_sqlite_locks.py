"""The app keeps its SQLite locks whatever it does (issue 12, part 1).

POSIX locks belong to the process: closing ANY descriptor of the database file (or of its -shm) drops every lock
SQLite holds on it. Qt's file dialogs used to sniff the files they list (open, read, close) to pick icons, so
browsing the database's folder left the app holding no lock; a `tpi-notes verify` run from a terminal then took
the file as unused, checkpointed and deleted the -wal and -shm the app was still writing to, and the next saves
were lost. These tests look at /proc/locks, the kernel's own list, so they run on Linux only.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import subprocess  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtPrintSupport import QPrintDialog  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFileSystemModel,
    QLineEdit,
    QMessageBox,
    QToolButton,
)
from pytestqt.qtbot import QtBot  # noqa: E402
from test_report_support import add_patient, save_session, setup_clinic  # noqa: E402
from ui_fixtures import MakeWindow  # noqa: E402

from tpi_notes.db.engine import check_sqlite_file, make_engine  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui.pdf_preview import preview_note  # noqa: E402

pytest_plugins = ["ui_fixtures"]  # clinic_ctx, make_window, message_boxes
pytestmark = pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")

ROOT = Path(__file__).resolve().parents[1]


def held_locks(db: Path) -> set[str]:
    """The names, among the database file and its -shm, on which this process holds a POSIX lock.

    A process with an open connection to a WAL database holds a read lock on a byte range of the file
    (``POSIX ADVISORY READ <pid> <major>:<minor>:<inode> 1073741826 1073742335``) and one on the -shm
    (``... 128 128``); another process may checkpoint and delete the -wal only when neither is held."""
    wanted: dict[tuple[int, int, int], str] = {}
    for path in (db, Path(f"{db}-shm")):
        st = os.stat(path)
        wanted[(os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)] = path.name
    held: set[str] = set()
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[1] != "POSIX" or int(fields[4]) != os.getpid():
            continue  # another kind of lock, a waiter ("->"), or another process's
        major, minor, inode = fields[5].split(":")
        name = wanted.get((int(major, 16), int(minor, 16), int(inode)))
        if name:
            held.add(name)
    return held


def when_modal(kind: type, act: Callable[[object], None], tries: int = 300) -> None:
    """Once a modal ``kind`` is up (a dialog's own event loop is running), ``act`` on it; give up after
    ``tries`` looks 10 ms apart (a box that never comes must not haunt later tests)."""
    widget = QApplication.activeModalWidget()
    if isinstance(widget, kind):
        act(widget)
    elif tries > 0:
        QTimer.singleShot(10, lambda: when_modal(kind, act, tries - 1))


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder with a Documents folder (Qt's DocumentsLocation), away from the database's folder;
    Qt's own settings (the dialogs' "last visited" folder) go there too, never to the real home."""
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return home / "Documents"


@pytest.fixture
def clinic(clinic_ctx: AppContext) -> tuple[AppContext, int]:
    """The test clinic with a physician, a patient and a saved session (so every export has something)."""
    doctor = setup_clinic(clinic_ctx)
    patient = add_patient(clinic_ctx)
    return clinic_ctx, save_session(clinic_ctx, patient.id, doctor, 3)


def browse_database_folder(qtbot: QtBot, open_dialog: Callable[[], object], folder: Path) -> dict[str, object]:
    """Open a file dialog as a user does (``open_dialog`` clicks), type the database's folder into its file-name
    box and go there, wait until the dialog has listed that folder, show it in the detail view (names, sizes,
    types), then cancel. Returns where the dialog started and what it listed."""
    seen: dict[str, object] = {}
    tries = [0]

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):  # not open yet: the click is still on its way
            tries[0] += 1
            if tries[0] < 200:
                QTimer.singleShot(10, drive)
            return
        try:
            seen["start"] = Path(dialog.directory().absolutePath())
            seen["native"] = not (dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
                                  or QApplication.testAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs))
            model = dialog.findChild(QFileSystemModel)
            name_box = dialog.findChild(QLineEdit, "fileNameEdit")
            with qtbot.waitSignal(model.directoryLoaded, timeout=5000,
                                  check_params_cb=lambda loaded: Path(loaded) == folder):
                name_box.selectAll()
                qtbot.keyClicks(name_box, f"{folder}/")  # the completer lists the folder as it is typed
                dialog.setDirectory(str(folder))  # (Enter on a typed absolute path selects "/" in Qt 6.11)
            qtbot.waitUntil(lambda: Path(dialog.directory().absolutePath()) == folder)
            qtbot.mouseClick(dialog.findChild(QToolButton, "detailModeButton"), Qt.MouseButton.LeftButton)
            dialog.grab()  # paint it: every row's icon and type is asked for
            root = model.index(str(folder))
            rows = [model.index(row, 0, root) for row in range(model.rowCount(root))]  # all, shown or filtered out
            seen["known"] = {index.data() for index in rows}
            for index in rows:
                index.data(Qt.ItemDataRole.DecorationRole), index.siblingAtColumn(2).data()  # icon, type
        finally:
            dialog.reject()

    QTimer.singleShot(0, drive)
    open_dialog()
    return seen


def _preview_save_as(qtbot: QtBot, window: object, ctx: AppContext, session_id: int) -> Callable[[], object]:
    preview = preview_note(ctx, session_id)
    assert preview is not None
    qtbot.addWidget(preview)
    return preview.save_action.trigger


def _preview_print_to_file(qtbot: QtBot, window: object, ctx: AppContext, session_id: int) -> Callable[[], object]:
    """The preview's Print…, then the print dialog's "Print to file" browse button (Qt's own file dialog)."""
    preview = preview_note(ctx, session_id)
    assert preview is not None
    qtbot.addWidget(preview)

    def in_print_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QPrintDialog):
            QTimer.singleShot(10, in_print_dialog)
            return
        try:
            printers = dialog.findChild(QComboBox, "printers")
            printers.setCurrentIndex(max(0, printers.findText("PDF", Qt.MatchFlag.MatchContains)))
            qtbot.mouseClick(dialog.findChild(QAbstractButton, "fileBrowser"), Qt.MouseButton.LeftButton)
        finally:
            dialog.reject()

    def open_dialog() -> None:
        QTimer.singleShot(0, in_print_dialog)
        preview.print_action.trigger()

    return open_dialog


def _backup(qtbot: QtBot, window: object, ctx: AppContext, session_id: int) -> Callable[[], object]:
    return window.backup_action.trigger  # type: ignore[attr-defined]


def _logo(qtbot: QtBot, window: object, ctx: AppContext, session_id: int) -> Callable[[], object]:
    admin = window.clinic_windows.open_admin()  # type: ignore[attr-defined]
    button = admin.clinic_tab.choose_logo_button
    return lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _history_export(qtbot: QtBot, window: object, ctx: AppContext, session_id: int) -> Callable[[], object]:
    history = window.clinic_windows.open_history()  # type: ignore[attr-defined]
    qtbot.waitUntil(history.export_button.isEnabled)
    return history.findChild(type(window.backup_action), "history_export_csv").trigger  # type: ignore[attr-defined]


def _audit_export(qtbot: QtBot, window: object, ctx: AppContext, session_id: int) -> Callable[[], object]:
    admin = window.clinic_windows.open_audit()  # type: ignore[attr-defined]
    button = admin.findChild(type(admin.clinic_tab.choose_logo_button), "audit_export")
    qtbot.waitUntil(button.isEnabled)
    return lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


DIALOGS = {
    "preview Save as…": _preview_save_as,
    "preview Print… to file": _preview_print_to_file,
    "Back up database…": _backup,
    "clinic logo Choose PNG…": _logo,
    "history Export CSV…": _history_export,
    "audit Export CSV…": _audit_export,
}


@pytest.mark.parametrize("dialog", list(DIALOGS))
def test_every_file_dialog_browsing_the_database_folder_leaves_the_locks_held(
        qtbot: QtBot, make_window: MakeWindow, clinic: tuple[AppContext, int], documents: Path, dialog: str) -> None:
    ctx, session_id = clinic
    db = ctx.database_path
    assert db is not None
    window = make_window()
    assert held_locks(db) == {db.name, f"{db.name}-shm"}  # what an open WAL database holds
    seen = browse_database_folder(qtbot, DIALOGS[dialog](qtbot, window, ctx, session_id), db.parent)
    assert held_locks(db) == {db.name, f"{db.name}-shm"}
    if dialog != "preview Print… to file":  # Qt's print dialog starts its own where its output file would go
        assert seen["start"] == documents  # never the database's folder, nor the working directory
    assert seen["native"] is False  # a platform dialog would sniff the files in our process too


def test_save_as_then_verify_from_a_terminal_loses_nothing(
        qtbot: QtBot, make_window: MakeWindow, clinic: tuple[AppContext, int], documents: Path) -> None:
    """The tester's sequence: saved work, the preview's Save as… on the database's folder, `tpi-notes verify`
    in a terminal, then the next save must land in the database other processes read."""
    ctx, session_id = clinic
    db = ctx.database_path
    assert db is not None
    make_window()
    add_patient(ctx, family="Before", given="Verify", mrn="BEFORE-VERIFY")
    wal = Path(f"{db}-wal")
    wal_inode = wal.stat().st_ino
    browse_database_folder(qtbot, _preview_save_as(qtbot, None, ctx, session_id), db.parent)
    verify = subprocess.run([sys.executable, "-m", "tpi_notes", "verify", "--db", str(db)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert wal.exists() and wal.stat().st_ino == wal_inode  # the app's -wal was neither deleted nor replaced
    add_patient(ctx, family="After", given="Verify", mrn="AFTER-VERIFY")
    reader = subprocess.run(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "print(sorted(r[0] for r in c.execute(\"SELECT mrn FROM patient WHERE mrn LIKE '%VERIFY'\")))", str(db)],
        capture_output=True, text=True, timeout=60)
    assert reader.stdout.strip() == "['AFTER-VERIFY', 'BEFORE-VERIFY']", reader.stderr


def test_checking_a_file_an_engine_already_has_open_keeps_its_locks(tmp_path: Path) -> None:
    """A second engine on the same file (backup, verify, an export worker) checks its header first; reading it
    through a descriptor of its own, then closing that descriptor, used to drop the first engine's locks."""
    db = tmp_path / "clinic.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x)")
        assert held_locks(db) == {db.name, f"{db.name}-shm"}
        check_sqlite_file(db)
        second = make_engine(f"sqlite:///{db}")
        second.dispose()
        assert held_locks(db) == {db.name, f"{db.name}-shm"}
    finally:
        engine.dispose()


def test_the_database_itself_is_refused_as_the_file_to_save(
        qtbot: QtBot, make_window: MakeWindow, clinic: tuple[AppContext, int], documents: Path,
        message_boxes: list[tuple[str, str]]) -> None:
    """Browsing to the database's folder and typing its name in Save as… (then confirming "replace it?") must
    neither overwrite it with the PDF nor open it: the choice is refused with a message."""
    ctx, session_id = clinic
    db = ctx.database_path
    assert db is not None
    make_window()
    before = os.stat(db)  # stat only: reading the file here would drop the locks this test is about

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(10, drive)
            return
        try:
            model = dialog.findChild(QFileSystemModel)
            with qtbot.waitSignal(model.directoryLoaded, timeout=5000,
                                  check_params_cb=lambda loaded: Path(loaded) == db.parent):
                dialog.setDirectory(str(db.parent))
            name_box = dialog.findChild(QLineEdit, "fileNameEdit")
            name_box.selectAll()
            qtbot.keyClicks(name_box, db.name)
            when_modal(QMessageBox, lambda box: box.button(QMessageBox.StandardButton.Yes).click())
            qtbot.keyClick(name_box, Qt.Key.Key_Return)
        finally:
            if dialog.isVisible():
                dialog.reject()

    preview = preview_note(ctx, session_id)
    assert preview is not None
    qtbot.addWidget(preview)
    QTimer.singleShot(0, drive)
    assert preview.save_as() is False
    after = os.stat(db)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    assert held_locks(db) == {db.name, f"{db.name}-shm"}
    assert message_boxes[-1][0] == "warning" and "is the clinic's database" in message_boxes[-1][1]


@pytest.mark.parametrize("command", ["note", "aftercare", "export", "anchor"])
@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_a_command_never_writes_over_the_database_it_reads(
        ctx: AppContext, capsys: pytest.CaptureFixture[str], command: str, suffix: str) -> None:
    """`tpi-notes note 1 -o clinic.sqlite` (or its -wal) used to replace the clinic with a PDF."""
    from tpi_notes.cli import main

    session_id = save_session(ctx, add_patient(ctx).id, setup_clinic(ctx), 3)
    db = ctx.database_path
    assert db is not None
    target = Path(f"{db}{suffix}")
    before = os.stat(target)
    more = {"note": [str(session_id)], "aftercare": [str(session_id)], "export": ["--format", "csv"],
            "anchor": ["--force"]}[command]
    assert main([command, "--db", str(db), *more, "-o", str(target)]) == 1
    assert "is the clinic's database or one of its working files" in capsys.readouterr().err
    after = os.stat(target)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    assert held_locks(db) == {db.name, f"{db.name}-shm"}


def test_printing_to_a_file_over_the_database_is_refused(
        qtbot: QtBot, make_window: MakeWindow, clinic: tuple[AppContext, int], documents: Path) -> None:
    """The print dialog's "Print to File (PDF)" with the database's name typed as the output file used to print
    the note over the clinic's database, and Qt's own check of that file (opened for appending, then closed,
    before its "replace it?" question) dropped the locks. Now Print is disabled while the box names it."""
    ctx, session_id = clinic
    db = ctx.database_path
    assert db is not None
    make_window()
    before = os.stat(db)
    seen: dict[str, object] = {}

    def paste(output: QLineEdit, text: str) -> None:
        """Select all and paste, as a user pasting a path (typing it key by key took 20 s: the dialog checks the
        file system at every keystroke)."""
        QApplication.clipboard().setText(text)
        qtbot.keyClick(output, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(output, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert output.text() == text

    def in_print_dialog(dialog: object) -> None:
        assert isinstance(dialog, QPrintDialog)
        try:
            printers = dialog.findChild(QComboBox, "printers")
            printers.setCurrentIndex(printers.findText("PDF", Qt.MatchFlag.MatchContains))
            output = dialog.findChild(QLineEdit, "filename")
            print_button = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
            paste(output, f"{db}-wal")
            seen["wal"] = (print_button.isEnabled(), output.toolTip())
            paste(output, str(db))
            seen["db"] = (print_button.isEnabled(), output.toolTip())
            when_modal(QMessageBox, lambda box: box.button(QMessageBox.StandardButton.Yes).click(), 50)
            qtbot.mouseClick(print_button, Qt.MouseButton.LeftButton)
            qtbot.keyClick(output, Qt.Key.Key_Return)
            seen["still open"] = dialog.isVisible()
            paste(output, str(documents / "note.pdf"))
            seen["elsewhere"] = print_button.isEnabled()
        finally:
            dialog.reject()

    preview = preview_note(ctx, session_id)
    assert preview is not None
    qtbot.addWidget(preview)
    when_modal(QPrintDialog, in_print_dialog)
    assert preview.print_document() is False
    for name in ("wal", "db"):
        enabled, why = seen[name]  # type: ignore[misc]
        assert not enabled and "is the clinic's database or one of its working files" in why
    assert seen["still open"] is True and seen["elsewhere"] is True
    after = os.stat(db)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    assert held_locks(db) == {db.name, f"{db.name}-shm"}
