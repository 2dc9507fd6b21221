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


class DatabaseOpenError(TpiError):
    """The database could not be opened, created or upgraded; nothing was changed."""
