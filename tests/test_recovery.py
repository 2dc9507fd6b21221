"""The crash-recovery journal: atomic snapshots that survive a kill and come back whole."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.session import Component, EStim, Preparation, Site
from tpi_notes.recovery import RecoveryStore


def sample() -> SessionDraft:
    site = Site(1, "posterior", 0.5, 0.3, "post.upper_trapezius.R", "upper_trapezius", "Upper trapezius", "R",
                "dry_needling", needles_in=2, needles_out=1, estim=EStim(2, 250, 5, 15, False), note="Ирина <x>")
    return SessionDraft(patient_id=3, performed_start=datetime(2026, 11, 2, 9, 30), atlas_version="1",
                        sites=(site,), preparations=(Preparation("A", (Component("lidocaine-1", 5.0, "L1"),)),),
                        pain_before=7, comments="Nguyễn")


def test_write_pending_discard(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path / "r")
    store.write("new-abc", sample(), "Nguyễn, Thị Ánh")
    store.write("new-abc", replace(sample(), pain_before=8), "Nguyễn, Thị Ánh")
    [entry] = store.pending()
    assert entry.draft == replace(sample(), pain_before=8)
    assert entry.patient_label == "Nguyễn, Thị Ánh"
    assert not list((tmp_path / "r").glob("*.tmp"))
    store.discard("new-abc")
    assert store.pending() == []


def test_a_torn_temporary_file_is_ignored(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path)
    store.write("session-4", sample(), "A")
    (tmp_path / "session-5.tmp").write_text('{"format": 1, "dra')  # killed mid-write
    (tmp_path / "broken.json").write_text("not json")
    assert [e.key for e in store.pending()] == ["session-4"]


def test_stores_are_per_database(monkeypatch, tmp_path: Path) -> None:  # noqa: ANN001
    monkeypatch.setenv("TPI_NOTES_DATA_DIR", str(tmp_path))
    one, two = RecoveryStore.for_database("sqlite:///a.db"), RecoveryStore.for_database("sqlite:///b.db")
    one.write("new-1", sample(), "A")
    assert two.pending() == [] and len(one.pending()) == 1
