"""The clinic administration window: Users, Clinic, Formulary & lots (and tabs the lead adds, e.g. the audit
trail), with Back up… in its header. Each tab appears only for a principal who may use it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext
from tpi_notes.ui.admin.backup import backup_database
from tpi_notes.ui.admin.clinic_tab import ClinicTab
from tpi_notes.ui.admin.forms import DISABLED_STYLE
from tpi_notes.ui.admin.formulary_tab import FormularyTab
from tpi_notes.ui.admin.icd10_release import Icd10ReleaseDialog
from tpi_notes.ui.admin.phrases_tab import PhrasesTab
from tpi_notes.ui.admin.users_tab import UsersTab
from tpi_notes.ui.style import set_role


class AdminWindow(QWidget):
    """A top-level window "Clinic administration" with one tab per administrative job."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._ctx = ctx
        self.setObjectName("admin_window")
        self.setWindowTitle("Clinic administration")
        self.setStyleSheet(DISABLED_STYLE)
        self.users_tab: UsersTab | None = None
        self.clinic_tab: ClinicTab | None = None
        self.formulary_tab: FormularyTab | None = None
        self.phrases_tab: PhrasesTab | None = None

        title = QLabel("Clinic administration", self)
        set_role(title, "title")
        who = QLabel(f"Signed in as {ctx.principal.name}", self)
        who.setObjectName("admin_who")
        set_role(who, "hint")
        self.backup_button = QPushButton("Back up database…", self)
        self.backup_button.setObjectName("backup_button")
        self.backup_button.clicked.connect(self.backup)
        self.backup_button.setVisible(ctx.can(Permission.BACKUP))
        self.icd10_button = QPushButton("Load ICD-10-CM release…", self)
        self.icd10_button.setObjectName("icd10_button")
        self.icd10_button.setToolTip("Load CMS's yearly ICD-10-CM code set (the order file) with its version and "
                                     "effective date")
        self.icd10_button.clicked.connect(self.load_icd10)
        self.icd10_button.setVisible(ctx.can(Permission.MANAGE_FORMULARY))
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("admin_tabs")
        self.empty = QLabel("Your roles include no administrative job (users, clinic, formulary).", self)
        set_role(self.empty, "hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        if ctx.can(Permission.MANAGE_USERS):
            self.users_tab = UsersTab(ctx, self)
            self.add_tab(self.users_tab, "Users")
        if ctx.can(Permission.MANAGE_CLINIC):
            self.clinic_tab = ClinicTab(ctx, self)
            self.add_tab(self.clinic_tab, "Clinic")
        if ctx.can(Permission.MANAGE_FORMULARY):
            self.formulary_tab = FormularyTab(ctx, self)
            self.add_tab(self.formulary_tab, "Formulary && lots")
        if ctx.can(Permission.MANAGE_CLINIC):  # the clinic's phrases for the editor (issue 16 item 2)
            self.phrases_tab = PhrasesTab(ctx, self)
            self.add_tab(self.phrases_tab, "Phrases")

        header = QHBoxLayout()
        header.setContentsMargins(16, 12, 16, 4)
        column = QVBoxLayout()
        column.setSpacing(0)
        column.addWidget(title)
        column.addWidget(who)
        header.addLayout(column, 1)
        header.addWidget(self.icd10_button, 0, Qt.AlignmentFlag.AlignVCenter)
        header.addWidget(self.backup_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(header)
        body = QVBoxLayout()
        body.setContentsMargins(12, 0, 12, 12)
        body.addWidget(self.tabs, 1)
        body.addWidget(self.empty, 1)
        layout.addLayout(body, 1)
        self._update_empty()
        QShortcut(QKeySequence.StandardKey.Close, self, activated=self.close)
        self.resize(1180, 760)

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab (the lead adds the audit trail this way); returns its index."""
        index = self.tabs.addTab(widget, title)
        self._update_empty()
        return index

    def tab_titles(self) -> list[str]:
        return [self.tabs.tabText(i).replace("&&", "&") for i in range(self.tabs.count())]

    def show_tab(self, title: str) -> bool:
        for i, text in enumerate(self.tab_titles()):
            if text == title:
                self.tabs.setCurrentIndex(i)
                return True
        return False

    def _update_empty(self) -> None:
        has_tabs = self.tabs.count() > 0
        self.tabs.setVisible(has_tabs)
        self.empty.setVisible(not has_tabs)

    @Slot()
    def load_icd10(self) -> Icd10ReleaseDialog:
        """Load ICD-10-CM release…: the dialog (modal to this window); returns it (tests drive it)."""
        dialog = Icd10ReleaseDialog(self._ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    @Slot()
    def backup(self) -> None:
        backup_database(self._ctx, self)
