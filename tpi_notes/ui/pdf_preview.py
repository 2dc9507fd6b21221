"""Showing and printing the documents: a PDF preview window, printing through Qt's print dialog, and the
"Print aftercare…" flow (language and large print, then the print dialog).

The PDF bytes come from ``services.documents`` (which audits each print), laid out on the clinic's paper. Where
the system prints through CUPS, the PDF itself goes to the queue chosen (tpi_notes/printing.py: vectors, a few
hundred kB, the clinic's paper named); "Print to file" writes the PDF itself. Only a printer outside CUPS
(Windows) gets page images: rendered with QtPdf into the printer's painter, one page at a time, at the
printer's resolution (capped so that a 1200-dpi printer does not need a 500 MB image per page), and the status
line says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes import open_databases, printing
from tpi_notes.atomic_output import write_bytes as write_whole_file
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.patient import LANGUAGES
from tpi_notes.services import aftercare_prefs, clinic_settings, documents
from tpi_notes.services.context import AppContext
from tpi_notes.ui import file_dialogs
from tpi_notes.ui.errors import show_error

MAX_PRINT_DPI = 600
LANGUAGE_NAMES = {"en": "English", "es": "Español (Spanish)"}
PAPER_NAMES = {"letter": "Letter", "a4": "A4"}


def load_pdf(pdf: bytes, parent: QWidget | None = None) -> tuple[QPdfDocument, QBuffer]:
    """A QPdfDocument reading from memory; keep the returned buffer alive as long as the document."""
    buffer = QBuffer(parent)
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument(parent)
    document.load(buffer)
    return document, buffer


def print_pdf(document: QPdfDocument, printer: QPrinter) -> int:
    """Render the pages the printer asks for (all, or its from/to range) into it; returns pages printed."""
    count = document.pageCount()
    first, last = printer.fromPage(), printer.toPage()
    pages = range(first - 1, min(last, count)) if first > 0 and last > 0 else range(count)
    painter = QPainter()
    if not painter.begin(printer):
        raise TpiError("The printer could not be started; check that it is connected and ready.")
    dpi = min(printer.resolution(), MAX_PRINT_DPI)
    printed = 0
    try:
        for index in pages:
            if printed:
                printer.newPage()
            size = document.pagePointSize(index)
            image = document.render(index, QSize(round(size.width() / 72 * dpi), round(size.height() / 72 * dpi)))
            area = QRectF(painter.viewport())
            scale = min(area.width() / image.width(), area.height() / image.height())
            target = QRectF(QPointF(0, 0), image.size().toSizeF() * scale)
            target.moveCenter(area.center())
            painter.drawImage(target, image)
            printed += 1
    finally:
        painter.end()
    return printed


def page_size(paper: str) -> QPageSize:
    return QPageSize(QPageSize.PageSizeId.A4 if paper == "a4" else QPageSize.PageSizeId.Letter)


NO_DEFAULT_PRINTER = "this computer has no default printer"


@dataclass(frozen=True)
class Sent:
    """A document the print system took (or a file written): what the window says, and where it went in the
    audit trail's words ("sent to Front-desk as PDF on Letter, job Front-desk-12")."""

    said: str
    where: str


OnSent = Callable[[Sent], None]
"""Called once the document went out (ui records an aftercare sheet as handed over then, not before)."""


def _tell(parent: QWidget | None, text: str) -> None:
    """A status line in the window that asked for the print (when it has a status bar)."""
    window = parent.window() if parent is not None else None
    if hasattr(window, "show_status"):  # the signed session's window
        window.show_status(text)
    elif isinstance(window, QMainWindow):
        window.statusBar().showMessage(text, 10000)


def _to_cups(pdf: bytes, queue: str, title: str, paper: str, copies: int = 1,
             pages: tuple[int, int] | None = None) -> Sent:
    job = printing.send_pdf(pdf, queue, paper=paper, title=title, copies=copies, pages=pages)
    name = PAPER_NAMES.get(paper, paper)
    return Sent(f"{title} sent to {queue} as PDF on {name} paper (job {job.job_id}).",
                f"sent to {queue} as PDF on {name}, job {job.job_id or 'without an id'}")


