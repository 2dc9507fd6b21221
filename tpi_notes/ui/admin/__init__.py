"""Clinic administration screens: users and roles, clinic settings, formulary and lots, and backups."""

from tpi_notes.ui.admin.backup import backup_database
from tpi_notes.ui.admin.window import AdminWindow

__all__ = ["AdminWindow", "backup_database"]
