"""One-click diagnoses in the editor: the physician's favourites first (the session's physician, else the
signed-in user), then codes suggested for the muscles treated.

Shown under the diagnosis search as buttons ("＋ M79.12 Myalgia of auxiliary muscles, head and neck"); a click
(or Space on the focused button) adds it. The ☆ on a chosen diagnosis keeps it among the user's favourites; the ★
of one already there takes it off (favourites are edited where they are used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QLabel, QToolButton, QWidget

from tpi_notes.domain import icd10
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.session import Diagnosis
from tpi_notes.services import phrases
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.flow_layout import FlowLayout
from tpi_notes.ui.style import set_role

if TYPE_CHECKING:
    from tpi_notes.ui.editor.window import SessionEditor

MAX_SUGGESTIONS = 6


class DiagnosisHelp(QObject):
    """Keeps one editor's suggestion buttons in step with its sites, chosen codes and date."""

    def __init__(self, editor: SessionEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        picker = editor.pre.diagnoses
        self.box = QWidget(picker)
        self.box.setObjectName("diagnosis_suggestions")
        self.box.setAccessibleName("Suggested diagnoses")
        self.flow = FlowLayout(self.box, 4)
        self.flow.setContentsMargins(0, 0, 0, 0)
        picker.suggestion_slot.addWidget(self.box)
        self.box.hide()
        self.buttons: list[QToolButton] = []
        self._key: tuple | None = None
        self._enabled = editor.ctx.can(Permission.PREPARE_DRAFTS)
        self._mine: set[str] = set()  # the signed-in user's favourite codes (their ★)
        self._load_mine()
        picker.chosen_changed.connect(self.refresh)  # also a draft's codes loaded (copy-forward, a template)
        editor.pre.physician.currentIndexChanged.connect(self.refresh)
        picker.favourite_requested.connect(self.add_favourite)
        for signal in (editor.document.site_inserted, editor.document.site_removed, editor.document.site_changed):
            signal.connect(self.refresh)
        self.refresh()

    @Slot()
    def refresh(self, *_args: object) -> None:
        if not self._enabled:
            return
        editor = self.editor
        sites = tuple(editor.document.sites())
        chosen = editor.pre.diagnoses.diagnoses()
        day = editor.pre.performed_start.dateTime().toPython().date()
        physician = editor.pre.physician.member_id()
        key = (tuple((s.muscle_id, s.region_code) for s in sites), tuple(icd10.code_key(d.code) for d in chosen),
               day, physician)
        if key == self._key:
            return
        self._key = key
        try:
            offered = phrases.suggested_diagnoses(editor.ctx, sites, chosen, day, editor.atlas.version, physician,
                                                  limit=MAX_SUGGESTIONS)
        except TpiError as exc:
            show_error(editor, exc)
            return
        # a code chosen is never offered beside itself, whatever was asked of the service or how it is spelled
        self._show([(d, why) for d, why in offered if not editor.pre.diagnoses.is_chosen(d.code)][:MAX_SUGGESTIONS])

    def _show(self, offered: list[tuple[Diagnosis, str]]) -> None:
        while self.flow.count():
            item = self.flow.takeAt(0)
            if item is not None and item.widget() is not None:
                old = item.widget()
                old.hide()  # gone at once: deleteLater alone left it drawn over the new chips
                old.setParent(None)  # and no longer found among the box's children (findChild, the walk)
                old.deleteLater()
        self.buttons = []
        if offered:
            label = QLabel("Suggested:", self.box)
            set_role(label, "hint")
            self.flow.addWidget(label)
        for diagnosis, why in offered:
            button = QToolButton(self.box)
            button.setObjectName(f"suggest_{diagnosis.code}")
            button.setText(f"＋ {diagnosis.code} {diagnosis.display}")
            button.setToolTip(f"Add {diagnosis.code} ({why})")
            button.setAccessibleName(f"Add {diagnosis.code}, {diagnosis.display}")
            button.setAccessibleDescription(f"Suggested from the {why}" if why != "favourite" else "Your favourite")
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.clicked.connect(lambda _c=False, d=diagnosis: self.editor.pre.diagnoses.add(d))
            self.flow.addWidget(button)
            self.buttons.append(button)
        self.box.setVisible(bool(offered))

    def _load_mine(self) -> None:
        if not self._enabled or self.editor.ctx.user_id is None:
            return
        try:
            self._mine = {d.code for d in phrases.favourites(self.editor.ctx)}
        except TpiError:
            self._mine = set()
        self.editor.pre.diagnoses.set_favourites(self._mine)

    @Slot(object)
    def add_favourite(self, diagnosis: Diagnosis) -> None:
        """☆ keeps the code among the user's favourites; ★ takes it off."""
        removing = diagnosis.code in self._mine
        try:
            if removing:
                phrases.remove_favourite(self.editor.ctx, diagnosis.code)
            else:
                phrases.add_favourite(self.editor.ctx, diagnosis)
        except TpiError as exc:
            show_error(self.editor, exc)
            return
        self.editor.statusBar().showMessage(f"{diagnosis.code} is no longer among your favourites" if removing
                                            else f"{diagnosis.code} is among your favourites", 5000)
        self._load_mine()
        self._key = None
        self.refresh()