def _send(pdf: bytes, document: QPdfDocument, printer: QPrinter, title: str, paper: str) -> Sent:
    """Print ``pdf`` where the print dialog pointed: a file gets the PDF itself; a CUPS queue gets the PDF itself
    on the clinic's paper (tpi_notes/printing.py); only a printer outside CUPS gets page images. Returns what
    was done, in words."""
    first, last = printer.fromPage(), printer.toPage()
    pages = (first, last) if first > 0 and last > 0 else None
    if printer.outputFileName():  # "Print to file": never over the clinic's database or its -wal
        open_databases.refuse_as_target(printer.outputFileName())
        write_whole_file(printer.outputFileName(), pdf)
        return Sent(f"{title} saved as {printer.outputFileName()}.", f"saved as {printer.outputFileName()}")
    queue = printer.printerName()
    if queue and queue in printing.cups_queues():
        return _to_cups(pdf, queue, title, paper, copies=printer.copyCount(), pages=pages)
    printer.setPageSize(page_size(paper))
    print_pdf(document, printer)
    return Sent(f"{title} sent to {queue or 'the printer'} as page images: this system offers no way to send it "
                "the PDF itself.", f"sent to {queue or 'the printer'} as page images")


def _went_out(parent: QWidget | None, sent: Sent, on_sent: OnSent | None) -> str:
    """Tell the window what was sent, after ``on_sent`` recorded it (a failure to record is said, not hidden:
    the paper is out either way)."""
    said = sent.said
    if on_sent is not None:
        try:
            on_sent(sent)
        except TpiError as exc:
            said += f" It could not be recorded in the audit trail: {exc}"
    _tell(parent, said)
    return said


def print_with_dialog(pdf: bytes, parent: QWidget | None, title: str, paper: str = "letter",
                      on_sent: OnSent | None = None) -> bool:
    """Qt's print dialog (on the clinic's paper), then the document; False when the user cancels. A refusal
    of the print system is raised (PrintError); ``on_sent`` runs only once the document went out."""
    document, buffer = load_pdf(pdf, parent)
    try:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(title)
        printer.setPageSize(page_size(paper))
        dialog = file_dialogs.PrintDialog(printer, parent)
        dialog.setWindowTitle(f"Print {title}")
        dialog.setMinMax(1, max(1, document.pageCount()))
        with file_dialogs.qt_dialogs_guarded():  # its "Print to file" browse button opens Qt's file dialog
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
        if not accepted:
            return False
        _went_out(parent, _send(pdf, document, printer, title, paper), on_sent)
        return True
    finally:
        document.close()
        buffer.close()


def print_direct(pdf: bytes, parent: QWidget | None, title: str, paper: str = "letter",
                 on_sent: OnSent | None = None) -> str:
    """Print on the default printer without asking (one step after signing): the CUPS default queue gets the
    PDF itself; a default printer outside CUPS gets page images. No default printer, or a print system that
    refuses the job: PrintError, and nothing pops up (the caller says so; Print… chooses a printer later).
    Returns what was done."""
    queue = printing.default_queue()
    if queue:
        return _went_out(parent, _to_cups(pdf, queue, title, paper), on_sent)
    info = QPrinterInfo.defaultPrinter()
    if info.isNull():
        raise printing.PrintError(NO_DEFAULT_PRINTER)
    document, buffer = load_pdf(pdf, parent)
    try:
        printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
        printer.setDocName(title)
        printer.setPageSize(page_size(paper))
        sent = _send(pdf, document, printer, title, paper)
    finally:
        document.close()
        buffer.close()
    return _went_out(parent, sent, on_sent)


def clinic_paper(ctx: AppContext) -> str:
    """The clinic's paper size ("letter" when it cannot be read: the print still goes out)."""
    try:
        return clinic_settings.get_settings(ctx).paper_size
    except TpiError:
        return "letter"


