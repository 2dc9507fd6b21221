"""A session opened to read: the body diagram drawn with the atlas it was charted on, and its details; Preview
and Print for the note and the aftercare sheet (the window signing opens, so printing needs no detour)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QTextBrowser, QVBoxLayout, QWidget

from tpi_notes.anatomy import load_atlas
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.patient_follow_up import follow_up_label
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.session import ADDENDUM_KINDS, SessionRecord
from tpi_notes.services import aftercare_prefs, documents, patients, sessions, staff
from tpi_notes.services.context import AppContext
from tpi_notes.ui import pdf_preview
from tpi_notes.ui.addendum_dialog import AddendumDialog
from tpi_notes.ui.diagram.document import SiteDocument
from tpi_notes.ui.diagram.widget import BodyDiagramWidget
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.style import DANGER, set_role


def _when(value) -> str:  # noqa: ANN001 - datetime or None
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def status_line(record: SessionRecord) -> str:
    if record.is_signed:
        return f"Signed by {record.signed_by} on {_when(record.signed_at)} — locked"
    return "Draft — not signed"


def tampered_text(record: SessionRecord) -> str:
    return (f"TAMPERED — this signed note no longer matches its signature (hash {record.content_sha256 or '—'}). "
            "It was changed outside tpi-notes; do not rely on it, and report it to the clinic's administrator.")


def details_html(record: SessionRecord, formulary: dict[str, FormularyItem]) -> str:
    """The session's details as escaped HTML (every stored string goes through ``escape``)."""
    def row(label: str, value: object) -> str:
        text = "—" if value in (None, "") else escape(str(value))
        return f"<tr><th align='left' valign='top' style='padding-right:12px'>{escape(label)}</th><td>{text}</td></tr>"

    syringes = []
    for prep in record.preparations:
        parts = []
        for c in prep.components:
            item = formulary.get(c.item_code)
            name = item.name if item else c.item_code
            lot = f" (lot {c.lot_number}, exp {c.lot_expiry})" if c.lot_number else ""
            parts.append(f"{c.volume_ml:g} mL {name}{lot}")
        syringes.append(f"Syringe {prep.label}: " + " + ".join(parts))
    pain = f"{record.pain_before if record.pain_before is not None else '—'} → " \
           f"{record.pain_after if record.pain_after is not None else '—'}"
    rows = [
        row("Performed", f"{_when(record.performed_start)} – {_when(record.performed_end)[11:] or '—'}"),
        row("Physician", record.physician), row("Assistant", record.assistant), row("Location", record.location),
        row("Indication", record.indication),
        row("Diagnoses", "; ".join(f"{d.code} {d.display}" for d in record.diagnoses)),
        row("Syringes", " · ".join(syringes)),
        row("Pain (NRS) before → after", pain),
        row("Immediate relief", f"{record.relief_pct} %" if record.relief_pct is not None else None),
        row("Complications", record.complications), row("Respiratory check", record.respiratory_check),
        row("Disposition", record.disposition), row("Follow-up", record.follow_up),
        row("Patient follow-up", follow_up_label(record.follow_up_in)),
    ]
    html = "<table cellspacing='2'>" + "".join(rows) + "</table>"
    for addendum in record.addenda:
        html += (f"<p><b>{escape(ADDENDUM_KINDS.get(addendum.kind, addendum.kind))}</b> by "
                 f"{escape(addendum.author)}, {_when(addendum.created_at)}: {escape(addendum.text)}</p>")
    return html


