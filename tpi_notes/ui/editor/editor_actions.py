"""The editor's toolbar and Session menu: Save, templates, copy-forward, Sign, Preview note, Print aftercare, Close."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QSizePolicy, QToolBar, QToolButton, QWidget

from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.permissions import Permission
from tpi_notes.services import drafts
from tpi_notes.ui.editor import reuse
from tpi_notes.ui.errors import show_error

if TYPE_CHECKING:
    from tpi_notes.ui.editor.window import SessionEditor

SAVE_FIRST = "Save the draft first"


class EditorActions(QObject):
    """Creates the actions, the toolbar and the menus of one editor window."""

    def __init__(self, editor: SessionEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.save = self._action("&Save", editor.save, "Ctrl+S", "Save the draft (it stays editable until signed)")
        self.copy_forward = self._action("Copy &forward last session", lambda: reuse.copy_forward(editor), None,
                                         "Take the sites, syringes (without lots) and clinical frame of this "
                                         "patient's last signed session; confirm the carried fields")
        self.save_template = self._action("Save as &template…", lambda: reuse.save_as_template(editor), None,
                                          "Keep these sites, syringes and clinical frame as a starting point for "
                                          "other sessions")
        self.sign = self._action("Si&gn…", lambda: _sign(editor), "Ctrl+Shift+S",
                                 "Save, check the note is complete, then sign and lock it with your password or PIN")
        self.preview = self._action("&Preview note", self.preview_note, None,
                                    "Preview the procedure note of the saved draft")
        self.aftercare = self._action("Print &aftercare…", self.print_aftercare, None,
                                      "Print the patient's aftercare sheet for the saved draft")
        self._tips = {a: a.toolTip() for a in (self.sign, self.preview, self.aftercare)}
        self.close = self._action("&Close", editor.close, "Ctrl+W", "Close this session")
        self.undo = editor.undo_stack.createUndoAction(self, "&Undo")
        self.undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo = editor.undo_stack.createRedoAction(self, "&Redo")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for action in (self.undo, self.redo):
            editor.addAction(action)
        for name in ("undo", "redo"):  # one window-wide shortcut, not two competing ones
            editor.diagram.actions_by_name[name].setShortcuts([])
        self.template_menu = QMenu("New from &template", editor)
        self.template_menu.setObjectName("template_menu")
        self.template_menu.aboutToShow.connect(self.fill_template_menu)
        self._toolbar()
        self._menus()
        # A nurse prepares the draft; only a physician sees Sign (the service refuses anyone else anyway).
        self.sign.setVisible(editor.ctx.can(Permission.SIGN))
        for action in (self.preview, self.aftercare):
            action.setVisible(editor.ctx.can(Permission.PRINT))

    def _action(self, text: str, slot: Callable[[], object], shortcut: str | None, tip: str) -> QAction:
        action = QAction(text, self.editor)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.editor.addAction(action)
        return action

    def _enable(self, action: QAction, enabled: bool, why_not: str) -> None:
        action.setEnabled(enabled)
        action.setToolTip(self._tips[action] if enabled else f"{self._tips[action]} — {why_not}")

    @Slot()
    def preview_note(self) -> None:
        if self.editor.draft_id is not None:
            # ReportLab behind it: loaded at the first print, not at each opening (H32)
            from tpi_notes.ui import pdf_preview

            self.editor.preview_window = pdf_preview.preview_note(self.editor.ctx, self.editor.draft_id, self.editor)

    @Slot()
    def print_aftercare(self) -> None:
        if self.editor.draft_id is not None:
            from tpi_notes.ui import pdf_preview

            shown = pdf_preview.print_aftercare(self.editor.ctx, self.editor.draft_id,
                                                self.editor.reference.patient.language, self.editor)
            if isinstance(shown, QWidget):
                self.editor.preview_window = shown

    def _toolbar(self) -> None:
        bar = QToolBar("Session", self.editor)
        bar.setObjectName("editor_toolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addAction(self.save)
        bar.addSeparator()
        self.template_button = QToolButton(bar)
        self.template_button.setText("New from template ▾")
        self.template_button.setObjectName("template_button")
        self.template_button.setToolTip("Add the sites and syringes of a saved template")
        self.template_button.setMenu(self.template_menu)
        self.template_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(self.template_button)
        bar.addAction(self.copy_forward)
        bar.addAction(self.save_template)
        bar.addSeparator()
        for action in (self.sign, self.preview, self.aftercare):
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(self.close)
        spacer = QWidget(bar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.state_label = QLabel(bar)
        self.state_label.setObjectName("editor_state")
        self.state_label.setContentsMargins(0, 0, 12, 0)
        bar.addWidget(self.state_label)
        self.editor.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar
        button = bar.widgetForAction(self.save)
        if button is not None:
            button.setProperty("primary", True)
            button.setStyleSheet("QToolButton { background: #1d6a8a; color: white; border-radius: 4px;"
                                 " padding: 4px 16px; font-weight: 600; }")

    def _menus(self) -> None:
        menu = self.editor.menuBar().addMenu("&Session")
        menu.addAction(self.save)
        menu.addSeparator()
        menu.addMenu(self.template_menu)
        menu.addAction(self.copy_forward)
        menu.addAction(self.save_template)
        menu.addSeparator()
        menu.addActions([self.sign, self.preview, self.aftercare])
        menu.addSeparator()
        menu.addAction(self.close)
        edit = self.editor.menuBar().addMenu("&Edit")
        edit.addActions([self.undo, self.redo])

    def show_state(self, saved: bool, dirty: bool) -> None:
        """The draft's state at the right of the toolbar, in words."""
        if dirty:
            text, colour = ("Unsaved changes" if saved else "New session, not saved yet"), "#9a3412"
        else:
            text, colour = ("Draft saved, not signed" if saved else "New session: nothing entered yet"), "#5f6b7a"
        self.state_label.setText(text)
        self._enable(self.sign, saved or dirty, "nothing entered yet")  # Sign saves first (issue 16)
        self._enable(self.preview, saved, SAVE_FIRST)
        self._enable(self.aftercare, saved, SAVE_FIRST)
        self.state_label.setStyleSheet(f"color: {colour}; font-weight: 600;")

    @Slot()
    def fill_template_menu(self) -> None:
        self.template_menu.clear()
        try:
            templates = drafts.list_templates(self.editor.ctx)
        except TpiError as exc:
            show_error(self.editor, exc)
            return
        for template in templates:
            action = self.template_menu.addAction(template.name)
            action.setToolTip(template.description)
            action.setStatusTip(template.description)
            action.setObjectName(f"template_{template.id}")
            action.triggered.connect(lambda _c=False, t=template.id: reuse.apply_template(self.editor, t))
        if not templates:
            empty = self.template_menu.addAction("No templates yet: chart a session, then Save as template…")
            empty.setEnabled(False)


def _sign(editor: SessionEditor) -> None:
    """The Sign action. The signing dialog, and the PDF preview and ReportLab behind it, are imported at the first
    Sign rather than with the editor: 0.3 s of every first opening, for an action taken once per note (H32)."""
    from tpi_notes.ui.editor import signing_dialog

    signing_dialog.sign(editor)