class PdfPreview(QMainWindow):
    """A document shown page after page, fitted to the window's width, with Print… and Save as…."""

    def __init__(self, pdf: bytes, title: str, file_name: str, parent: QWidget | None = None, *,
                 paper: str = "letter", on_sent: OnSent | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("pdf_preview")
        self.paper = paper
        self.on_sent = on_sent  # an aftercare sheet is recorded as handed over when printed or saved from here
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(title)
        self.pdf, self.title, self.file_name = pdf, title, file_name
        self.document, self._buffer = load_pdf(pdf, self)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.setCentralWidget(self.view)
        toolbar = self.addToolBar("Document")
        toolbar.setMovable(False)
        self.print_action = self._action("&Print…", self.print_document, QKeySequence.StandardKey.Print)
        self.save_action = self._action("&Save as…", self.save_as, QKeySequence.StandardKey.Save)
        self.fit_action = self._action("Fit &width", self.fit_width, "Ctrl+0")
        self.zoom_in_action = self._action("Zoom &in", lambda: self.zoom(1.25), QKeySequence.StandardKey.ZoomIn)
        self.zoom_out_action = self._action("Zoom &out", lambda: self.zoom(0.8), QKeySequence.StandardKey.ZoomOut)
        toolbar.addActions([self.print_action, self.save_action])
        toolbar.addSeparator()
        toolbar.addActions([self.fit_action, self.zoom_in_action, self.zoom_out_action])
        self._action("Close", self.close, QKeySequence.StandardKey.Close)
        pages = self.document.pageCount()
        self.statusBar().showMessage(f"{pages} page{'s' if pages != 1 else ''}")
        self.resize(820, 1000)

    def _action(self, text: str, slot: object, shortcut: object) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    @Slot()
    def fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    def zoom(self, factor: float) -> None:
        current = self.view.zoomFactor()
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(4.0, current * factor)))

    @Slot()
    def print_document(self) -> bool:
        try:
            return print_with_dialog(self.pdf, self, self.title, self.paper, self.on_sent)
        except TpiError as exc:
            show_error(self, exc)
            return False

    @Slot()
    def save_as(self) -> bool:
        path = file_dialogs.ask_save_path(self, f"Save {self.title}", self.file_name, "PDF (*.pdf)")
        if path is None:
            return False
        try:
            write_whole_file(path, self.pdf)  # whole or not at all: an old file stays until then
        except OSError as exc:
            show_error(self, TpiError(f"Cannot save {path}: {exc.strerror or exc}"))
            return False
        said = _went_out(None, Sent(f"Saved {path}", f"saved as {path}"), self.on_sent)
        self.statusBar().showMessage(said, 5000)
        return True


def preview_note(ctx: AppContext, session_id: int, parent: QWidget | None = None) -> PdfPreview | None:
    """Open the session's procedure note in a preview window (None after an error was shown)."""
    try:  # a preview is a view; printing or saving it from the preview is the print
        note = documents.procedure_note(ctx, session_id, paper_copy=True, audit_as="view")
    except TpiError as exc:
        show_error(parent, exc)
        return None
    window = PdfPreview(note.pdf, f"Procedure note — session #{session_id}", f"procedure-note-{session_id}.pdf",
                        parent, paper=clinic_paper(ctx), on_sent=note_recorder(ctx, note))
    window.show()
    return window


def print_note(ctx: AppContext, session_id: int, parent: QWidget | None = None) -> bool:
    """The print dialog, then the session's procedure note (as PDF where the system allows); False if cancelled."""
    try:
        note = documents.procedure_note(ctx, session_id, paper_copy=True, audit_as=None)  # audited once sent
        return print_with_dialog(note.pdf, parent, f"Procedure note — session #{session_id}", clinic_paper(ctx),
                                 note_recorder(ctx, note))
    except TpiError as exc:
        show_error(parent, exc)
        return False


