"""Crash recovery while charting: the draft goes to the local recovery journal 2 s after the last change.

Never to the database: only Save writes there. The entry is removed after a successful save or an explicit
discard, so what is left at start-up is exactly what a crash interrupted.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from tpi_notes.domain.draft import SessionDraft
from tpi_notes.recovery import RecoveryStore

DEBOUNCE_MS = 2000


def recovery_key(draft: SessionDraft) -> str:
    return f"session-{draft.id}" if draft.id is not None else f"new-{uuid4().hex}"


class Autosaver(QObject):
    written = Signal(str)
    """A snapshot was written to the recovery journal: its key."""

    def __init__(self, store: RecoveryStore, key: str, snapshot: Callable[[], tuple[SessionDraft, str]],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.key = key
        self._snapshot = snapshot  # -> (draft, patient label)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.write_now)
        self.last_error: str | None = None

    def schedule(self) -> None:
        """(Re)start the countdown: a burst of typing writes once, 2 s after the last key."""
        self.timer.start()

    @Slot()
    def write_now(self) -> None:
        self.timer.stop()
        draft, label = self._snapshot()
        try:
            self.store.write(self.key, draft, label)
        except (OSError, ValueError) as exc:  # a full disk must not interrupt charting; Save still works
            self.last_error = str(exc)
            return
        self.last_error = None
        self.written.emit(self.key)

    def discard(self) -> None:
        """Stop the countdown and remove the journal entry (after Save, or when the user discards)."""
        self.timer.stop()
        try:
            self.store.discard(self.key)
        except OSError as exc:
            self.last_error = str(exc)

    def rekey(self, key: str) -> None:
        """After the first save a new draft is journalled under its session id."""
        if key != self.key:
            self.discard()
            self.key = key
