"""Opening editors: a new session, a stored draft, or a draft recovered after a crash."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from tpi_notes.domain import icd10
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.errors import TpiError
from tpi_notes.recovery import RecoveryEntry, RecoveryStore, SetAside
from tpi_notes.services import drafts
from tpi_notes.services.context import AppContext
from tpi_notes.ui.editor.reference import load_reference
from tpi_notes.ui.editor.screen_fit import fit_to_screen
from tpi_notes.ui.editor.window import SessionEditor
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.settings import remembered_room


def open_editor(ctx: AppContext, draft: SessionDraft, parent: QWidget | None, *, baseline: SessionDraft | None,
                key: str | None = None) -> SessionEditor | None:
    """A shown editor on ``draft`` (``baseline`` None marks it modified), or None after showing the error."""
    try:
        reference = load_reference(ctx, draft.patient_id)
    except TpiError as exc:
        show_error(parent, exc)
        return None
    icd10.preload_in_background()  # the code index takes a moment; build it while the user looks around
    with collector_held():
        editor = SessionEditor(ctx, draft, reference, baseline=baseline, key=key, parent=parent)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.show()
        fit_to_screen(editor, parent)  # again with the frame the window manager drew: nothing off-screen
        editor.diagram.view.fit()
    return editor


@contextlib.contextmanager
def collector_held() -> Iterator[None]:
    """Python's cycle collector held off while an editor is built (H32). Its thousands of widgets and wrappers
    all live on, and each few hundred new objects set off a collection that walked them again, with everything
    the first opening imports: 1.1 to 1.7 s of a first opening's 4 s of CPU here, about nothing later. Objects
    without cycles are freed as before (reference counting); the cycle hunt resumes once the window is up."""
    if not gc.isenabled():  # someone turned it off (start-up does, tpi_notes/startup_gc.py): left as it is
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def new_session(ctx: AppContext, patient_id: int, parent: QWidget | None) -> SessionEditor | None:
    try:
        draft = drafts.new_draft(ctx, patient_id)
    except TpiError as exc:
        show_error(parent, exc)
        return None
    # the room this computer charted in last (its open vials are offered), shown and editable like any default
    draft = replace(draft, location=draft.location or remembered_room())
    return open_editor(ctx, draft, parent, baseline=draft)


def recovery_question(entry: RecoveryEntry) -> str:
    when = entry.saved_at.strftime("%Y-%m-%d %H:%M")
    what = f"session of {entry.draft.performed_start:%Y-%m-%d}" if entry.draft.id else "new session"
    return (f"Recover the unsaved session for {entry.patient_label or 'a patient'} from {when}?\n\n"
            f"tpi-notes closed before this {what} was saved. Yes opens it so you can check and save it; "
            "No discards it.")


def set_aside_message(store: RecoveryStore, set_aside: list[SetAside]) -> str:
    """One message for every journal file that could not be used: how many, where they are, why."""
    count = len(set_aside)
    files = "file" if count == 1 else "files"
    lines = [f"{count} recovery journal {files} could not be used and {'was' if count == 1 else 'were'} set aside, "
             f"not deleted, in {store.damaged_folder}. The other unsaved sessions are offered as usual.", ""]
    lines += [f"• {a.name}: {a.reason}" + ("" if a.moved_to else " (could not be moved; left where it is)")
              for a in set_aside[:8]]
    if count > 8:
        lines.append(f"• … and {count - 8} more")
    return "\n".join(lines)


def offer_recovered(ctx: AppContext, parent: QWidget | None) -> list[SessionEditor]:
    """Ask about each draft the recovery journal still holds; open the ones the user wants back.

    A file that cannot be used (damaged, foreign, another version's, or a draft whose patient or session is no
    longer in the record) is set aside into the journal's ``damaged/`` folder with one message, never a crash.
    """
    store = RecoveryStore.for_database(ctx.url)
    scan = store.scan()
    usable: list[RecoveryEntry] = []
    for entry in scan.entries:
        try:
            problem = drafts.recovery_problem(ctx, entry.draft)
        except TpiError as exc:  # the database cannot answer now: keep the entry for the next start
            show_error(parent, exc)
            return []
        if problem is None:
            usable.append(entry)
        else:
            scan.set_aside.append(SetAside(f"{entry.key}.json", problem, store.set_aside(entry.key)))
    if scan.set_aside:
        QMessageBox.warning(parent, "Recovery files set aside", set_aside_message(store, scan.set_aside))
    opened: list[SessionEditor] = []
    for entry in usable:
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
