"""Every file dialog of the app: Qt's own dialog, which never reads the files it lists, opened in Documents.

Why: SQLite's locks are POSIX locks, and those belong to the process: closing ANY descriptor of the database
file or of its -shm drops every lock SQLite holds on it. Qt's file dialogs guess each listed file's icon and type
from its contents (QMimeDatabase opens, reads and closes it), and the platforms' native dialogs (GTK, KDE,
portals) do the same inside our process; so a dialog merely showing the database's folder left the app holding no
lock, and a `tpi-notes verify` run meanwhile took the file as unused and deleted the -wal the app was still
writing to (saved patients were lost after a crash). Hence, for every dialog:

- Qt's widget dialog, never the native one, with an icon provider that answers from the entry's kind (folder
  or file) and its name only (``NameOnlyIconProvider``);
- a start in the user's Documents folder (the home folder when there is none), never the working directory or
  the folder last visited, so that it never needs to list the database's folder unasked;
- a chosen path that is an open database, or its -wal, -shm or -journal, is refused before anything opens it
  (writing a PDF over it would destroy it; reading it as a logo would drop the locks).

Qt's own dialogs list files of their own (the print dialog's "Print to file" browse button and the completer
of its file-name box): ``qt_dialogs_guarded()`` makes those dialogs non-native and gives every file-system model
the same icon provider while they run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QEvent, QFileInfo, QObject, QStandardPaths, Qt, Slot
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFileIconProvider,
    QFileSystemModel,
    QLineEdit,
    QWidget,
)

from tpi_notes import open_databases
from tpi_notes.domain.errors import TpiError
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.style import set_invalid

Kind = QFileIconProvider.IconType


class NameOnlyIconProvider(QFileIconProvider):
    """Icons and type names from what ``stat`` and the name say: a file's contents are never read."""

    def icon(self, which: QFileIconProvider.IconType | QFileInfo):  # type: ignore[override]  # noqa: ANN201
        if isinstance(which, QFileInfo):
            which = Kind.Drive if which.isRoot() else Kind.Folder if which.isDir() else Kind.File
        return super().icon(which)

    def type(self, info: QFileInfo) -> str:
        if info.isDir():
            return "Folder"
        suffix = info.suffix()
        return f"{suffix.upper()} file" if suffix else "File"


def documents_folder() -> Path:
    """The user's Documents folder (Qt's DocumentsLocation), or the home folder when there is none."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


def _dialog(parent: QWidget | None, caption: str, start: Path, filters: str) -> QFileDialog:
    dialog = QFileDialog(parent, caption, str(start.parent), filters)
    # Before any event is processed: the folder the constructor lists gets this provider's icons.
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setOption(QFileDialog.Option.DontUseCustomDirectoryIcons, True)
    dialog.icon_provider = NameOnlyIconProvider()  # the dialog does not own it: kept alive with the dialog
    dialog.setIconProvider(dialog.icon_provider)
    dialog.setObjectName("file_dialog")
    return dialog


def _chosen(parent: QWidget | None, dialog: QFileDialog) -> Path | None:
    try:
        if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
            return None
        path = Path(dialog.selectedFiles()[0])
    finally:
        dialog.deleteLater()
    try:
        open_databases.refuse_as_target(path)
    except TpiError as exc:
        show_error(parent, exc)
        return None
    return path


def ask_save_path(parent: QWidget | None, caption: str, suggested: str, filters: str) -> Path | None:
    """Where to save: ``suggested`` is the file name offered, in the Documents folder (only its name is used);
    None when the user cancels or chose the database itself."""
    start = documents_folder() / Path(suggested).name
    dialog = _dialog(parent, caption, start, filters)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.selectFile(start.name)
    return _chosen(parent, dialog)


class _FileDialogGuard(QObject):
    """When a window is shown, gives every file-system model inside it (a QFileDialog's, the print dialog's
    file-name completer's) the name-only icon provider, before its event loop runs, so before anything looks
    at a file. Application-wide, so it is installed only while a dialog of Qt's making is open."""

    provider = NameOnlyIconProvider()  # shared and never deleted: the models do not own their provider

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow():
            for model in watched.findChildren(QFileSystemModel):
                if not isinstance(model.iconProvider(), NameOnlyIconProvider):
                    model.setIconProvider(self.provider)
        return False


class PrintDialog(QPrintDialog):
    """Qt's print dialog, where "Print to file" cannot aim at the clinic's database (or its -wal): while the
    output file named is one of them, Print is disabled and the box says why. Qt's own check of that file, run
    before the dialog accepts, opens it for appending and closes it, which would drop SQLite's locks (and
    printing would then write the PDF over the database)."""

    def __init__(self, printer: QPrinter, parent: QWidget | None = None) -> None:
        super().__init__(printer, parent)
        self._output = self.findChild(QLineEdit, "filename")  # Qt's "Output file" box (Print to file only)
        buttons = self.findChild(QDialogButtonBox)
        self._print_button = buttons.button(QDialogButtonBox.StandardButton.Ok) if buttons is not None else None
        if self._output is not None:
            self._output.textChanged.connect(self._check_output)
        printers = self.findChild(QComboBox, "printers")
        if printers is not None:
            printers.currentIndexChanged.connect(self._check_output)
        self._check_output()

    def output_problem(self) -> str | None:
        """Why the output file named cannot be printed to (one line), or None."""
        output = self._output
        if output is None or not output.isEnabled() or not output.text():
            return None
        try:
            open_databases.refuse_as_target(output.text())
        except TpiError as exc:
            return str(exc)
        return None

    @Slot()
    def _check_output(self) -> None:
        problem = self.output_problem()
        if self._print_button is not None:
            self._print_button.setEnabled(problem is None)
        if self._output is not None:
            self._output.setToolTip(problem or "")
            set_invalid(self._output, problem is not None)


@contextmanager
def qt_dialogs_guarded() -> Iterator[None]:
    """While Qt's own dialogs run (QPrintDialog's "Print to file" "…" opens Qt's file dialog, its file-name box
    completes from a file-system model): every file dialog is Qt's widget one (Qt::AA_DontUseNativeDialogs) and
    every file-system model has the name-only icon provider."""
    app = QApplication.instance()
    if app is None:
        yield
        return
    native_allowed = not app.testAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs)
    guard = _FileDialogGuard()
    app.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)
    app.installEventFilter(guard)
    try:
        yield
    finally:
        app.removeEventFilter(guard)
        if native_allowed:
            app.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, False)


def ask_open_path(parent: QWidget | None, caption: str, filters: str) -> Path | None:
    """Which existing file to read, starting in the Documents folder; None when cancelled (or the database)."""
    dialog = _dialog(parent, caption, documents_folder() / "_", filters)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    return _chosen(parent, dialog)
