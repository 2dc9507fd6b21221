"""A clock for the wrong-password delay (services/accounts.py ``utcnow``), so tests let time pass without sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest


class Clock:
    """``accounts.utcnow`` under a test's control: ``advance`` moves it on; with ``step`` every reading is that
    much later than the one before (an hour by default: no delay after a wrong password is still running)."""

    def __init__(self, start: datetime = datetime(2026, 12, 3, 9, 0), step: timedelta = timedelta(0)) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def patch_clock(monkeypatch: pytest.MonkeyPatch, step: timedelta = timedelta(0)) -> Clock:
    from tpi_notes.services import accounts

    clock = Clock(step=step)
    monkeypatch.setattr(accounts, "utcnow", clock)
    return clock


def time_passes(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Wrong passwords one after another, each long after the last (the delay is tested in test_lockout.py)."""
    return patch_clock(monkeypatch, timedelta(hours=1))
