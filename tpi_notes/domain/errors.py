"""Errors the services raise for the UI and the command line to show as plain messages."""

from __future__ import annotations


class TpiError(Exception):
    """Base of the errors a user sees as one clear message."""


class ValidationError(TpiError):
    """Input refused; ``errors`` maps a field name to the message to show at that field."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class NotFoundError(TpiError):
    """The record asked for does not exist (or no longer does)."""


class ConcurrentEditError(TpiError):
    """Someone else saved this record since it was opened; reload before saving again."""


class DatabaseBusyError(TpiError):
    """Another workstation held the database (or the record) too long; nothing was saved, try again."""


class DatabaseOpenError(TpiError):
    """The database could not be opened, created or upgraded; nothing was changed."""


class DatabaseDamagedError(DatabaseOpenError):
    """SQLite's ``PRAGMA quick_check`` found damage in the database file (``problems``, SQLite's own words)."""

    def __init__(self, where: str, problems: list[str], consequence: str = "nothing was written to it") -> None:
        self.where, self.problems, self.consequence = where, list(problems), consequence
        more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
        super().__init__(f"DAMAGED DATABASE: {where} failed SQLite's PRAGMA quick_check ({problems[0]}{more}); "
                         f"{consequence}. Keep the file as it is, stop using it, and restore the latest backup.")