class SessionWindow(QWidget):
    """A top-level, read-only window on one session."""

    def __init__(self, record: SessionRecord, patient_name: str, formulary: dict[str, FormularyItem],
                 parent: QWidget | None = None, *, tampered: bool = False, ctx: AppContext | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.record = record
        self.tampered = tampered
        self.ctx = ctx
        self.formulary = formulary
        self.active_dialog: QWidget | None = None
        self.setWindowTitle(("TAMPERED — " if tampered else "") + f"Session {_when(record.performed_start)} — "
                            f"{patient_name}")
        self.setObjectName("session_window")
        title = QLabel(f"{escape(patient_name)} — session of {_when(record.performed_start)}")
        set_role(title, "title")
        status = QLabel(status_line(record))
        status.setObjectName("session_status")
        self.addendum_button = QPushButton("Add addendum…", self)
        self.addendum_button.setObjectName("add_addendum")
        self.addendum_button.setToolTip("Add a signed addendum, correction or late entry (the note stays as signed)")
        self.addendum_button.clicked.connect(self.add_addendum)
        self.addendum_button.setVisible(ctx is not None and record.is_signed and ctx.can(Permission.ADDENDUM))
        header = QHBoxLayout()
        header.addWidget(status, 1)
        can_print = ctx is not None and ctx.can(Permission.PRINT)
        self.print_buttons: dict[str, QPushButton] = {}
        for key, text, tip, slot in (
                ("preview_note", "Preview note", "Show the procedure note as it prints", self.preview_note),
                ("print_note", "Print note…", "Print the procedure note", self.print_note),
                ("preview_aftercare", "Preview aftercare", "Show the patient's aftercare sheet",
                 self.preview_aftercare),
                ("print_aftercare", "Print aftercare…", "Print the aftercare sheet in the patient's language",
                 self.print_aftercare)):
            button = QPushButton(text, self)
            button.setObjectName(key)
            button.setToolTip(tip)
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            button.setVisible(can_print)
            header.addWidget(button)
            self.print_buttons[key] = button
        header.addWidget(self.addendum_button)
        # a routine signed visit is the usual starting point for a template (issue 16 item 1)
        self.template_button = QPushButton("Save as template…", self)
        self.template_button.setObjectName("save_template")
        self.template_button.setToolTip("Keep this session's sites, syringes (without lots) and clinical frame as a "
                                        "template for other sessions")
        self.template_button.setAutoDefault(False)
        self.template_button.clicked.connect(self.save_as_template)
        self.template_button.setVisible(ctx is not None and ctx.can(Permission.PREPARE_DRAFTS))
        header.addWidget(self.template_button)
        self.message = QLabel(self)  # what the last action did: a print sent, an addendum signed
        self.message.setObjectName("session_message")
        self.message.setWordWrap(True)
        set_role(self.message, "hint")
        self.message.hide()
        atlas = load_atlas(record.atlas_version)
        self.document = SiteDocument(list(record.sites), self)
        self.diagram = BodyDiagramWidget(atlas, self.document, parent=self, editable=False)
        self.details = QTextBrowser()
        self.details.setObjectName("session_details")
        self.details.setHtml(details_html(record, formulary))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.diagram)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([600, 260])
        layout = QVBoxLayout(self)
        self.tampered_banner = QLabel(tampered_text(record), self)
        self.tampered_banner.setObjectName("tampered_banner")
        self.tampered_banner.setWordWrap(True)
        self.tampered_banner.setStyleSheet(f"background: {DANGER}; color: white; font-weight: 700; "
                                           "font-size: 15px; padding: 10px; border-radius: 4px;")
        self.tampered_banner.setVisible(tampered)
        layout.addWidget(self.tampered_banner)
        layout.addWidget(title)
        layout.addLayout(header)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self.resize(1300, 900)
        # Read only, so Escape closes it, as Ctrl+W (and Ctrl+F4) do the editor: after "Sign and print" the
        # title bar's ✕ was the only way back to the patient list
        QShortcut(QKeySequence.StandardKey.Close, self, activated=self.close)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.close)

    @Slot()
    def add_addendum(self) -> QWidget | None:
        """The addendum dialog (for a signed session); the details show the addendum once it is signed."""
        if self.ctx is None or not self.record.is_signed:
            return None
        try:
            physicians = staff.list_staff(self.ctx, "physician")
        except TpiError as exc:
            show_error(self, exc)
            return None
        dialog = AddendumDialog(self.ctx, self.record.id, physicians, self.record.physician_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # methods, not lambdas, as for the template dialog below (a lambda on a deleted dialog's signal can crash)
        dialog.added.connect(self._addendum_added)
        dialog.finished.connect(self._dialog_finished)
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def show_status(self, text: str) -> None:
        """Say what the last action did, above the diagram, until the next one (ui/pdf_preview._tell uses it)."""
        self.message.setText(text)
        self.message.show()

    @Slot()
    def save_as_template(self) -> QWidget | None:
        """The save-template dialog for this session (the editor's; templates keep no lots, scores or findings)."""
        if self.ctx is None:
            return None
        from tpi_notes.domain.draft import draft_from_record
        from tpi_notes.ui.editor.reuse import SaveTemplateDialog

        dialog = SaveTemplateDialog(self.ctx, draft_from_record(self.record), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # methods, not lambdas: a lambda on this dialog's signals crashed PySide when the dialog was deleted
        dialog.template_saved.connect(self._template_saved)
        dialog.finished.connect(self._dialog_finished)
        self.active_dialog = dialog
        dialog.open()
        return dialog

    @Slot(int)
    def _dialog_finished(self, _result: int) -> None:
        self.active_dialog = None

    @Slot(object)
    def _template_saved(self, summary: object) -> None:
        self.show_status(f"Template “{getattr(summary, 'name', '')}” saved: start a session from it with New from "
                         "template ▾.")

    @Slot(object)
    def _addendum_added(self, _added: object) -> None:
        self._addendum_signed()

    def _addendum_signed(self) -> None:
        self.refresh()
        if self.record.addenda:
            last = self.record.addenda[-1]
            self.show_status(f"{ADDENDUM_KINDS.get(last.kind, last.kind)} signed by {last.author} at "
                             f"{_when(last.created_at)}; it is shown below and prints with the note.")

    def _language(self) -> str:
        assert self.ctx is not None
        return patients.get_patient(self.ctx, self.record.patient_id).language or "en"

    @Slot()
    def preview_note(self) -> QWidget | None:
        if self.ctx is None:
            return None
        self.active_dialog = pdf_preview.preview_note(self.ctx, self.record.id, self)
        return self.active_dialog

    @Slot()
    def print_note(self) -> bool:
        return self.ctx is not None and pdf_preview.print_note(self.ctx, self.record.id, self)

    def _aftercare(self, preview: bool) -> QWidget | bool:
        if self.ctx is None:
            return False
        try:
            language = self._language()
        except TpiError as exc:
            show_error(self, exc)
            return False
        if preview:  # a view, not a print: recorded as handed over only if printed or saved from the preview
            try:
                sheet = documents.aftercare_sheet(self.ctx, self.record.id, language,
                                                  aftercare_prefs.large_print_default(self.ctx, self.record.id),
                                                  preview=True)
            except TpiError as exc:
                show_error(self, exc)
                return False
            window = pdf_preview.preview_sheet(self.ctx, sheet, self)
            self.active_dialog = window
            return window
        return pdf_preview.print_aftercare(self.ctx, self.record.id, language, self)

    @Slot()
    def preview_aftercare(self) -> QWidget | bool:
        """The sheet in the patient's language, large print as last time (printing it records a print row)."""
        return self._aftercare(True)

    @Slot()
    def print_aftercare(self) -> QWidget | bool:
        """Language and large print (the patient's, by default), then the print dialog."""
        return self._aftercare(False)

    def refresh(self) -> None:
        """Read the session again (its addenda) and show it."""
        if self.ctx is None:
            return
        try:
            self.record = sessions.get_session(self.ctx, self.record.id)
        except TpiError as exc:
            show_error(self, exc)
            return
        self.details.setHtml(details_html(self.record, self.formulary))
