"""Opening editors: a new session, a stored draft, or a draft recovered after a crash."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from tpi_notes.domain import icd10
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.errors import TpiError
from tpi_notes.recovery import RecoveryEntry, RecoveryStore
from tpi_notes.services import drafts
from tpi_notes.services.context import AppContext
from tpi_notes.ui.editor.reference import load_reference
from tpi_notes.ui.editor.window import SessionEditor
from tpi_notes.ui.errors import show_error


def open_editor(ctx: AppContext, draft: SessionDraft, parent: QWidget | None, *, baseline: SessionDraft | None,
                key: str | None = None) -> SessionEditor | None:
    """A shown editor on ``draft`` (``baseline`` None marks it modified), or None after showing the error."""
    try:
        reference = load_reference(ctx, draft.patient_id)
    except TpiError as exc:
        show_error(parent, exc)
        return None
    icd10.preload_in_background()  # the code index takes a moment; build it while the user looks around
    editor = SessionEditor(ctx, draft, reference, baseline=baseline, key=key, parent=parent)
    editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    editor.show()
    editor.diagram.view.fit()
    return editor


def new_session(ctx: AppContext, patient_id: int, parent: QWidget | None) -> SessionEditor | None:
    try:
        draft = drafts.new_draft(ctx, patient_id)
    except TpiError as exc:
        show_error(parent, exc)
        return None
    return open_editor(ctx, draft, parent, baseline=draft)


def recovery_question(entry: RecoveryEntry) -> str:
    when = entry.saved_at.strftime("%Y-%m-%d %H:%M")
    what = f"session of {entry.draft.performed_start:%Y-%m-%d}" if entry.draft.id else "new session"
    return (f"Recover the unsaved session for {entry.patient_label or 'a patient'} from {when}?\n\n"
            f"tpi-notes closed before this {what} was saved. Yes opens it so you can check and save it; "
            "No discards it.")


def offer_recovered(ctx: AppContext, parent: QWidget | None) -> list[SessionEditor]:
    """Ask about each draft the recovery journal still holds; open the ones the user wants back."""
    store = RecoveryStore.for_database(ctx.url)
    opened: list[SessionEditor] = []
    for entry in store.pending():
        answer = QMessageBox.question(parent, "Recover unsaved session", recovery_question(entry),
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            store.discard(entry.key)
            continue
        # baseline None: shown as modified until saved (a stale row version is refused like any other)
        editor = open_editor(ctx, entry.draft, parent, baseline=None, key=entry.key)
        if editor is not None:
            opened.append(editor)
    return opened
