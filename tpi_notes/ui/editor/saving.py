"""Saving the editor's draft, showing a refusal at its fields, reloading after a lost race, adding a physician.

Functions on a :class:`~tpi_notes.ui.editor.window.SessionEditor` (kept apart so the window stays small).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QScrollArea, QWidget

from tpi_notes.domain.errors import ConcurrentEditError, TpiError, ValidationError
from tpi_notes.domain.staff import StaffMember
from tpi_notes.services import drafts
from tpi_notes.ui.editor.error_routing import route
from tpi_notes.ui.editor.reference import reload_staff
from tpi_notes.ui.editor.staff_dialog import AddPhysicianDialog
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.settings import remember_room

if TYPE_CHECKING:
    from tpi_notes.ui.editor.window import SessionEditor


def save(editor: SessionEditor) -> bool:
    """Validate and store through the service; on refusal nothing is written and the messages are shown."""
    draft = editor.current_draft()
    clear_errors(editor)
    try:
        saved = drafts.save_draft(editor.ctx, draft)
    except ValidationError as exc:
        show_errors(editor, exc.errors)
        return False
    except ConcurrentEditError as exc:
        editor.banners.show_concurrent(str(exc))
        return False
    except TpiError as exc:
        show_error(editor, exc)
        return False
    editor.mark_saved(saved)
    editor.autosave.discard()
    editor.autosave.rekey(f"session-{saved.id}")
    editor.statusBar().showMessage(f"Saved at {datetime.now():%H:%M} — draft, not signed", 5000)
    remember_room(saved.location)  # the next new session on this computer starts in this room
    assert saved.id is not None
    editor.session_saved.emit(saved.id, saved.patient_id)
    return True


def reload(editor: SessionEditor) -> None:
    """Replace everything with the stored version (after another workstation saved it)."""
    if editor.draft_id is None:
        return
    try:
        fresh = drafts.get_draft(editor.ctx, editor.draft_id)
    except TpiError as exc:
        show_error(editor, exc)
        return
    clear_errors(editor)
    editor.load_draft(fresh, fresh)
    editor.autosave.discard()
    editor.statusBar().showMessage("Reloaded the version saved on the other workstation", 5000)


def clear_errors(editor: SessionEditor) -> None:
    editor.banners.clear()
    editor.pre.errors.clear()
    editor.pre.diagnoses.clear_error()
    editor.post.errors.clear()
    editor.syringes.clear_errors()
    editor.site_details.set_errors({})


def show_errors(editor: SessionEditor, errors: dict[str, str]) -> None:
    """Each message at its field; site messages in Site details (the first such site selected)."""
    routed = route(errors)
    pre = editor.pre.errors.show(routed.fields)
    post = editor.post.errors.show(routed.fields)
    placed = set(editor.pre.errors.names()) | set(editor.post.errors.names())
    unplaced = [message for key, message in routed.fields.items() if key not in placed]
    syringe_fields, left = editor.syringes.show_errors(routed.syringes)
    unplaced += list(left.values())
    by_key: dict[int, dict[str, str]] = {}
    for number, site_errors in sorted(routed.sites.items()):
        if 1 <= number <= len(editor.document):
            by_key[editor.document.key_at(number - 1)] = site_errors
        else:
            unplaced += list(site_errors.values())
    site_field: QWidget | None = None
    if routed.sites:
        first = min(routed.sites)
        editor.site_details.set_errors(by_key)
        editor.select_site(first)
        site_field = editor.site_details.first_bad_field() or editor.diagram.table
    editor.banners.show_validation(len(errors), unplaced)
    for page, fields in (("pre", pre), ("syringes", syringe_fields), ("site", [site_field] if site_field else []),
                         ("post", post)):
        if fields:
            focus(editor, page, fields[0])
            break


def focus(editor: SessionEditor, page: str, widget: QWidget) -> None:
    """Bring the tab holding ``widget`` forward, scroll it into view and give it the keyboard."""
    area = editor.tab_pages[page]
    editor.tabs.setCurrentWidget(area)
    if isinstance(area, QScrollArea) and isinstance(widget, QWidget) and not isinstance(widget, QAbstractScrollArea):
        area.ensureWidgetVisible(widget, 40, 60)
    widget.setFocus(Qt.FocusReason.OtherFocusReason)


def add_physician(editor: SessionEditor) -> AddPhysicianDialog:
    """The tiny "Add physician" dialog; when it succeeds the new physician is chosen for this session."""
    dialog = AddPhysicianDialog(editor.ctx, editor)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def added(member: StaffMember) -> None:
        try:
            reload_staff(editor.ctx, editor.reference)
        except TpiError as exc:
            show_error(editor, exc)
            return
        editor.pre.set_staff(editor.reference, select_physician=member.id)
        editor.pre.changed.emit()

    dialog.member_added.connect(added)
    dialog.finished.connect(lambda _r: setattr(editor, "active_dialog", None))
    editor.active_dialog = dialog
    dialog.open()
    return dialog
