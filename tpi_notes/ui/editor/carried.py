"""The carried clinical frame in the editor: fields filled by copy-forward or a template, waiting for a look.

Each carried field is tinted amber with a dashed border and says so to a screen reader (its accessible
description); a bar above the forms names them, "as on 2026-09-04 — confirm", with one Confirm button for all.
A carried field the clinician edits is theirs from then on (no longer carried). Signing waits until none is left
(domain/templates.py ``carried_blocker``). Confirm is an undo step: Edit ▸ Undo (Ctrl+Z) brings the marks back
when it was pressed too soon, before the copied sites are taken back.

Confirm does not take the bar away: it keeps its height and says "9 carried fields (as on 2026-09-04) confirmed by
you at 10:42" with an Undo (while the confirmation is the last change) until the next save. Hiding it moved the
tabs and everything under it up by the bar's height under the pointer, and the next click landed on another tab
than the one aimed at (H31's walk). The bar goes at a save, when the pointer is on Save above it (or the keys are
used), and the Undo sits beside the note's words, not where Confirm was: a double click does not undo.
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDir, Qt, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget
from shiboken6 import isValid

from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.templates import FIELD_LABELS, confirm_carried, split_source
from tpi_notes.ui.editor.fields import register_arrow_images
from tpi_notes.ui.editor.findings_answers import AnswerStep

if TYPE_CHECKING:
    from tpi_notes.ui.editor.window import SessionEditor

MAX_HEIGHT = 16777215  # QWIDGETSIZE_MAX: no fixed height
CARRIED_TINT = "#fff4d6"
CARRIED_BORDER = "#b7791f"
CARRIED_STYLE = f"""
*[carried="true"] {{ background: {CARRIED_TINT}; border: 2px dashed {CARRIED_BORDER}; border-radius: 4px; }}
QFrame#carried_bar {{ background: {CARRIED_TINT}; border: 1px solid {CARRIED_BORDER}; border-radius: 4px; }}
QAbstractSpinBox[carried="true"] {{ padding: 2px 22px 2px 4px; }}
QAbstractSpinBox[carried="true"]::up-button {{
    subcontrol-origin: border; subcontrol-position: top right; width: 20px; border: none;
}}
QAbstractSpinBox[carried="true"]::down-button {{
    subcontrol-origin: border; subcontrol-position: bottom right; width: 20px; border: none;
}}
QAbstractSpinBox[carried="true"]::up-arrow {{ image: url(tpi-carried:up.png); width: 10px; height: 7px; }}
QAbstractSpinBox[carried="true"]::down-arrow {{ image: url(tpi-carried:down.png); width: 10px; height: 7px; }}
"""


def _register_arrows() -> None:
    """The arrows a carried spin box shows (a stylesheet border replaces the native ones), as
    ``tpi-carried:up.png`` / ``tpi-carried:down.png``."""
    if QDir.searchPaths("tpi-carried"):
        return
    register_arrow_images("tpi-carried", CARRIED_BORDER)


def _mark(widget: QWidget, carried: bool, note: str) -> None:
    """Tint ``widget`` (or take the tint away) and add ``note`` to its description and tooltip, keeping their
    own text (restored when the mark goes)."""
    was = bool(widget.property("carried"))
    if carried and not was:
        widget.setProperty("own_description", widget.accessibleDescription())
        widget.setProperty("own_tooltip", widget.toolTip())
    if carried != was:
        widget.setProperty("carried", carried)
        widget.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        widget.style().unpolish(widget)
        widget.style().polish(widget)
        widget.update()
    if carried or was:
        own_description = str(widget.property("own_description") or "")
        own_tip = str(widget.property("own_tooltip") or "")
        widget.setAccessibleDescription(" ".join(x for x in (note, own_description) if x) if carried
                                        else own_description)
        widget.setToolTip("\n".join(x for x in (note, own_tip) if x) if carried else own_tip)


def _unchanged(name: str, arrived: Any, now: Any) -> bool:
    """Still as carried: the same value (risks the editor ticks itself for a new site or agent do not count as
    the clinician's edit; a carried risk unticked does)."""
    if name == "consent_risks":
        return set(arrived) <= set(now)
    return arrived == now


class CarriedFrame:
    """Marks the carried fields of one editor and keeps its draft's ``carried_fields`` in step with edits."""

    def __init__(self, editor: SessionEditor) -> None:
        self.editor = editor
        self._values: dict[str, Any] = {}  # the value each carried field arrived with
        self._confirmed: tuple[datetime, int, str] | None = None  # when, how many fields, from where (the note)
        self._step: AnswerStep | None = None  # the confirmation's undo step (the note's Undo while it is the last)
        self.bar = QFrame(editor)
        self.bar.setObjectName("carried_bar")
        self.label = QLabel(self.bar)
        self.label.setObjectName("carried_label")
        self.label.setWordWrap(True)
        self.confirm_button = QPushButton("&Confirm carried fields", self.bar)
        self.confirm_button.setObjectName("confirm_carried")
        self.confirm_button.setAutoDefault(False)
        self.confirm_button.setToolTip("I have checked the highlighted fields: they are right for today")
        self.confirm_button.clicked.connect(self.confirm)
        # after Confirm, in the same place until the next save: what was confirmed, and an Undo beside the words
        self.note_row = QWidget(self.bar)
        self.note = QLabel(self.note_row)
        self.note.setObjectName("carried_confirmed")
        self.note.setToolTip("Stays here until the next save, so nothing under it moves while you work")
        self.undo_button = QToolButton(self.note_row)
        self.undo_button.setObjectName("undo_confirm_carried")
        self.undo_button.setText("Undo")
        self.undo_button.setToolTip("Take the confirmation back: the fields are marked carried again (Ctrl+Z)")
        self.undo_button.setAccessibleName("Undo the confirmation of the carried fields")
        self.undo_button.clicked.connect(self.undo_confirm)
        note_line = QHBoxLayout(self.note_row)
        note_line.setContentsMargins(0, 0, 0, 0)
        note_line.addWidget(self.note)
        note_line.addWidget(self.undo_button, 0, Qt.AlignmentFlag.AlignVCenter)
        note_line.addStretch(1)
        self.note_row.hide()
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(self.label, 1)
        row.addWidget(self.note_row, 1)
        row.addWidget(self.confirm_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.bar.hide()
        editor.undo_stack.indexChanged.connect(self._show_undo)
        editor.session_saved.connect(self._saved)
        _register_arrows()
        editor.setStyleSheet(editor.styleSheet() + CARRIED_STYLE)

    def widgets(self) -> dict[str, QWidget]:
        """The input that shows each carried field."""
        pre, post = self.editor.pre, self.editor.post
        risks = next(iter(pre.risk_boxes.values())).parentWidget()
        return {"indication": pre.indication, "diagnoses": pre.diagnoses, "conservative_care": pre.conservative_care,
                "consent_type": pre.consent_type, "consent_risks": risks, "position": pre.position,
                "antisepsis": pre.antisepsis, "guidance": pre.guidance,
                "observation_minutes": post.observation_minutes, "disposition": post.disposition,
                "follow_up": post.follow_up, "follow_up_in": post.follow_up_in}

    def reset(self) -> None:
        """A new draft is shown (loaded, copied forward, a template applied): remember its values afresh; an
        earlier confirmation's note goes with it."""
        self._values = {}
        self._confirmed = None

    def follow(self, draft: SessionDraft) -> SessionDraft:
        """``draft`` without the carried fields the clinician has since changed; marks and the bar updated."""
        for name in draft.carried_fields:
            self._values.setdefault(name, getattr(draft, name))
        kept = tuple(n for n in draft.carried_fields if _unchanged(n, self._values[n], getattr(draft, n)))
        self._values = {n: self._values[n] for n in kept}
        if kept != draft.carried_fields:
            source = draft.carried_from if kept else ""
            self.editor._base = replace(self.editor._base, carried_fields=kept, carried_from=source)  # noqa: SLF001
            draft = replace(draft, carried_fields=kept, carried_from=source)
        self._show(draft)
        return draft

    def _show(self, draft: SessionDraft) -> None:
        source, detail = split_source(draft.carried_from)
        source = source or "from an earlier session"
        for name, widget in self.widgets().items():
            carried = name in draft.carried_fields
            _mark(widget, carried, f"Carried forward, {source}: not yet confirmed" if carried else "")
        if draft.carried_fields:
            names = ", ".join(FIELD_LABELS[n] for n in draft.carried_fields)
            know = f"<br><b>Before confirming:</b> {html.escape(detail)}." if detail else ""
            self.label.setText(f"<b>{len(draft.carried_fields)} fields {html.escape(source)} — confirm</b><br>"
                               f"{names}. Check the highlighted fields (edit any that changed), then confirm them "
                               f"all.{know}")
            self.bar.setAccessibleName(f"{len(draft.carried_fields)} fields {source}, not yet confirmed")
            self.bar.setAccessibleDescription(f"Before confirming: {detail}" if detail else "")
        carried = bool(draft.carried_fields)
        confirmed = self._confirmed is not None and not carried
        if confirmed:
            assert self._confirmed is not None
            at, count, source = self._confirmed
            words = f"{count} carried field{'s' if count != 1 else ''}" + (f" ({source})" if source else "")
            self.note.setText(f"✓ <b>{html.escape(words)}</b> confirmed by you at {at:%H:%M}.")
            self.bar.setAccessibleName(f"{words} confirmed by you at {at:%H:%M}")
            self.bar.setAccessibleDescription("")
        else:
            self._release_height()
        self.label.setVisible(carried)
        self.confirm_button.setVisible(carried)
        self.note_row.setVisible(confirmed)
        self._show_undo()
        self.bar.setVisible(carried or confirmed)

    def _hold_height(self) -> None:
        """The bar keeps the height it has now (Confirm turns it into a shorter note; nothing under it moves)."""
        if self.bar.isVisible():
            self.bar.setFixedHeight(self.bar.height())

    def _release_height(self) -> None:
        self.bar.setMinimumHeight(0)
        self.bar.setMaximumHeight(MAX_HEIGHT)

    def _undo_is_next(self) -> bool:
        """Whether Ctrl+Z would take back the confirmation (and nothing done since)."""
        stack = self.editor.undo_stack
        return self._step is not None and stack.index() > 0 and stack.command(stack.index() - 1) is self._step

    @Slot()
    def _show_undo(self, *_args: object) -> None:
        if not (isValid(self.editor.undo_stack) and isValid(self.undo_button)):
            return  # the editor is being destroyed: its undo stack says so as it clears
        self.undo_button.setVisible(self._confirmed is not None and self._undo_is_next())

    @Slot()
    def undo_confirm(self) -> None:
        """The note's Undo: the same as Edit ▸ Undo while the confirmation is the last change."""
        if self._undo_is_next():
            self.editor.undo_stack.undo()

    @Slot(int, int)
    def _saved(self, *_ids: int) -> None:
        """Saved: the confirmation is stored, its note has done its work (the pointer is on Save, above it)."""
        if self._confirmed is not None:
            self._confirmed = None
            self._show(self.editor._base)  # noqa: SLF001

    def focus_confirm(self, message: str) -> None:
        """The sign blocker was chosen: the Confirm button takes the keyboard, the message shows below."""
        self.confirm_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.editor.statusBar().showMessage(message, 8000)

    @Slot()
    def confirm(self) -> None:
        """One action for every carried field: they are today's values now (the draft needs saving). An undo
        step of its own, so Ctrl+Z takes back the confirmation rather than the copied sites under it."""
        editor = self.editor
        base = editor._base  # noqa: SLF001
        if not base.carried_fields:
            return
        was = (base.carried_fields, base.carried_from)
        had_focus = self.confirm_button.hasFocus()

        def apply() -> None:
            self._hold_height()
            self._confirmed = (datetime.now(), len(was[0]), split_source(was[1])[0])
            self._set(confirm_carried(editor._base))  # noqa: SLF001

        def revert() -> None:
            self._confirmed = None
            self._set(replace(editor._base, carried_fields=was[0], carried_from=was[1]))  # noqa: SLF001

        apply()
        self._step = AnswerStep("Confirm carried fields", apply, revert)
        editor.undo_stack.push(self._step)
        if had_focus:  # the button is gone: the keys go on to the forms' tabs, not to the Undo beside it
            editor.tabs.tabBar().setFocus(Qt.FocusReason.OtherFocusReason)
        editor.statusBar().showMessage("Carried fields confirmed (Ctrl+Z takes it back)", 5000)

    def _set(self, base: SessionDraft) -> None:
        editor = self.editor
        editor._base = base  # noqa: SLF001
        self._values = {}
        editor._on_changed()  # noqa: SLF001 - a change like any other: title, autosave, findings
        editor.findings.refresh_now()