class AftercareOptions(QDialog):
    """Language (the patient's by default) and large print, before the print dialog or a preview."""

    def __init__(self, language: str, parent: QWidget | None = None, *, large_print: bool = False,
                 subject: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("aftercare_options")
        self.setWindowTitle("Print aftercare sheet")
        self.preview_requested = False
        self.language_combo = QComboBox(self)
        for code in LANGUAGES:
            self.language_combo.addItem(LANGUAGE_NAMES.get(code, code), code)
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(language)))
        self.large_print_check = QCheckBox("Large print (18 pt bold, wide line spacing)", self)
        self.large_print_check.setChecked(large_print)  # the patient's last choice
        form = QFormLayout()
        form.addRow("Language:", self.language_combo)
        form.addRow("", self.large_print_check)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.print_button = QPushButton("Print…", self)
        self.print_button.setDefault(True)
        self.preview_button = QPushButton("Preview", self)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.preview_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.preview_button.clicked.connect(self._preview)
        layout = QVBoxLayout(self)
        if subject:  # whose sheet, for which visit: Ctrl+P from the patient list said neither
            self.subject_label = QLabel(subject, self)
            self.subject_label.setObjectName("aftercare_subject")
            self.subject_label.setStyleSheet("font-weight: 700;")
            layout.addWidget(self.subject_label)
        layout.addWidget(QLabel("The sheet is written for the patient in plain words.", self))
        layout.addLayout(form)
        layout.addWidget(buttons)

    @Slot()
    def _preview(self) -> None:
        self.preview_requested = True
        self.accept()

    def language(self) -> str:
        return str(self.language_combo.currentData())

    def large_print(self) -> bool:
        return self.large_print_check.isChecked()


def print_aftercare(ctx: AppContext, session_id: int, language: str, parent: QWidget | None = None, *,
                    subject: str = "") -> PdfPreview | bool:
    """Ask for language and large print (the patient's last choice by default), then print (True) or preview (the
    window); False if cancelled. ``subject`` names the patient and the session at the top of the options."""
    try:
        large = aftercare_prefs.large_print_default(ctx, session_id)
    except TpiError as exc:
        show_error(parent, exc)
        return False
    options = AftercareOptions(language, parent, large_print=large, subject=subject)
    if options.exec() != QDialog.DialogCode.Accepted:
        return False
    try:
        sheet = documents.aftercare_sheet(ctx, session_id, options.language(), options.large_print(),
                                          preview=options.preview_requested)
    except TpiError as exc:
        show_error(parent, exc)
        return False
    if options.preview_requested:
        return preview_sheet(ctx, sheet, parent)
    try:
        return print_with_dialog(sheet.pdf, parent, _sheet_title(sheet), clinic_paper(ctx),
                                 sheet_recorder(ctx, sheet))
    except TpiError as exc:
        show_error(parent, exc)
        return False


def _sheet_title(sheet: documents.AftercareSheet) -> str:
    return f"Aftercare sheet — session #{sheet.session_id}"


def note_recorder(ctx: AppContext, note: documents.NoteDocument) -> OnSent:
    """Record the note's print (where it went) once it went out."""
    return lambda sent: documents.note_printed(ctx, note, sent.where)


def sheet_recorder(ctx: AppContext, sheet: documents.AftercareSheet) -> OnSent:
    """Record ``sheet`` as handed over (its print event and row, large print kept) once it went out."""
    return lambda sent: documents.aftercare_printed(ctx, sheet, sent.where)


def preview_sheet(ctx: AppContext, sheet: documents.AftercareSheet, parent: QWidget | None = None) -> PdfPreview:
    """A preview of the sheet; printing or saving it from there records it as handed over."""
    window = PdfPreview(sheet.pdf, _sheet_title(sheet), f"aftercare-{sheet.session_id}-{sheet.lang}.pdf", parent,
                        paper=clinic_paper(ctx), on_sent=sheet_recorder(ctx, sheet))
    window.show()
    return window


def print_aftercare_now(ctx: AppContext, session_id: int, parent: QWidget | None = None, *,
                        large_print: bool | None = None) -> str:
    """The aftercare sheet in the patient's language, large print as last time (or as given), straight to the
    default printer: the one step after "Sign and print". Returns what to tell the user: what was sent, or why
    nothing was (no default printer, the print system's refusal) and that Print aftercare… prints it later;
    only a sheet the print system took is recorded as handed over."""
    try:
        large = aftercare_prefs.large_print_default(ctx, session_id) if large_print is None else large_print
        sheet = documents.aftercare_sheet(ctx, session_id, None, large)
        return print_direct(sheet.pdf, parent, _sheet_title(sheet), clinic_paper(ctx), sheet_recorder(ctx, sheet))
    except TpiError as exc:
        reason = str(exc).rstrip(".")
        return (f"Signed; the aftercare sheet was not printed ({reason}). Print it with Print aftercare… above "
                "once a printer is ready.")
