"""The carried clinical frame in the editor: fields filled by copy-forward or a template, waiting for a look.

Each carried field is tinted amber with a dashed border and says so to a screen reader (its accessible
description); a bar above the forms names them, "as on 2026-09-04 — confirm", with one Confirm button for all.
A carried field the clinician edits is theirs from then on (no longer carried). Signing waits until none is left
(domain/templates.py ``carried_blocker``). Confirm is an undo step: Edit ▸ Undo (Ctrl+Z) brings the marks back
when it was pressed too soon, before the copied sites are taken back.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDir, Qt, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.templates import FIELD_LABELS, confirm_carried, split_source
from tpi_notes.ui.editor.fields import register_arrow_images
from tpi_notes.ui.editor.findings_answers import AnswerStep

if TYPE_CHECKING:
    from tpi_notes.ui.editor.window import SessionEditor

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
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(self.label, 1)
        row.addWidget(self.confirm_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.bar.hide()
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
        """A new draft is shown (loaded, copied forward, a template applied): remember its values afresh."""
        self._values = {}

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
        self.bar.setVisible(bool(draft.carried_fields))

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

        def apply() -> None:
            self._set(confirm_carried(editor._base))  # noqa: SLF001

        def revert() -> None:
            self._set(replace(editor._base, carried_fields=was[0], carried_from=was[1]))  # noqa: SLF001

        apply()
        editor.undo_stack.push(AnswerStep("Confirm carried fields", apply, revert))
        editor.statusBar().showMessage("Carried fields confirmed (Ctrl+Z takes it back)", 5000)

    def _set(self, base: SessionDraft) -> None:
        editor = self.editor
        editor._base = base  # noqa: SLF001
        self.reset()
        editor._on_changed()  # noqa: SLF001 - a change like any other: title, autosave, findings
        editor.findings.refresh_now()
