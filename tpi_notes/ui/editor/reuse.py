"""Starting from earlier work: copy the last session forward, apply a template, save one.

Sites arrive as undo steps (one macro per action), so Ctrl+Z takes a template back off the diagram.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.errors import NotFoundError, TpiError, ValidationError
from tpi_notes.services import drafts
from tpi_notes.services.context import AppContext
from tpi_notes.ui.diagram.commands import AddSiteCommand, RemoveSiteCommand
from tpi_notes.ui.editor.fields import FieldErrors
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.toast import show_toast

if TYPE_CHECKING:
    from tpi_notes.ui.editor.window import SessionEditor


def adopt(editor: SessionEditor, new: SessionDraft, text: str) -> None:
    """Show ``new`` (the current draft plus what a service added): sites as one undo step, the rest loaded, the
    carried clinical frame marked until confirmed (ui/editor/carried.py)."""
    current = editor.current_draft()
    old_sites = current.sites
    editor.undo_stack.beginMacro(text)
    try:
        if new.sites[: len(old_sites)] != old_sites:
            for key in list(editor.document.site_keys()):
                editor.undo_stack.push(RemoveSiteCommand(editor.document, key))
            old_sites = ()
        for site in new.sites[len(old_sites):]:
            editor.undo_stack.push(AddSiteCommand(editor.document, site))
    finally:
        editor.undo_stack.endMacro()
    if new.preparations != current.preparations:
        editor.syringes.load(new.preparations)
    if editor.pre.apply(current) != editor.pre.apply(new):
        editor.pre.load(new)
    if editor.post.apply(current) != editor.post.apply(new):
        editor.post.load(new)
    editor._base = replace(editor._base, carried_fields=new.carried_fields,  # noqa: SLF001
                           carried_from=new.carried_from)
    editor.carried.reset()
    editor.refresh_derived()
    editor.findings.refresh_now()
    editor.autosave.schedule()
    editor.statusBar().showMessage(text, 5000)


def copy_forward(editor: SessionEditor) -> None:
    current = editor.current_draft()
    if current.sites or current.preparations:
        answer = QMessageBox.question(
            editor, "Copy forward",
            f"Replace the {len(current.sites)} site(s) and {len(current.preparations)} syringe(s) here with those "
            "of the patient's last session? Its indication, diagnoses and the rest of its clinical frame come "
            "too, to confirm.")
        if answer != QMessageBox.StandardButton.Yes:
            return
    try:
        new = drafts.copy_forward(editor.ctx, current)
    except NotFoundError as exc:
        QMessageBox.information(editor, "Copy forward", str(exc))
        return
    except TpiError as exc:
        show_error(editor, exc)
        return
    adopt(editor, new, "Copied the last session's sites, syringes and clinical frame: confirm the highlighted fields")


def apply_template(editor: SessionEditor, template_id: int) -> None:
    try:
        new = drafts.apply_template(editor.ctx, template_id, editor.current_draft())
    except TpiError as exc:
        show_error(editor, exc)
        return
    adopt(editor, new, "Added the template's sites, syringes and clinical frame: confirm the highlighted fields")


class SaveTemplateDialog(QDialog):
    template_saved = Signal(object)
    """The template was stored: its TemplateSummary."""

    def __init__(self, ctx: AppContext, draft: SessionDraft, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._draft = draft
        self.setObjectName("save_template_dialog")
        self.setWindowTitle("Save as template")
        self.errors = FieldErrors()
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. Neck and shoulders, bilateral")
        self.description = QLineEdit(self)
        self.description.setPlaceholderText("Optional: when to use it")
        form = QFormLayout()
        form.addRow("Name:", self.errors.cell("name", self.name, self))
        form.addRow("Description:", self.errors.cell("description", self.description, self))
        buttons = QDialogButtonBox(self)
        save = buttons.addButton("Save template", QDialogButtonBox.ButtonRole.AcceptRole)
        save.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(460, 150)
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def save(self) -> None:
        self.errors.clear()
        try:
            summary = drafts.save_template(self._ctx, self.name.text(), self.description.text(), self._draft)
        except ValidationError as exc:
            self.errors.show(exc.errors)
            self.name.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        except TpiError as exc:
            show_error(self, exc)
            return
        self.template_saved.emit(summary)
        self.accept()


def save_as_template(editor: SessionEditor) -> SaveTemplateDialog:
    dialog = SaveTemplateDialog(editor.ctx, editor.current_draft(), editor)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.template_saved.connect(lambda summary: show_toast(  # a note that cannot be missed (issue 16)
        editor, f"Template “{summary.name}” saved: start a session from it with New from template ▾."))
    dialog.finished.connect(lambda _r: setattr(editor, "active_dialog", None))
    editor.active_dialog = dialog
    dialog.open()
    return dialog
